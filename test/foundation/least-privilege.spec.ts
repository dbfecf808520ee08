/**
 * Least privilege in the database: each service connects with its own role that can use
 * only its own schema; migrations run as the configured user.
 */
import assert from "node:assert/strict";
import { app } from "../support/app";
import { serviceRoleName } from "../../mixins/db.mixin";

describe("Least privilege in the database", () => {
	it("when a service's pool is asked who it is, then it is that service's own role", async () => {
		const a = await app();
		for (const [service, schema] of [["wallets", "wallets"], ["clients", "clients"], ["clubs", "clubs"], ["booking-guard", "booking_guard"]]) {
			const svc: any = a.brokers[0].getLocalService(service);
			const { rows } = await svc.db.raw("SELECT current_user AS who");
			assert.equal(rows[0].who, serviceRoleName(schema));
		}
	});

	it("when wallets tries to read another service's tables, then Postgres refuses", async () => {
		const a = await app();
		const wallets: any = a.brokers[0].getLocalService("wallets");
		await assert.rejects(wallets.db.raw("SELECT * FROM clubs.api_keys LIMIT 1"), /permission denied/);
		await assert.rejects(wallets.db.raw("SELECT * FROM clubs.clubs LIMIT 1"), /permission denied/);
		await assert.rejects(wallets.db.raw("SELECT * FROM groups.groups LIMIT 1"), /permission denied/);
		const clients: any = a.brokers[0].getLocalService("clients");
		const { rows } = await clients.db.raw("SELECT to_regclass('clients.clients') AS t");
		if (rows[0].t) await assert.rejects(wallets.db.raw("SELECT * FROM clients.clients LIMIT 1"), /permission denied/);
	});

	it("when the wallets role tries to rewrite its ledger, then Postgres refuses before any trigger", async () => {
		const a = await app();
		const wallets: any = a.brokers[0].getLocalService("wallets");
		await assert.rejects(wallets.db.raw("UPDATE wallets.transactions SET amount = amount WHERE false"), /permission denied/);
		await assert.rejects(wallets.db.raw("DELETE FROM wallets.transactions WHERE false"), /permission denied/);
		await assert.rejects(wallets.db.raw("TRUNCATE wallets.transactions"), /permission denied/);
	});

	it("when a service tries to change its own schema's structure, then Postgres refuses", async () => {
		const a = await app();
		const clubs: any = a.brokers[0].getLocalService("clubs");
		await assert.rejects(clubs.db.raw("DROP TABLE clubs.api_keys"), /must be owner|permission denied/);
		await assert.rejects(clubs.db.raw("CREATE TABLE clubs.sneaky (id int)"), /permission denied/);
	});
});
