/**
 * Likely duplicates: at creation (POST /clients and the bus's clients.create answer
 * possibleDuplicates) and on demand (GET /clients/:id/duplicates), through the real gateway.
 */
import assert from "node:assert/strict";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";
import { createClientAnswer, email } from "../../../test/support/factories";
import { compare, withinOneEdit } from "../clients.duplicates";


describe("Duplicates: the matching rules (unit)", () => {
	it("when two names are one edit apart, then withinOneEdit says so, and not for two edits", () => {
		for (const [a, b] of [["ana garcia", "ana garcia"], ["ana garcia", "ana garcis"], ["ana garcia", "anna garcia"], ["ana garcia", "an garcia"], ["ana garcia", "naa garcia"], ["ana garcia", "anagarcia"]]) {
			assert.equal(withinOneEdit(a, b), true, `${a} / ${b}`);
			assert.equal(withinOneEdit(b, a), true, `${b} / ${a}`);
		}
		for (const [a, b] of [["ana garcia", "ana garxyz"], ["ana garcia", "anna garcias"], ["ana", "nab"], ["abc", "cab"]]) assert.equal(withinOneEdit(a, b), false, `${a} / ${b}`);
	});

	it("when the name and birth date are the same, then the reason is SAME_NAME_AND_BIRTH_DATE alone; swapped words are SIMILAR_NAME", () => {
		assert.deepEqual(compare({ name: "ana garcia", phone: "+1", birthDate: "1990-01-01" }, { name: "ana garcia", phone: "+2", birthDate: "1990-01-01" }).reasons, ["SAME_NAME_AND_BIRTH_DATE"]);
		assert.deepEqual(compare({ name: "ana garcia", phone: "+1", birthDate: null }, { name: "garcia ana", phone: "+1", birthDate: null }).reasons, ["SAME_PHONE", "SIMILAR_NAME"]);
		assert.deepEqual(compare({ name: "ana garcia", phone: "+1", birthDate: null }, { name: "bruno diaz", phone: "+2", birthDate: null }).reasons, []);
	});
});

describe("Duplicates: POST /clients and GET /clients/:id/duplicates", () => {
	let a: Running;
	let club: TestClub;
	let other: TestClub;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
		other = await newClub(a.http);
	});

	const create = (c: TestClub, over: Record<string, unknown>) => createClientAnswer(a.http, c, { fullName: "Ana García", ...over });

	it("when the first client of a name is created, then possibleDuplicates is empty", async () => {
		const c = await create(club, { fullName: "Zacarías Únicoapellido" });
		assert.deepEqual(c.possibleDuplicates, []);
	});

	it("when a client looks like existing ones, then each is named with its reasons, accent- and case-insensitively", async () => {
		const ana = await create(club, { fullName: "Ana María Fernández", birthDate: "1990-05-01" });
		const samePhone = await create(club, { fullName: "Bruno Díaz", phone: "+34699000111" });
		const otherClub = await create(other, { fullName: "ana maria fernandez", birthDate: "1990-05-01" });

		const accentless = await create(club, { fullName: "ana maria fernandez" });
		assert.deepEqual(accentless.possibleDuplicates, [{ clientId: ana.id, reasons: ["SIMILAR_NAME"] }]);

		const sameBirth = await create(club, { fullName: "ANA MARÍA FERNÁNDEZ", birthDate: "1990-05-01", phone: "+34699000111" });
		const byId = new Map(sameBirth.possibleDuplicates.map((d: any) => [d.clientId, d.reasons]));
		assert.deepEqual(byId.get(ana.id), ["SAME_NAME_AND_BIRTH_DATE"]);
		assert.deepEqual(byId.get(samePhone.id), ["SAME_PHONE"]);
		assert.deepEqual(byId.get(accentless.id), ["SIMILAR_NAME"]);
		assert.ok(!byId.has(otherClub.id), "another club's client is never a duplicate");
		assert.equal(sameBirth.possibleDuplicates[0].clientId, ana.id, "the strongest first");

		const typo = await create(club, { fullName: "Ana Maria Fernandes" });
		assert.ok(typo.possibleDuplicates.some((d: any) => d.clientId === ana.id && d.reasons.includes("SIMILAR_NAME")), JSON.stringify(typo.possibleDuplicates));
		const swapped = await create(club, { fullName: "Fernández Ana María" });
		assert.ok(swapped.possibleDuplicates.some((d: any) => d.clientId === ana.id && d.reasons.includes("SIMILAR_NAME")), JSON.stringify(swapped.possibleDuplicates));
		const far = await create(club, { fullName: "Ana Mario Fernandos" });
		assert.ok(!far.possibleDuplicates.some((d: any) => d.clientId === ana.id), "two letters apart is not similar");
	});

	it("when the duplicates of a client are asked for, then they come best first with client, reasons and score; another club's id is 404", async () => {
		const c = await newClub(a.http);
		const first = await create(c, { fullName: "Lucía Gómez", birthDate: "1985-03-03", phone: "+34688000222" });
		const weak = await create(c, { fullName: "Lucia Gomes" });
		const strong = await create(c, { fullName: "lucia gomez", birthDate: "1985-03-03", phone: "+34688000222" });
		await create(c, { fullName: "Pedro Ruiz" });
		const res = await a.http.get(`/clients/${first.id}/duplicates`, { key: c.viewer });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.body.items.map((d: any) => d.client.id), [strong.id, weak.id]);
		assert.deepEqual(res.body.items[0].reasons, ["SAME_PHONE", "SAME_NAME_AND_BIRTH_DATE"]);
		assert.equal(res.body.items[0].client.fullName, "lucia gomez");
		assert.ok(res.body.items[0].score > res.body.items[1].score);
		assert.deepEqual(res.body.items[1].reasons, ["SIMILAR_NAME"]);
		assert.equal((await a.http.get(`/clients/${first.id}/duplicates`, { key: other.viewer })).status, 404);
		assert.equal((await a.http.get(`/clients/not-a-uuid/duplicates`, { key: c.viewer })).status, 404);
	});

	it("when the bus's clients.create adds a client, then it answers possibleDuplicates too", async () => {
		const c = await newClub(a.http);
		const first = await create(c, { fullName: "Online Person", phone: "+34677000333" });
		const made: any = await a.brokers[0].call("clients.create", { fullName: "Online Persona", email: email(), phone: "+34677000333", gender: "M", country: "ES", source: "online" }, { meta: { clubId: c.club.id } });
		assert.deepEqual(made.possibleDuplicates, [{ clientId: first.id, reasons: ["SAME_PHONE", "SIMILAR_NAME"] }]);
	});

	it("when a duplicate is deleted, then it is no longer listed", async () => {
		const c = await newClub(a.http);
		const first = await create(c, { fullName: "Gone Soon" });
		const second = await create(c, { fullName: "Gone Soon" });
		assert.equal(second.possibleDuplicates.length, 1);
		assert.equal((await a.http.del(`/clients/${first.id}`, { key: c.staff })).status, 204);
		assert.deepEqual((await a.http.get(`/clients/${second.id}/duplicates`, { key: c.viewer })).body.items, []);
	});
});
