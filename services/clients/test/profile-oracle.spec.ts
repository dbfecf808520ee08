/**
 * A verified profile is no oracle for other clubs (issue 12): the 403 still names the
 * mismatching fields (never values), but a club gets a few mismatching attempts per e-mail
 * and hour (then 429 TOO_MANY_ATTEMPTS with Retry-After, durable in Postgres, whatever the
 * route: POST /clients, PATCH e-mail, CSV import, in parallel too), and no answer carries an
 * identity value the club did not send.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { app, newClub, platformKey, type Running, type TestClub } from "../../../test/support/app";
import { importFile, allErrors } from "../../import/test/helpers";
import { PROFILE_ATTEMPTS } from "../clients.profile-throttle";

const mail = () => `oracle.${crypto.randomBytes(5).toString("hex")}@example.com`;
const BIRTH = "1988-07-19";

describe("Clients: a verified profile is no oracle", function () {
	this.timeout(60_000);
	let a: Running;

	before(async () => {
		a = await app();
	});

	async function register(email: string) {
		const res = await a.http.post("/verified-profiles", { email, fullName: "Olga Oracle", phone: "+34 633 444 555", gender: "female", country: "ES", birthDate: BIRTH }, { key: platformKey() });
		assert.equal(res.status, 200, res.text);
	}
	const body = (email: string, birthDate?: string) => ({ fullName: "Olga Oracle", email, phone: "+34633444555", gender: "female", country: "ES", ...(birthDate ? { birthDate } : {}) });
	const guess = (club: TestClub, email: string, day: number) => a.http.post("/clients", body(email, `1988-07-${String(day).padStart(2, "0")}`), { key: club.staff });

	it("when a club steps through birth dates, then after a few mismatches every attempt is 429 with Retry-After, even the right one", async () => {
		const club = await newClub(a.http);
		const email = mail();
		await register(email);
		for (let day = 1; day <= PROFILE_ATTEMPTS; day++) {
			const res = await guess(club, email, day);
			assert.equal(res.status, 403, res.text);
			assert.equal(res.body.type, "VERIFIED_PROFILE_MISMATCH");
			assert.deepEqual(res.body.data, { fields: ["birthDate"] });
			assert.ok(!res.text.includes(BIRTH));
		}
		for (const day of [6, 19]) {
			const res = await guess(club, email, day);
			assert.equal(res.status, 429, res.text);
			assert.equal(res.body.type, "TOO_MANY_ATTEMPTS");
			const retry = Number(res.headers.get("retry-after"));
			assert.ok(retry > 0 && retry <= 3600, `Retry-After ${res.headers.get("retry-after")}`);
		}
		// Another club, and another e-mail of this club, are not held back.
		const other = await newClub(a.http);
		assert.equal((await guess(other, email, 19)).status, 201);
		const email2 = mail();
		await register(email2);
		assert.equal((await guess(club, email2, 19)).status, 201);
	});

	it("when many mismatching guesses arrive at once, then at most the allowed number are answered 403 and the rest 429", async () => {
		const club = await newClub(a.http);
		const email = mail();
		await register(email);
		const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => guess(club, email, i + 1 === 19 ? 28 : i + 1)));
		const statuses = answers.map(r => r.status);
		assert.equal(statuses.filter(s => s === 403).length, PROFILE_ATTEMPTS, statuses.join(","));
		assert.equal(statuses.filter(s => s === 429).length, 24 - PROFILE_ATTEMPTS, statuses.join(","));
	});

	it("when attempts match, or fail on something else, then they do not count", async () => {
		const club = await newClub(a.http);
		const email = mail();
		await register(email);
		for (let i = 0; i < PROFILE_ATTEMPTS + 2; i++) {
			const bad = await a.http.post("/clients", { ...body(email, BIRTH), groupId: crypto.randomUUID() }, { key: club.staff });
			assert.equal(bad.status, 422, bad.text);
		}
		const ok = await a.http.post("/clients", body(email, BIRTH), { key: club.staff });
		assert.equal(ok.status, 201, ok.text);
		for (let i = 0; i < PROFILE_ATTEMPTS + 2; i++) assert.equal((await a.http.post("/clients", body(email, BIRTH), { key: club.staff })).status, 409);
	});

	it("when a create leaves out birthDate, then the verified client shows none, now and after the profile changes", async () => {
		const club = await newClub(a.http);
		const email = mail();
		await register(email);
		const res = await a.http.post("/clients", body(email), { key: club.staff });
		assert.equal(res.status, 201, res.text);
		assert.equal(res.body.verified, true);
		assert.equal(res.body.birthDate, null);
		assert.ok(!res.text.includes(BIRTH));
		assert.equal((await a.http.get(`/clients/${res.body.id}`, { key: club.viewer })).body.birthDate, null);
		// The profile changes: the linked client follows, except the birth date it never had.
		const changed = await a.http.post("/verified-profiles", { email, fullName: "Olga Oracle-Nueva", phone: "+34 633 444 555", gender: "female", country: "ES", birthDate: "1988-07-20" }, { key: platformKey() });
		assert.equal(changed.status, 200, changed.text);
		const after = (await a.http.get(`/clients/${res.body.id}`, { key: club.viewer })).body;
		assert.equal(after.fullName, "Olga Oracle-Nueva");
		assert.equal(after.birthDate, null);
		const csv = await a.http.get("/clients/export", { key: club.viewer });
		assert.ok(!csv.text.includes("1988-07-"), "the export shows no birth date either");
		// A club that gave the birth date sees it follow the profile.
		const other = await newClub(a.http);
		const given = await a.http.post("/clients", { ...body(email, "1988-07-20"), fullName: "Olga Oracle-Nueva" }, { key: other.staff });
		assert.equal(given.status, 201, given.text);
		assert.equal(given.body.birthDate, "1988-07-20");
	});

	it("when an e-mail change (PATCH) is used to guess, then it is counted and throttled too, and a match shows no birth date the client did not have", async () => {
		const club = await newClub(a.http);
		const email = mail();
		await register(email);
		const created = await a.http.post("/clients", { ...body(`pre.${email}`), birthDate: "1988-07-01" }, { key: club.staff });
		assert.equal(created.status, 201, created.text);
		for (let day = 1; day <= PROFILE_ATTEMPTS; day++) {
			await a.http.patch(`/clients/${created.body.id}`, { birthDate: `1988-07-${String(day).padStart(2, "0")}` }, { key: club.staff });
			const res = await a.http.patch(`/clients/${created.body.id}`, { email }, { key: club.staff });
			assert.equal(res.status, 403, res.text);
			assert.deepEqual(res.body.data, { fields: ["birthDate"] });
		}
		await a.http.patch(`/clients/${created.body.id}`, { birthDate: null }, { key: club.staff });
		const held = await a.http.patch(`/clients/${created.body.id}`, { email }, { key: club.staff });
		assert.equal(held.status, 429, held.text);
		assert.ok(Number(held.headers.get("retry-after")) > 0);
		// In another club, the e-mail change of a client without a birth date matches and shows none.
		const other = await newClub(a.http);
		const c2 = await a.http.post("/clients", body(`pre2.${email}`), { key: other.staff });
		const moved = await a.http.patch(`/clients/${c2.body.id}`, { email }, { key: other.staff });
		assert.equal(moved.status, 200, moved.text);
		assert.equal(moved.body.verified, true);
		assert.equal(moved.body.birthDate, null);
	});

	it("when a CSV import carries guesses, then they count with the others and rows past the limit fail TOO_MANY_ATTEMPTS; a row without birth date gets none", async () => {
		const club = await newClub(a.http);
		const email = mail();
		await register(email);
		for (let day = 1; day < PROFILE_ATTEMPTS; day++) assert.equal((await guess(club, email, day)).status, 403);
		const header = "full_name,email,phone,gender,country,birth_date";
		const row = (birth: string) => `Olga Oracle,${email},+34633444555,female,ES,${birth}`;
		const first = await importFile(a.http, club.staff, [header, row("1988-07-09")].join("\n"));
		assert.equal(first.failed, 1, JSON.stringify(first));
		assert.deepEqual((await allErrors(a.http, club.staff, first.id)).map((e: any) => [e.field, e.code]), [["birthDate", "VERIFIED_PROFILE_MISMATCH"]]);
		const second = await importFile(a.http, club.staff, [header, row(BIRTH)].join("\n"));
		assert.equal(second.failed, 1, JSON.stringify(second));
		assert.deepEqual((await allErrors(a.http, club.staff, second.id)).map((e: any) => [e.field, e.code]), [["email", "TOO_MANY_ATTEMPTS"]]);
		assert.equal((await guess(club, email, 19)).status, 429);
		// Another club imports the person without a birth date: verified, no birth date shown.
		const other = await newClub(a.http);
		const job = await importFile(a.http, other.staff, [header, row("")].join("\n"));
		assert.equal(job.created, 1, JSON.stringify(job));
		const listed = await a.http.get(`/clients?q=${encodeURIComponent(email)}`, { key: other.viewer });
		assert.equal(listed.body.items[0].verified, true);
		assert.equal(listed.body.items[0].birthDate, null);
	});
});
