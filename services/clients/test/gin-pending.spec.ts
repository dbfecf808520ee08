/**
 * GIN pending lists stay short and are merged after an import (issue 12: every search reads
 * the whole list; after a 30k-row import at 1M clients a phone search read 379 pending pages,
 * 12-30 ms, against 1.1-1.9 ms once merged). migrations/clients/20270102000001_gin_pending_lists.ts
 */
import assert from "node:assert/strict";
import knex from "knex";
import { app, newClub } from "../../../test/support/app";

describe("Clients: GIN pending lists", function () {
	this.timeout(60_000);

	it("when the import refreshes the statistics, then every GIN index of the clients table has merged its pending list, and each list is capped at 128 kB", async () => {
		const { http, brokers } = await app();
		const club = await newClub(http);
		const clients: any = brokers[0].getLocalService("clients");
		const db = clients.db;
		const group = (await http.get("/groups", { key: club.admin })).body.items.find((g: any) => g.isDefault).id;
		await db.raw(
			`INSERT INTO clients.clients (club_id, id, full_name, email, phone, gender, country, group_id, tags, source)
			 SELECT ?::uuid, gen_random_uuid(), 'Pending Person ' || i, 'pending.' || i || '@example.com', '+3465' || lpad(i::text, 7, '0'), 'other', 'ES', ?::uuid, ARRAY['pending'], 'import'
			   FROM generate_series(1, 300) AS i`,
			[club.club.id, group],
		);
		const gin: Array<{ name: string; options: string[] | null }> = (
			await db.raw(
				`SELECT c.relname AS name, c.reloptions AS options FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
				  WHERE i.indrelid = 'clients.clients'::regclass AND a.amname = 'gin' ORDER BY 1`,
			)
		).rows;
		assert.deepEqual(gin.map(g => g.name), ["clients_club_tags_gin", "clients_dup_keys_gin", "clients_name_trgm", "clients_phone_trgm"]);
		for (const g of gin) assert.deepEqual(g.options, ["gin_pending_list_limit=128"], g.name);
		assert.deepEqual(await brokers[0].call("clients.refreshStatistics", { changed: 1_000_000 }, { meta: { clubId: club.club.id } }), { analyzed: true });
		// Merging what is left answers how many pages were left (the migrations' user owns the indexes).
		const owner = knex({ client: "pg", connection: process.env.DATABASE_URL, pool: { min: 0, max: 1 } });
		try {
			for (const g of gin) {
				const left = (await owner.raw(`SELECT gin_clean_pending_list(?::regclass) AS pages`, [`clients.${g.name}`])).rows[0].pages;
				assert.equal(Number(left), 0, `${g.name} still had ${left} pending pages`);
			}
		} finally {
			await owner.destroy();
		}
	});
});
