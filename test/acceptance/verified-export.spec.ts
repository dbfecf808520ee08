/** API.md "Clients": verified profiles and the CSV export (and its round trip through the import). */
import assert from "node:assert/strict";
import { platformKey } from "../support/app";
import { assertError, createClient, email, forEachTopology, groupsOf, newClub, poll, uid, type TestClub } from "./support";

const HEADER = "id,full_name,email,phone,gender,country,birth_date,group,tags,categories,verified,created_at";

/** Minimal RFC 4180 parser for the assertions (quotes, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
	const rows: string[][] = [];
	let row: string[] = [], cell = "", quoted = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (quoted) {
			if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; }
			else if (ch === '"') quoted = false;
			else cell += ch;
		} else if (ch === '"') quoted = true;
		else if (ch === ",") { row.push(cell); cell = ""; }
		else if (ch === "\n" || ch === "\r") {
			if (ch === "\r" && text[i + 1] === "\n") i++;
			row.push(cell); rows.push(row); row = []; cell = "";
		} else cell += ch;
	}
	if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
	return rows;
}

forEachTopology("Acceptance: verified profiles", env => {
	let club: TestClub;
	before(async () => {
		club = await newClub(env().http);
	});

	async function profile(over: Record<string, unknown> = {}) {
		const p = { email: email("verified"), fullName: `Vera Fied ${uid()}`, phone: "+34 699 11 22 33", gender: "female", country: "ES", birthDate: "1985-06-15", ...over };
		const res = await env().http.post("/verified-profiles", p, { key: platformKey() });
		assert.equal(res.status, 200, res.text);
		return p;
	}

	it("when a club key registers a verified profile, then it is refused", async () => {
		const res = await env().http.post("/verified-profiles", { email: email(), fullName: "X", phone: "+34699112233", gender: "female", country: "ES" }, { key: club.admin });
		assert.ok([401, 403].includes(res.status), res.text);
	});

	it("when a client is added with a verified e-mail and identity fields that match after normalisation, then 201 verified: true", async () => {
		const { http } = env();
		const p = await profile();
		const res = await http.post("/clients", { fullName: p.fullName, email: `  ${p.email.toUpperCase()} `, phone: "699 112 233", gender: "F", country: "Spain", birthDate: "1985-06-15" }, { key: club.staff });
		assert.equal(res.status, 201, res.text);
		assert.equal(res.body.verified, true);
		assert.equal(res.body.email, p.email);
		assert.equal((await http.get(`/clients?verified=true&q=${encodeURIComponent(p.email)}`, { key: club.viewer })).body.items.length, 1);
	});

	it("when identity fields differ from the profile, then 403 VERIFIED_PROFILE_MISMATCH naming the fields, never echoing the profile's values, and nothing created", async () => {
		const { http } = env();
		const p = await profile({ fullName: "Secret Profilename", phone: "+34 677 55 44 33" });
		const res = await http.post("/clients", { fullName: "Someone Else", email: p.email, phone: "+34 600 00 00 01", gender: "female", country: "ES" }, { key: club.staff });
		assertError(res, 403, "VERIFIED_PROFILE_MISMATCH");
		assert.deepEqual([...res.body.data.fields].sort(), ["fullName", "phone"]);
		for (const secret of ["Secret Profilename", "Profilename", "+34677554433", "677554433", "1985-06-15"]) assert.ok(!res.text.includes(secret), `leaks ${secret}`);
		assert.equal((await http.get(`/clients?q=${encodeURIComponent(p.email)}`, { key: club.viewer })).body.items.length, 0);
	});

	it("when a verified client's identity field is patched, then 403 VERIFIED_CLIENT_READ_ONLY; club-owned fields stay editable", async () => {
		const { http } = env();
		const p = await profile();
		const c = (await http.post("/clients", { fullName: p.fullName, email: p.email, phone: p.phone, gender: p.gender, country: p.country }, { key: club.staff })).body;
		assert.equal(c.verified, true);
		for (const patch of [{ fullName: "New Name" }, { email: email() }, { phone: "+34 611 00 00 00" }, { gender: "male" }, { country: "FR" }, { birthDate: "2000-01-01" }]) {
			assertError(await http.patch(`/clients/${c.id}`, patch, { key: club.admin }), 403, "VERIFIED_CLIENT_READ_ONLY");
		}
		const g = (await http.post("/groups", { name: `VG ${uid()}` }, { key: club.admin })).body;
		const ok = await http.patch(`/clients/${c.id}`, { notes: "ok", tags: ["t"], groupId: g.id }, { key: club.staff });
		assert.equal(ok.status, 200, ok.text);
		assert.equal(ok.body.notes, "ok");
		assert.equal(ok.body.fullName, p.fullName);
	});

	it("when the verified profile changes, then the linked clients follow", async () => {
		const { http } = env();
		const p = await profile();
		const c = (await http.post("/clients", { fullName: p.fullName, email: p.email, phone: p.phone, gender: p.gender, country: p.country }, { key: club.staff })).body;
		assert.equal(c.verified, true);
		await profile({ email: p.email, fullName: "Renamed Person", phone: "+34 688 77 66 55" });
		const got = await poll(() => http.get(`/clients/${c.id}`, { key: club.viewer }), r => r.body.fullName === "Renamed Person", 5000);
		assert.equal(got.body.phone, "+34688776655");
		assert.equal(got.body.verified, true);
	});
});

forEachTopology("Acceptance: export", env => {
	let club: TestClub;
	let clients: any[];
	before(async () => {
		const { http } = env();
		club = await newClub(http);
		clients = [
			await createClient(http, club, { fullName: "=HYPERLINK(\"http://evil\")", tags: ["b", "a"], birthDate: "2001-09-09", notes: "n" }),
			await createClient(http, club, { fullName: "Zoé, \"the\" Player", gender: "male", country: "FR", phone: "+33 6 12 34 56 78" }),
			await createClient(http, club, { fullName: "@Tab Case", gender: "other" }),
		];
	});

	async function exportText(qs = ""): Promise<{ text: string; rows: string[][]; contentType: string }> {
		const res = await env().http.get(`/clients/export${qs}`, { key: club.viewer });
		assert.equal(res.status, 200, res.text);
		const text = res.text.replace(/^\uFEFF/, "");
		return { text, rows: parseCsv(text).filter(r => r.length > 1 || r[0] !== ""), contentType: res.headers.get("content-type") ?? "" };
	}

	it("when clients are exported, then text/csv with the exact header line and one row per client", async () => {
		const { text, rows, contentType } = await exportText();
		assert.match(contentType, /^text\/csv/);
		assert.equal(text.split(/\r?\n/)[0], HEADER);
		assert.equal(rows.length, 4);
		const ids = rows.slice(1).map(r => r[0]).sort();
		assert.deepEqual(ids, clients.map(c => c.id).sort());
	});

	it("when cells start with = + - @ (phones included), then they are prefixed with a quote", async () => {
		const { rows } = await exportText();
		const byId = new Map(rows.slice(1).map(r => [r[0], r]));
		const evil = byId.get(clients[0].id)!;
		assert.equal(evil[1], "'=HYPERLINK(\"http://evil\")");
		assert.equal(evil[3], `'${clients[0].phone}`);
		assert.equal(evil[6], "2001-09-09");
		assert.equal(byId.get(clients[2].id)![1], "'@Tab Case");
		assert.equal(byId.get(clients[1].id)![1], "Zoé, \"the\" Player");
		assert.equal(byId.get(clients[1].id)![5], "FR");
		assert.equal(byId.get(clients[1].id)![7], "Default");
		assert.equal(byId.get(clients[1].id)![10], "false");
	});

	it("when a group name or a tag starts with = or -, then those cells are quoted too", async () => {
		const { http } = env();
		const local = await newClub(http);
		const g = (await http.post("/groups", { name: "=SUM(A1)" }, { key: local.admin })).body;
		const c = await createClient(http, local, { groupId: g.id, tags: ["-x"] });
		const res = await http.get("/clients/export", { key: local.viewer });
		const rows = parseCsv(res.text.replace(/^\uFEFF/, ""));
		const row = rows.find(r => r[0] === c.id)!;
		assert.equal(row[7], "'=SUM(A1)");
		assert.equal(row[8], "'-x");
	});

	it("when the export is filtered, then the same filters as the list apply", async () => {
		const { rows } = await exportText("?tag=a");
		assert.deepEqual(rows.slice(1).map(r => r[0]), [clients[0].id]);
	});

	it("when the export is imported into an empty club, then the same clients are recreated", async function () {
		this.timeout(30_000);
		const { http } = env();
		const { text } = await exportText();
		const empty = await newClub(http);
		const job = await http.request("POST", "/imports", { key: empty.staff, rawBody: text, headers: { "content-type": "text/csv" } });
		assert.equal(job.status, 202, job.text);
		const done = await poll(() => http.get(`/imports/${job.body.id}`, { key: empty.viewer }), r => ["completed", "failed", "cancelled"].includes(r.body.status));
		assert.equal(done.body.status, "completed", done.text);
		assert.equal(done.body.created, 3, done.text);
		const list = (await http.get("/clients?limit=500", { key: empty.viewer })).body.items;
		const { byName } = await groupsOf(http, empty);
		const pick = (c: any) => ({ fullName: c.fullName, email: c.email, phone: c.phone, gender: c.gender, country: c.country, birthDate: c.birthDate, tags: [...c.tags].sort() });
		const want = clients.map(pick).sort((a, b) => a.email.localeCompare(b.email));
		const got = list.map(pick).sort((a: any, b: any) => a.email.localeCompare(b.email));
		assert.deepEqual(got, want);
		for (const c of list) assert.equal(c.groupId, byName.Default.id);
	});

	it("when no key is sent to the export, then 401", async () => {
		assert.equal((await env().http.get("/clients/export")).status, 401);
	});
});
