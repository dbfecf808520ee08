/**
 * Verified profiles of the booking platform: registered with the platform key, matched by
 * e-mail when a club adds a client, read-only identity afterwards, followed on change.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { app, newClub, platformKey, type Running, type TestClub } from "../../../test/support/app";
import { recordEvents } from "../../../test/support/events";
import { person } from "./helpers";

const mail = () => `verified.${crypto.randomBytes(4).toString("hex")}@example.com`;

describe("Clients: verified profiles (single process)", () => {
	let a: Running;
	let club: TestClub;
	let other: TestClub;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
		other = await newClub(a.http, { country: "FR" });
	});

	const profile = (email: string, over: Record<string, unknown> = {}) => ({ email, fullName: "Lucía Fernández", phone: "+34 622 111 222", gender: "mujer", country: "Spain", birthDate: "1992-03-04", ...over });
	const register = (body: Record<string, unknown>, key = platformKey()) => a.http.post("/verified-profiles", body, { key });

	it("when the platform registers a profile, then 200 with normalised fields; a club key is 403; bad input 422", async () => {
		const email = mail();
		const res = await register(profile(` ${email.toUpperCase()} `));
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(
			{ ...res.body, createdAt: undefined, updatedAt: undefined },
			{ email, fullName: "Lucía Fernández", phone: "+34622111222", gender: "female", country: "ES", birthDate: "1992-03-04", linkedClients: 0, createdAt: undefined, updatedAt: undefined },
		);
		assert.equal((await register(profile(mail()), club.admin)).status, 403);
		assert.equal((await register(profile(mail()))).status, 200);
		const bad = await register({ email: "x", fullName: "", phone: "1", gender: "?", country: "Atlantis", verified: true });
		assert.equal(bad.status, 422);
		assert.deepEqual(bad.body.data.map((d: any) => d.field).sort(), ["verified"]);
		const bad2 = await register({ email: "x", fullName: "", phone: "1", gender: "?", country: "Atlantis" });
		assert.deepEqual(bad2.body.data.map((d: any) => d.field).sort(), ["country", "email", "fullName", "gender"]);
	});

	it("when a club adds a client whose e-mail has a profile and every field matches (typed differently), then it is verified", async () => {
		const email = mail();
		await register(profile(email));
		const res = await a.http.post("/clients", { fullName: "  Lucía   Fernández", email: email.toUpperCase(), phone: "622 11 12 22", gender: "F", country: "es", notes: "club note", tags: ["Pro"] }, { key: club.staff });
		assert.equal(res.status, 201, res.text);
		assert.equal(res.body.verified, true);
		// Issue 12: a value the club did not send is never answered (the profile's birth date was).
		assert.equal(res.body.birthDate, null, "no birth date was sent: none is shown");
		assert.equal(res.body.notes, "club note");
		assert.deepEqual(res.body.tags, ["pro"]);
	});

	it("when a submitted identity field differs from the profile, then 403 VERIFIED_PROFILE_MISMATCH naming the fields, never the profile's values", async () => {
		const email = mail();
		await register(profile(email, { fullName: "Secret Person Name", phone: "+34 699 888 777" }));
		const res = await a.http.post("/clients", person({ email, fullName: "Other Name", phone: "+34 612 345 678", gender: "female", country: "ES", birthDate: "1992-03-04" }), { key: club.staff });
		assert.equal(res.status, 403);
		assert.equal(res.body.type, "VERIFIED_PROFILE_MISMATCH");
		assert.deepEqual(res.body.data, { fields: ["fullName", "phone"] });
		for (const secret of ["Secret", "699", "888"]) assert.ok(!res.text.includes(secret), secret);
		const bd = await a.http.post("/clients", person({ email, fullName: "Secret Person Name", phone: "+34699888777", gender: "f", country: "ES", birthDate: "1992-03-05" }), { key: club.staff });
		assert.equal(bd.status, 403);
		assert.deepEqual(bd.body.data, { fields: ["birthDate"] });
		const search = await a.http.get(`/clients?q=${encodeURIComponent(email)}`, { key: club.staff });
		assert.equal(search.body.items.length, 0);
	});

	it("when staff edits a verified client, then identity changes are 403 VERIFIED_CLIENT_READ_ONLY, same values and club fields are fine", async () => {
		const email = mail();
		await register(profile(email));
		const c = (await a.http.post("/clients", profile(email), { key: club.staff })).body;
		assert.equal(c.verified, true);
		for (const change of [{ fullName: "New Name" }, { email: mail() }, { phone: "+34 600 000 001" }, { gender: "male" }, { country: "FR" }, { birthDate: "1990-01-01" }, { birthDate: null }]) {
			const res = await a.http.patch(`/clients/${c.id}`, change, { key: club.staff });
			assert.equal(res.status, 403, JSON.stringify(change));
			assert.equal(res.body.type, "VERIFIED_CLIENT_READ_ONLY");
			assert.deepEqual(res.body.data, { fields: Object.keys(change) });
		}
		const same = await a.http.patch(`/clients/${c.id}`, { fullName: " Lucía Fernández ", phone: "622111222", gender: "Femme", country: "España", notes: "VIP", tags: ["Gold"] }, { key: club.staff });
		assert.equal(same.status, 200, same.text);
		assert.equal(same.body.notes, "VIP");
		assert.deepEqual(same.body.tags, ["gold"]);
		const groups = (await a.http.get("/groups", { key: club.admin })).body.items;
		const moved = await a.http.patch(`/clients/${c.id}`, { groupId: groups.find((g: any) => g.system).id }, { key: club.staff });
		assert.equal(moved.status, 200);
		const cat = (await a.http.post("/categories", { name: `V ${email.slice(9, 15)}` }, { key: club.admin })).body;
		assert.equal((await a.http.put(`/clients/${c.id}/categories/${cat.id}`, {}, { key: club.staff })).status, 200);
		assert.equal((await a.http.post("/clients/bulk", { clientIds: [c.id], addTags: ["bulk"] }, { key: club.staff })).status, 200);
	});

	it("when an unverified client's e-mail is changed to a profile's, then it must match it and becomes verified", async () => {
		const email = mail();
		await register(profile(email));
		const c = (await a.http.post("/clients", person({ fullName: "Lucía Fernández", phone: "+34622111222", gender: "female", country: "ES" }), { key: club.staff })).body;
		const other = (await a.http.post("/clients", person({ fullName: "Not Her", gender: "male" }), { key: club.staff })).body;
		const refused = await a.http.patch(`/clients/${other.id}`, { email }, { key: club.staff });
		assert.equal(refused.status, 403);
		assert.equal(refused.body.type, "VERIFIED_PROFILE_MISMATCH");
		assert.deepEqual(refused.body.data.fields, ["fullName", "phone", "gender"]);
		const ok = await a.http.patch(`/clients/${c.id}`, { email }, { key: club.staff });
		assert.equal(ok.status, 200, ok.text);
		assert.equal(ok.body.verified, true);
		// Issue 12: the client had no birth date and the club sent none: the profile's is not answered.
		assert.equal(ok.body.birthDate, null);
	});

	it("when the profile changes, then every linked client in every club follows it and clients.updated is emitted", async () => {
		const email = mail();
		await register(profile(email));
		const rec = await recordEvents(a.brokers[0], ["clients.*"]);
		try {
			const here = (await a.http.post("/clients", profile(email), { key: club.staff })).body;
			const there = (await a.http.post("/clients", profile(email, { phone: "+34622111222" }), { key: other.staff })).body;
			const res = await register(profile(email, { fullName: "Lucía Fernández Ruiz", phone: "+33 6 11 22 33 44", country: "FR" }));
			assert.equal(res.status, 200);
			assert.equal(res.body.linkedClients, 2);
			for (const [c, k] of [[here, club], [there, other]] as const) {
				const got = (await a.http.get(`/clients/${c.id}`, { key: k.viewer })).body;
				assert.deepEqual([got.fullName, got.phone, got.country, got.verified], ["Lucía Fernández Ruiz", "+33611223344", "FR", true]);
				const ev = await rec.waitFor(e => e.name === "clients.updated" && e.payload.client?.id === c.id);
				assert.equal(ev.payload.clubId, k.club.id);
				assert.equal(ev.payload.client.fullName, "Lucía Fernández Ruiz");
			}
			// Same profile again: nothing changes, nothing is announced.
			assert.equal((await register(profile(email, { fullName: "Lucía Fernández Ruiz", phone: "+33611223344", country: "FR" }))).body.linkedClients, 0);
			// A deleted client no longer follows.
			await a.http.del(`/clients/${there.id}`, { key: other.staff });
			assert.equal((await register(profile(email))).body.linkedClients, 1);
		} finally {
			await rec.stop();
		}
	});

	it("when the booking system creates an online client with a profile's e-mail, then it is verified too", async () => {
		const email = mail();
		await register(profile(email));
		const c: any = await a.brokers[0].call("clients.create", { ...profile(email), source: "online" }, { meta: { clubId: club.club.id } });
		assert.equal(c.verified, true);
		assert.equal(c.source, "online");
		await assert.rejects(
			a.brokers[0].call("clients.create", { ...profile(email, { fullName: "Bob" }), source: "online" }, { meta: { clubId: other.club.id } }),
			(err: any) => err.type === "VERIFIED_PROFILE_MISMATCH" && err.code === 403,
		);
	});
});
