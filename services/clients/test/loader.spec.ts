/**
 * ClientLoader: reads by id that arrive together share one statement, a read never joins
 * one already sent, and through the gateway every read still gets its own club's client.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { Knex } from "knex";
import { ClientLoader } from "../clients.loader";
import { app, newClub, type Running } from "../../../test/support/app";
import { person } from "./helpers";

/** A driver connection whose statements the test answers by hand (to see what is sent when). */
function scriptedDb() {
	const sent: Array<{ values: string[][]; answer(rows: unknown[]): void; fail(err: Error): void }> = [];
	const conn = {
		query: ({ values }: { values: string[][] }) =>
			new Promise((resolve, reject) => sent.push({ values, answer: rows => resolve({ rows }), fail: reject })),
	};
	const db = { client: { acquireConnection: async () => conn, releaseConnection: async () => undefined } } as unknown as Knex;
	return { db, sent };
}

const tick = () => new Promise(r => setImmediate(r));
const row = (clubId: string, id: string) => ({ club_id: clubId, id, categories: [] });

describe("ClientLoader", () => {
	it("when reads arrive in the same turn, then one statement asks for all of them and each gets its own row", async () => {
		const { db, sent } = scriptedDb();
		const loader = new ClientLoader(() => db, 1);
		const reads = [loader.get("c1", "a"), loader.get("c2", "a"), loader.get("c1", "b"), loader.get("c1", "a")];
		await tick();
		await tick();
		assert.equal(sent.length, 1);
		assert.deepEqual(sent[0].values, [["c1", "c2", "c1", "c1"], ["a", "a", "b", "a"]]);
		sent[0].answer([row("c1", "a"), row("c2", "a")]);
		const [x, y, missing, again] = await Promise.all(reads);
		assert.deepEqual([x?.club_id, x?.id, y?.club_id, y?.id, missing, again?.id], ["c1", "a", "c2", "a", undefined, "a"]);
		assert.deepEqual(loader.stats, { statements: 1, reads: 4 });
	});

	it("when a read comes while a statement is on its way, then it waits for the next one (it never joins a sent one)", async () => {
		const { db, sent } = scriptedDb();
		const loader = new ClientLoader(() => db, 1);
		const first = loader.get("c1", "a");
		await tick();
		await tick();
		assert.equal(sent.length, 1);
		const later = [loader.get("c1", "b"), loader.get("c1", "c")];
		await tick();
		await tick();
		assert.equal(sent.length, 1, "one statement at a time");
		sent[0].answer([row("c1", "a")]);
		assert.equal((await first)?.id, "a");
		await tick();
		await tick();
		assert.equal(sent.length, 2);
		assert.deepEqual(sent[1].values, [["c1", "c1"], ["b", "c"]]);
		sent[1].fail(new Error("connection lost"));
		for (const r of later) await assert.rejects(r, /connection lost/);
		// And it goes on afterwards.
		const after = loader.get("c1", "d");
		await tick();
		await tick();
		sent[2].answer([row("c1", "d")]);
		assert.equal((await after)?.id, "d");
	});

	describe("through the gateway", () => {
		let a: Running;
		before(async () => {
			a = await app();
		});

		it("when many clients of two clubs are read at once, then each answer is its own club's client, and another club's id is a 404", async () => {
			const one = await newClub(a.http);
			const two = await newClub(a.http);
			const made: Array<{ key: string; other: string; body: any }> = [];
			for (const [mine, other] of [
				[one, two],
				[two, one],
			]) {
				for (let i = 0; i < 15; i++) made.push({ key: mine.viewer, other: other.viewer, body: (({ possibleDuplicates: _dups, ...c }) => c)((await a.http.post("/clients", person(), { key: mine.staff })).body) });
			}
			const loader: ClientLoader = (a.brokers[0].getLocalService("clients") as any).loader;
			const before = { ...loader.stats };
			const [own, foreign] = await Promise.all([
				Promise.all(made.map(m => a.http.get(`/clients/${m.body.id}`, { key: m.key }))),
				Promise.all(made.map(m => a.http.get(`/clients/${m.body.id}`, { key: m.other }))),
			]);
			own.forEach((res, i) => assert.deepEqual([res.status, res.body], [200, made[i].body]));
			foreign.forEach(res => assert.equal(res.status, 404));
			assert.equal(loader.stats.reads - before.reads, 60);
			assert.equal((await a.http.get(`/clients/${crypto.randomUUID()}`, { key: one.viewer })).status, 404);
		});
	});
});
