/**
 * Two import workers over the real nats-server: a worker keeps the club's default group and
 * its group names in memory (30 s), so a change of groups must reach EVERY worker, not one
 * per listener group (mixins/node-events.mixin.ts). Otherwise the worker that did not hear it
 * goes on filing rows under the old default group, or under a group that was deleted.
 */
import assert from "node:assert/strict";
import { newClub, startCluster, type Running, type TestClub } from "../../../test/support/app";
import { allClients, importFile } from "./helpers";

/** What a worker has cached for a club, read the way a chunk reads it. */
interface GroupLookups {
	clubDefaults(clubId: string): Promise<{ defaultGroupId: string }>;
	groupByName(clubId: string, name: string): Promise<string | null>;
}

describe("Imports on two worker nodes: a group change reaches every worker", function () {
	this.timeout(120_000);
	let c: Running;
	let club: TestClub;
	const workers = () => c.brokers.slice(1).map(b => b.getLocalService("import") as unknown as GroupLookups);

	before(async () => {
		// Small chunks, so one file's chunks are spread over both workers.
		const chunkRows = process.env.IMPORT_CHUNK_ROWS;
		process.env.IMPORT_CHUNK_ROWS = "2";
		try {
			c = await startCluster([{ services: ["api", "clubs", "groups", "clients"] }, { services: ["import"] }, { services: ["import"] }]);
		} finally {
			if (chunkRows === undefined) delete process.env.IMPORT_CHUNK_ROWS;
			else process.env.IMPORT_CHUNK_ROWS = chunkRows;
		}
		club = await newClub(c.http);
	});
	after(() => c?.stop());

	it("when the default group changes and a named group is deleted, then no worker files a row under the old default or the deleted group", async () => {
		const clubId = club.club.id;
		const alpha = (await c.http.post("/groups", { name: "Alpha" }, { key: club.admin })).body;
		const beta = (await c.http.post("/groups", { name: "Beta" }, { key: club.admin })).body;
		const oldDefault = (await c.http.get("/groups", { key: club.admin })).body.items.find((g: { isDefault: boolean }) => g.isDefault);
		// Each worker has read the club's groups, as its first chunk of an import does.
		for (const w of workers()) {
			assert.equal((await w.clubDefaults(clubId)).defaultGroupId, oldDefault.id);
			assert.equal(await w.groupByName(clubId, "Alpha"), alpha.id);
		}

		assert.equal((await c.http.put("/settings/default-group", { groupId: beta.id }, { key: club.admin })).status, 200);
		assert.equal((await c.http.del(`/groups/${alpha.id}`, { key: club.admin })).status, 204);

		let csv = "full name,email,phone,gender,country,group\n";
		for (let i = 0; i < 40; i++) csv += `Person ${i},node-events-${i}@example.com,+34 6${String(20_000_000 + i).slice(-8)},${i % 2 ? "f" : "m"},ES,${i % 2 ? "Alpha" : ""}\n`;
		const job = await importFile(c.http, club.staff, csv);
		assert.equal(job.status, "completed", JSON.stringify(job));
		assert.equal(job.created, 40, JSON.stringify(job));
		const clients = await allClients(c.http, club.admin);
		assert.deepEqual(
			clients.filter(x => x.groupId !== beta.id).map(x => `${x.email} in ${x.groupId === oldDefault.id ? "the old default group" : x.groupId === alpha.id ? "the deleted group" : x.groupId}`),
			[],
			"every row went to the new default group",
		);
		// And on each worker, whichever took the chunks: both have heard both changes.
		for (const [i, w] of workers().entries()) {
			assert.equal((await w.clubDefaults(clubId)).defaultGroupId, beta.id, `worker ${i + 1}: the new default group`);
			assert.equal(await w.groupByName(clubId, "Alpha"), null, `worker ${i + 1}: the deleted group is gone`);
		}
	});
});
