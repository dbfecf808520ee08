/**
 * A group's deletion moves its clients before its transaction (no bus call while it holds the
 * groups' locks). Whatever the interleaving of deletions that chain into each other, no client
 * is left pointing at a deleted group. (The rounds do not force the narrowest interleaving, a
 * target deleted between the move and the lock; groups.service.ts adopts those clients too.)
 */
import assert from "node:assert/strict";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";
import { createClient } from "../../../test/support/factories";

describe("Groups: deletions that race", () => {
	let a: Running;
	let club: TestClub;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
	});

	const create = async (name: string) => (await a.http.post("/groups", { name }, { key: club.admin })).body;

	it("when a group and the group receiving its clients are deleted at once, then every client ends in a group that exists", async () => {
		for (let round = 0; round < 4; round++) {
			const [from, via, to] = [await create(`From ${round}`), await create(`Via ${round}`), await create(`To ${round}`)];
			const clients = await Promise.all([from, from, via].map(g => createClient(a.http, club.staff, { groupId: g.id })));
			const [first, second] = await Promise.all([
				a.http.del(`/groups/${from.id}?moveClientsTo=${via.id}`, { key: club.admin }),
				a.http.del(`/groups/${via.id}?moveClientsTo=${to.id}`, { key: club.admin }),
			]);
			assert.equal(second.status, 204, second.text);
			assert.ok([204, 422].includes(first.status), first.text);
			const groups = new Set(((await a.http.get("/groups?limit=500", { key: club.viewer })).body.items as Array<{ id: string }>).map(g => g.id));
			for (const c of clients) {
				const groupId = (await a.http.get(`/clients/${c.id}`, { key: club.viewer })).body.groupId;
				assert.ok(groups.has(groupId), `round ${round}: client ${c.id} is in ${groupId}, a deleted group (first delete: ${first.status})`);
			}
		}
	});
});
