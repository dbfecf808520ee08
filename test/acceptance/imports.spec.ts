/** API.md "Imports" and PRODUCT.md §7. */
import assert from "node:assert/strict";
import { platformKey } from "../support/app";
import { assertError, assertInvalid, email, esMobile, forEachTopology, groupsOf, newClub, poll, uid, type TestClub } from "./support";

const JOB_KEYS = ["created", "error", "failed", "fileName", "finishedAt", "id", "processedRows", "rowsPerSecond", "skipped", "startedAt", "status", "totalRows", "updated", "warnings"];
const TERMINAL = ["completed", "failed", "cancelled"];

forEachTopology("Acceptance: imports", env => {
	let club: TestClub;
	before(async () => {
		club = await newClub(env().http);
	});

	async function start(c: TestClub, body: string | Buffer, qs = "", contentType = "text/csv") {
		const res = await env().http.request("POST", `/imports${qs}`, { key: c.staff, rawBody: body, headers: { "content-type": contentType } });
		return res;
	}
	async function finish(c: TestClub, id: string) {
		const res = await poll(() => env().http.get(`/imports/${id}`, { key: c.viewer }), r => TERMINAL.includes(r.body?.status), 20_000);
		return res.body;
	}
	async function run(c: TestClub, body: string | Buffer, qs = "", contentType = "text/csv") {
		const res = await start(c, body, qs, contentType);
		assert.equal(res.status, 202, res.text);
		return finish(c, res.body.id);
	}
	const errorsOf = async (c: TestClub, id: string) => {
		const res = await env().http.get(`/imports/${id}/errors`, { key: c.viewer });
		assert.equal(res.status, 200, res.text);
		return res.body.items as any[];
	};
	const byEmail = async (c: TestClub, e: string) => {
		const res = await env().http.get(`/clients?q=${encodeURIComponent(e)}`, { key: c.viewer });
		return res.body.items.find((x: any) => x.email === e);
	};
	const sumOk = (j: any) => assert.equal(j.created + j.updated + j.skipped + j.failed, j.totalRows, JSON.stringify(j));

	it("when a CSV is posted, then 202 with the job, which completes with exact counts and creates the clients with source import", async () => {
		const { http } = env();
		const local = await newClub(http);
		const e1 = email("imp"), e2 = email("imp");
		const csv = `full name,email,phone,gender,country,birth date,notes,tags\nAna Uno,${e1},612345678,F,ES,1990-01-02,hello,"A; b|c"\nBen Dos,${e2},+33 6 12 34 56 78,male,France,,,\n`;
		const res = await start(local, csv);
		assert.equal(res.status, 202, res.text);
		for (const k of JOB_KEYS) assert.ok(k in res.body, `job has ${k}`);
		assert.ok(["queued", "running", "completed"].includes(res.body.status));
		const job = await finish(local, res.body.id);
		assert.equal(job.status, "completed", JSON.stringify(job));
		assert.equal(job.totalRows, 2);
		assert.equal(job.processedRows, 2);
		assert.equal(job.created, 2);
		sumOk(job);
		assert.equal(job.error, null);
		assert.ok(job.startedAt && job.finishedAt);
		assert.equal(typeof job.rowsPerSecond, "number");
		const ana = await byEmail(local, e1);
		assert.equal(ana.fullName, "Ana Uno");
		assert.equal(ana.phone, "+34612345678");
		assert.equal(ana.gender, "female");
		assert.equal(ana.birthDate, "1990-01-02");
		assert.equal(ana.notes, "hello");
		assert.equal(ana.source, "import");
		assert.deepEqual([...ana.tags].sort(), ["a", "b", "c"]);
		assert.equal(ana.groupId, (await groupsOf(http, local)).byName.Default.id);
		const ben = await byEmail(local, e2);
		assert.equal(ben.country, "FR");
		assert.equal(ben.phone, "+33612345678");
	});

	it("when rows are invalid, then valid rows are imported and each error carries the physical line number, field and code; ?format=csv gives the same", async () => {
		const local = await newClub(env().http);
		const ok1 = email("ok"), ok2 = email("ok");
		const csv = [
			"Full Name,Email,Phone,Gender,Country,Notes",
			`Good One,${ok1},612345678,F,ES,"two`,
			`line notes"`,
			`Bad Mail,not-an-email,612345679,F,ES,`,
			`Good Two,${ok2},612345670,M,ES,`,
			`Dup Two,${ok2.toUpperCase()},612345671,M,ES,`,
			`Bad Phone,${email("bp")},12,F,ES,`,
		].join("\r\n") + "\r\n";
		const job = await run(local, csv);
		assert.equal(job.status, "completed", JSON.stringify(job));
		assert.equal(job.totalRows, 5);
		assert.equal(job.created, 2);
		assert.equal(job.failed, 3);
		sumOk(job);
		const errs = await errorsOf(local, job.id);
		const simplified = errs.map(e => ({ line: e.line, field: e.field, code: e.code })).sort((a, b) => a.line - b.line);
		assert.equal(simplified.length, 3, JSON.stringify(errs));
		assert.deepEqual(simplified.map(e => e.line), [4, 6, 7]);
		assert.equal(simplified[0].field, "email");
		assert.equal(simplified[1].code, "DUPLICATE_IN_FILE");
		assert.equal(simplified[2].field, "phone");
		for (const e of errs) assert.equal(typeof e.message, "string");
		assert.match((await byEmail(local, ok1)).notes, /^two\r?\nline notes$/);
		const csvErrs = await env().http.get(`/imports/${job.id}/errors?format=csv`, { key: local.viewer });
		assert.equal(csvErrs.status, 200);
		assert.match(csvErrs.headers.get("content-type") ?? "", /^text\/csv/);
		const lines = csvErrs.text.replace(/^\uFEFF/, "").trim().split(/\r?\n/);
		assert.match(lines[0], /line/);
		assert.match(lines[0], /field/);
		assert.match(lines[0], /code/);
		assert.equal(lines.length, 4);
		assert.ok(lines.some(l => l.includes("DUPLICATE_IN_FILE") && l.startsWith("6")), csvErrs.text);
	});

	it("when headers are French with ; delimiters, first and last name and single-letter genders, then they are recognised", async () => {
		const local = await newClub(env().http);
		const e1 = email("fr"), e2 = email("fr");
		const csv = `Prénom;Nom;Courriel;Téléphone;Sexe;Pays;Date de naissance\nMarie;Curie;${e1};06 12 34 56 78;F;France;1967-11-07\nPierre;Dupont;${e2};06 12 34 56 79;H;fr;\n`;
		const job = await run(local, csv);
		assert.equal(job.created, 2, JSON.stringify(job));
		const marie = await byEmail(local, e1);
		assert.equal(marie.fullName, "Marie Curie");
		assert.equal(marie.gender, "female");
		assert.equal(marie.phone, "+33612345678");
		assert.equal(marie.birthDate, "1967-11-07");
		assert.equal((await byEmail(local, e2)).gender, "male");
	});

	it("when headers are Spanish (Sexo: H hombre, M mujer) and German (Geschlecht: M male, W female), then genders follow the header's language", async () => {
		const local = await newClub(env().http);
		const es1 = email("es"), es2 = email("es"), de1 = email("de"), de2 = email("de");
		const es = `Nombre,Apellidos,Correo electrónico,Móvil,Sexo,País\nJuan,García,${es1},612000001,H,España\nLucía,Pérez,${es2},612000002,M,ES\n`;
		const de = `Vorname\tNachname\tE-Mail\tHandy\tGeschlecht\tLand\nHans\tMüller\t${de1}\t+49 151 23456789\tM\tDeutschland\nGreta\tSchmidt\t${de2}\t+49 151 23456780\tW\tDE\n`;
		const j1 = await run(local, es);
		assert.equal(j1.created, 2, JSON.stringify(j1));
		const j2 = await run(local, de, "?delimiter=tab");
		assert.equal(j2.created, 2, JSON.stringify(j2));
		assert.equal((await byEmail(local, es1)).gender, "male");
		assert.equal((await byEmail(local, es2)).gender, "female");
		assert.equal((await byEmail(local, es1)).fullName, "Juan García");
		assert.equal((await byEmail(local, de1)).gender, "male");
		assert.equal((await byEmail(local, de2)).gender, "female");
		assert.equal((await byEmail(local, de1)).country, "DE");
	});

	it("when headers are Italian or Spanish Género, and blank lines are present, then rows are recognised and blank lines are not rows", async () => {
		const local = await newClub(env().http);
		const e1 = email("it"), e2 = email("it"), e3 = email("es");
		const itCsv = `Nome;Cognome;Email;Cellulare;Sesso;Paese;Tags\nGiulia;Rossi;${e1};+39 312 345 6789;F;Italia;"a,b"\n\nMarco;Bianchi;${e2};+39 312 345 6780;M;IT;\n\n`;
		const j1 = await run(local, itCsv);
		assert.equal(j1.totalRows, 2, JSON.stringify(j1));
		assert.equal(j1.created, 2);
		const giulia = await byEmail(local, e1);
		assert.equal(giulia.fullName, "Giulia Rossi");
		assert.equal(giulia.country, "IT");
		assert.equal(giulia.gender, "female");
		assert.deepEqual([...giulia.tags].sort(), ["a", "b"]);
		assert.equal((await byEmail(local, e2)).gender, "male");
		const j2 = await run(local, `Nombre completo,Email,Teléfono,Género,País\nPaco Díaz,${e3},612000777,H,ES\n`);
		assert.equal(j2.created, 1, JSON.stringify(j2));
		assert.equal((await byEmail(local, e3)).gender, "male");
	});

	it("when the file is Windows-1252 or UTF-8 with a BOM, then accents survive", async () => {
		const local = await newClub(env().http);
		const e1 = email("w"), e2 = email("b");
		const latin = Buffer.from(`Nom complet;E-mail;Téléphone;Sexe;Pays\nJosé Núñez;${e1};612000003;H;ES\n`, "latin1");
		const j1 = await run(local, latin);
		assert.equal(j1.created, 1, JSON.stringify(j1));
		assert.equal((await byEmail(local, e1)).fullName, "José Núñez");
		const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`Full name,Email,Phone,Gender,Country\nZoë Ørsted,${e2},612000004,F,ES\n`, "utf8")]);
		const j2 = await run(local, bom);
		assert.equal(j2.created, 1, JSON.stringify(j2));
		assert.equal((await byEmail(local, e2)).fullName, "Zoë Ørsted");
	});

	it("when the same file is imported twice with skip, then nothing is created the second time; with update, the rows update", async () => {
		const local = await newClub(env().http);
		const e1 = email("tw"), e2 = email("tw");
		const csv = `Full name,Email,Phone,Gender,Country\nOne,${e1},612000005,F,ES\nTwo,${e2},612000006,M,ES\n`;
		const first = await run(local, csv);
		assert.equal(first.created, 2);
		const second = await run(local, csv);
		assert.equal(second.status, "completed");
		assert.equal(second.created, 0);
		assert.equal(second.skipped, 2);
		sumOk(second);
		const changed = csv.replace("One,", "One Changed,");
		const third = await run(local, changed, "?onDuplicate=update");
		assert.equal(third.created, 0);
		assert.equal(third.updated + third.skipped, 2, JSON.stringify(third));
		assert.ok(third.updated >= 1);
		assert.equal((await byEmail(local, e1)).fullName, "One Changed");
	});

	it("when a row matches a verified client, then the import never updates it", async () => {
		const { http } = env();
		const local = await newClub(http);
		const p = { email: email("vi"), fullName: `Veri ${uid()}`, phone: "+34 612 000 007", gender: "female", country: "ES" };
		assert.equal((await http.post("/verified-profiles", p, { key: platformKey() })).status, 200);
		const c = (await http.post("/clients", p, { key: local.staff })).body;
		assert.equal(c.verified, true);
		const job = await run(local, `Full name,Email,Phone,Gender,Country\nSomebody Else,${p.email},612000008,M,FR\n`, "?onDuplicate=update");
		assert.equal(job.updated, 0, JSON.stringify(job));
		sumOk(job);
		const after = (await http.get(`/clients/${c.id}`, { key: local.viewer })).body;
		assert.equal(after.fullName, p.fullName);
		assert.equal(after.country, "ES");
	});

	it("when a group column names a group, then clients land in it (unknown name: default group and a warning); unknown columns give a warning", async () => {
		const { http } = env();
		const local = await newClub(http);
		const g = (await http.post("/groups", { name: "Juniors" }, { key: local.admin })).body;
		const e1 = email("g"), e2 = email("g");
		const job = await run(local, `Full name,Email,Phone,Gender,Country,Group,Shoe size\nA,${e1},612000009,F,ES,juniors,42\nB,${e2},612000010,F,ES,Nope,43\n`);
		assert.equal(job.created, 2, JSON.stringify(job));
		assert.equal((await byEmail(local, e1)).groupId, g.id);
		assert.equal((await byEmail(local, e2)).groupId, (await groupsOf(http, local)).byName.Default.id);
		assert.ok(Array.isArray(job.warnings) && job.warnings.length >= 2, JSON.stringify(job.warnings));
		const w = JSON.stringify(job.warnings);
		assert.match(w, /Shoe size/i);
		assert.match(w, /Nope/);
	});

	it("when groupId and tags are given in the query, then imported clients get them", async () => {
		const { http } = env();
		const local = await newClub(http);
		const g = (await http.post("/groups", { name: "Imported" }, { key: local.admin })).body;
		const e1 = email("q");
		const job = await run(local, `Full name,Email,Phone,Gender,Country\nQ,${e1},612000011,F,ES\n`, `?groupId=${g.id}&tags=Spring,Promo`);
		assert.equal(job.created, 1, JSON.stringify(job));
		const c = await byEmail(local, e1);
		assert.equal(c.groupId, g.id);
		assert.deepEqual([...c.tags].sort(), ["promo", "spring"]);
	});

	it("when dryRun=true, then the job reports what would happen and nothing is written", async () => {
		const local = await newClub(env().http);
		const e1 = email("dry");
		const job = await run(local, `Full name,Email,Phone,Gender,Country\nD,${e1},612000012,F,ES\nBad,x,1,F,ES\n`, "?dryRun=true");
		assert.equal(job.status, "completed");
		assert.equal(job.totalRows, 2);
		assert.equal(job.failed, 1);
		sumOk(job);
		assert.equal(await byEmail(local, e1), undefined);
	});

	it("when required columns are missing, then the job fails with a clear message and no row is written", async () => {
		const local = await newClub(env().http);
		const e1 = email("miss");
		const job = await run(local, `Full name,Email,Gender\nM,${e1},F\n`);
		assert.equal(job.status, "failed", JSON.stringify(job));
		assert.equal(typeof job.error, "string");
		assert.match(job.error, /phone/i);
		assert.match(job.error, /country/i);
		assert.equal(job.created, 0);
		assert.equal(await byEmail(local, e1), undefined);
	});

	it("when the file is sent as multipart/form-data (field file), then it is imported and fileName is kept", async () => {
		const local = await newClub(env().http);
		const e1 = email("mp");
		const form = new FormData();
		form.append("file", new Blob([`Full name,Email,Phone,Gender,Country\nMP,${e1},612000013,F,ES\n`], { type: "text/csv" }), "clients.csv");
		const res = await fetch(`${env().running.baseUrl}/api/v1/imports`, { method: "POST", body: form, headers: { authorization: `Bearer ${local.staff}` } });
		assert.equal(res.status, 202, await res.clone().text());
		const body: any = await res.json();
		assert.equal(body.fileName, "clients.csv");
		const job = await finish(local, body.id);
		assert.equal(job.created, 1, JSON.stringify(job));
	});

	it("when options are invalid, then 422 naming the option", async () => {
		assertInvalid(await start(club, "a,b\n", "?onDuplicate=merge"), "onDuplicate");
		assertInvalid(await start(club, "a,b\n", "?delimiter=|"), "delimiter");
		assertInvalid(await start(club, "a,b\n", "?encoding=latin9"), "encoding");
	});

	it("when the body is neither CSV nor multipart (application/xml, a JSON object of import options), then 415 and no job", async () => {
		const before = (await env().http.get("/imports?limit=500", { key: club.viewer })).body.items.length;
		assertError(await start(club, "<clients/>", "", "application/xml"), 415, "UNSUPPORTED_MEDIA_TYPE");
		assertError(await start(club, "{}", "", "application/json"), 415, "UNSUPPORTED_MEDIA_TYPE");
		assertError(await start(club, JSON.stringify({ a: 1 }), "", "application/json"), 415, "UNSUPPORTED_MEDIA_TYPE"); // any keys
		assert.equal((await env().http.get("/imports?limit=500", { key: club.viewer })).body.items.length, before);
	});

	it("when jobs are listed or read by another club or a viewer posts, then the list shape, 404 and 403", async () => {
		const { http } = env();
		const job = await run(club, `Full name,Email,Phone,Gender,Country\nL,${email("l")},612000014,F,ES\n`);
		const list = await http.get("/imports", { key: club.viewer });
		assert.equal(list.status, 200);
		assert.deepEqual(Object.keys(list.body).sort(), ["items", "nextCursor"]);
		assert.ok(list.body.items.some((j: any) => j.id === job.id));
		const other = await newClub(http);
		assertError(await http.get(`/imports/${job.id}`, { key: other.viewer }), 404, "NOT_FOUND");
		assertError(await http.get(`/imports/${job.id}/errors`, { key: other.viewer }), 404, "NOT_FOUND");
		const viewerPost = await http.request("POST", "/imports", { key: club.viewer, rawBody: "a\n", headers: { "content-type": "text/csv" } });
		assertError(viewerPost, 403, "FORBIDDEN");
	});

	it("when a finished job is cancelled, then a 409 conflict; another club's job is a 404", async () => {
		const { http } = env();
		const job = await run(club, `Full name,Email,Phone,Gender,Country\nK,${email("k")},612000016,F,ES\n`);
		assert.equal(job.status, "completed");
		const res = await http.post(`/imports/${job.id}/cancel`, {}, { key: club.staff });
		assertError(res, 409);
		assert.equal((await http.get(`/imports/${job.id}`, { key: club.viewer })).body.status, "completed");
		const other = await newClub(http);
		assertError(await http.post(`/imports/${job.id}/cancel`, {}, { key: other.staff }), 404, "NOT_FOUND");
	});

	it("when a job runs, then imports.progress and imports.finished are emitted with the club id", async () => {
		const { waitForEvent } = env();
		const local = await newClub(env().http);
		const job = await run(local, `Full name,Email,Phone,Gender,Country\nE,${email("ev")},612000015,F,ES\n`);
		const fin = await waitForEvent(e => e.name === "imports.finished" && e.payload?.job?.id === job.id);
		assert.equal(fin.payload.clubId, local.club.id);
		await waitForEvent(e => e.name === "imports.progress" && e.payload?.job?.id === job.id);
	});

	it("when a few hundred rows are imported, then counts add up exactly", async function () {
		this.timeout(30_000);
		const local = await newClub(env().http);
		const rows = ["Full name,Email,Phone,Gender,Country"];
		for (let i = 0; i < 300; i++) rows.push(`Row ${i},${i % 50 === 7 ? "broken" : email("bulk")},${esMobile().e164},${i % 2 ? "F" : "M"},ES`);
		const job = await run(local, rows.join("\n") + "\n");
		assert.equal(job.totalRows, 300);
		assert.equal(job.failed, 6);
		assert.equal(job.created, 294);
		sumOk(job);
	});

	it("when a running import is cancelled, then no row is written afterwards and the job's counts no longer change", async function () {
		this.timeout(60_000);
		const { http } = env();
		const local = await newClub(http);
		const rows = ["Full name,Email,Phone,Gender,Country"];
		for (let i = 0; i < 40_000; i++) rows.push(`R ${i},r${i}.${uid()}@example.com,${esMobile().e164},F,ES`);
		const started = await http.request("POST", "/imports", { key: local.staff, rawBody: rows.join("\n"), headers: { "content-type": "text/csv" } });
		assert.equal(started.status, 202, started.text);
		const cancelled = await http.post(`/imports/${started.body.id}/cancel`, {}, { key: local.staff });
		assert.equal(cancelled.status, 200, cancelled.text);
		assert.equal(cancelled.body.status, "cancelled");
		await new Promise(r => setTimeout(r, 3000));
		const later = (await http.get(`/imports/${started.body.id}`, { key: local.viewer })).body;
		assert.equal(later.processedRows, cancelled.body.processedRows);
		assert.equal(later.created, cancelled.body.created);
		assert.deepEqual(later, cancelled.body, "an ended job no longer changes (counts, totalRows, finishedAt, warnings)");
		assert.ok(cancelled.body.finishedAt);
		const count = (await http.get("/groups", { key: local.viewer })).body.items.find((g: any) => g.isDefault).clientCount;
		assert.equal(count, cancelled.body.created);
	});
});
