/**
 * LAST_ADMIN's count of the other service is a call made while holding the club's admin lock
 * (lib/last-admin.ts): the rule for calls inside a transaction wants no retry and a timeout
 * shorter than the lock_timeout the lock is waited for with.
 */
import assert from "node:assert/strict";
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";
import { ADMIN_COUNT_TIMEOUT_MS, ADMIN_LOCK_TIMEOUT_MS, countUnderAdminLock, lockClubAdmins } from "../../../lib/last-admin";

describe("LAST_ADMIN under the club's admin lock (single process)", () => {
	let a: Running;
	let club: TestClub;
	const dbOf = (service: "clubs" | "staff") => (a.brokers[0].getLocalService(service) as unknown as { db: Knex }).db;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
	});

	it("when clubs or staff take the club's admin lock, then the transaction waits for locks at most ADMIN_LOCK_TIMEOUT_MS", async () => {
		for (const service of ["clubs", "staff"] as const) {
			await dbOf(service).transaction(async trx => {
				await lockClubAdmins(trx, club.club.id);
				const { rows } = await trx.raw("SELECT current_setting('lock_timeout') AS v");
				assert.equal(rows[0].v, `${ADMIN_LOCK_TIMEOUT_MS / 1000}s`, service);
			});
		}
	});

	it("when the other service's count is asked under the lock, then with no retry and a timeout shorter than the lock's wait, and it answers the committed count", async () => {
		const broker = a.brokers[0];
		const ctx = broker.ContextFactory.create(broker, undefined as never, {}, { meta: { clubId: club.club.id } }) as Context;
		const seen: Array<{ action: string; opts: Record<string, unknown> }> = [];
		const call = ctx.call.bind(ctx) as (...args: unknown[]) => Promise<unknown>;
		(ctx as unknown as { call: unknown }).call = (action: string, params: unknown, opts: Record<string, unknown>) => {
			seen.push({ action, opts });
			return call(action, params, opts);
		};
		assert.equal(await countUnderAdminLock(ctx, "clubs.countAdminKeys", club.club.id), 1);
		assert.equal(await countUnderAdminLock(ctx, "staff.countActiveAdmins", club.club.id), 0);
		assert.deepEqual(seen.map(s => s.action), ["clubs.countAdminKeys", "staff.countActiveAdmins"]);
		for (const { opts } of seen) {
			assert.equal(opts.retries, 0);
			assert.equal(opts.timeout, ADMIN_COUNT_TIMEOUT_MS);
			assert.ok(ADMIN_COUNT_TIMEOUT_MS < ADMIN_LOCK_TIMEOUT_MS);
			assert.deepEqual(opts.meta, { clubId: club.club.id });
		}
	});
});
