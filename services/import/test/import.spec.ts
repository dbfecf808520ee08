/**
 * CSV import through the real gateway on real Postgres (the embedded default: every service
 * in one process, the in-process channel adapter). A corpus of real-world-shaped files:
 * French Excel (Windows-1252, `;`, CRLF), UTF-8 BOM with quoted newlines, tab-separated
 * Spanish, German, Italian UTF-16, bad rows, an unclosed quote, empty and binary files.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { request as httpRequest } from "node:http";
import { app, newClub, platformKey, type Http, type TestClub } from "../../../test/support/app";
import { allClients, allErrors, fixture, importFile, upload, waitForJob } from "./helpers";
import * as q from "../import.queries";

const byEmail = (clients: any[]) => new Map(clients.map(c => [c.email, c]));
const sumOk = (job: any) => assert.equal(job.created + job.updated + job.skipped + job.failed, job.totalRows, JSON.stringify(job));

describe("Imports: the file corpus", function () {
	this.timeout(60_000);
	let http: Http;
	let club: TestClub;

	before(async () => {
		http = (await app()).http;
		club = await newClub(http);
	});

	it("when a French Excel file (Windows-1252, ';', CRLF, Prénom + Nom) is imported, then every row is created with its accents and normalised fields", async () => {
		const job = await importFile(http, club.staff, fixture("fr-excel-cp1252.csv"), { fileName: "clients.csv" });
		assert.equal(job.status, "completed");
		assert.equal(job.fileName, "clients.csv");
		assert.deepEqual([job.totalRows, job.processedRows, job.created, job.failed], [4, 4, 4, 0]);
		sumOk(job);
		assert.ok(job.warnings.some((w: string) => w.includes("'Inconnu'")), JSON.stringify(job.warnings));
		const clients = byEmail(await allClients(http, club.viewer));
		const zoe = clients.get("zoe.lefevre@example.fr");
		assert.equal(zoe.fullName, "Zoé Lefèvre");
		assert.equal(zoe.phone, "+33612345678");
		assert.equal(zoe.gender, "female");
		assert.equal(zoe.country, "FR");
		assert.equal(zoe.birthDate, "1990-05-17");
		assert.deepEqual(zoe.tags, ["débutant", "tennis"]);
		assert.equal(zoe.source, "import");
		const jerome = clients.get("jerome.muller@example.fr");
		assert.equal(jerome.fullName, "Jérôme Müller");
		assert.equal(jerome.gender, "male");
		assert.equal(clients.get("anais.cote@example.fr").country, "FR");
		assert.equal(clients.get("benoit.garcon@example.fr").gender, "male");
		const groups = (await http.get("/groups", { key: club.viewer })).body.items;
		const def = groups.find((g: any) => g.isDefault);
		assert.equal(clients.get("anais.cote@example.fr").groupId, def.id, "an unknown group name lands in the default group");
	});

	it("when a UTF-8 file with BOM has quoted cells holding newlines and delimiters, then they are read whole and line numbers stay physical", async () => {
		const job = await importFile(http, club.staff, fixture("en-utf8-bom-multiline.csv"));
		assert.equal(job.status, "completed");
		assert.deepEqual([job.totalRows, job.created, job.failed], [4, 4, 0], JSON.stringify(await allErrors(http, club.staff, job.id)));
		const clients = byEmail(await allClients(http, club.viewer));
		assert.equal(clients.get("alice@example.com").notes, "Likes mornings, hates rain");
		assert.equal(clients.get("bob@example.com").notes, "Line one\nline two\nline three");
		assert.deepEqual(clients.get("bob@example.com").tags, ["a", "b", "c"]);
		assert.equal(clients.get("carol@example.com").fullName, 'Carol "CJ" White');
		assert.equal(clients.get("carol@example.com").birthDate, "1988-05-17", "month-first when the day cannot be a month");
		assert.equal(clients.get("dan@example.com").country, "GB");
	});

	it("when a tab-separated Spanish file says Sexo M / H, then M is mujer (female) and H hombre (male)", async () => {
		const job = await importFile(http, club.staff, fixture("es-tab.tsv"));
		assert.deepEqual([job.status, job.created, job.failed], ["completed", 3, 0]);
		const clients = byEmail(await allClients(http, club.viewer));
		assert.equal(clients.get("maria.garcia@example.es").gender, "female");
		assert.equal(clients.get("maria.garcia@example.es").fullName, "María García López");
		assert.equal(clients.get("maria.garcia@example.es").phone, "+34612345678");
		assert.equal(clients.get("jose.perez@example.es").gender, "male");
		assert.equal(clients.get("lucia.fernandez@example.es").birthDate, "2001-03-02");
	});

	it("when a German file says Geschlecht W / M / divers and Land Österreich, then genders, countries and dotted dates are normalised", async () => {
		const job = await importFile(http, club.staff, fixture("de-semicolon.csv"));
		assert.deepEqual([job.status, job.created, job.failed], ["completed", 3, 0]);
		const clients = byEmail(await allClients(http, club.viewer));
		assert.equal(clients.get("juergen.gross@example.de").birthDate, "1970-04-03");
		assert.equal(clients.get("juergen.gross@example.de").notes, "Mag Tennis");
		assert.equal(clients.get("anna.schaefer@example.de").gender, "female");
		assert.equal(clients.get("anna.schaefer@example.de").phone, "+491601234567");
		assert.equal(clients.get("kim.weiss@example.de").gender, "other");
		assert.equal(clients.get("kim.weiss@example.de").country, "AT");
	});

	it("when an Italian file is UTF-16 with a BOM, then it is decoded", async () => {
		const job = await importFile(http, club.staff, fixture("it-utf16.csv"));
		assert.deepEqual([job.status, job.created, job.failed], ["completed", 2, 0]);
		const clients = byEmail(await allClients(http, club.viewer));
		assert.equal(clients.get("giulia.rossi@example.it").fullName, "Giulia Rossi");
		assert.equal(clients.get("giulia.rossi@example.it").phone, "+393331234567");
	});

	it("when rows are invalid, then each is reported with its physical line, field and code, and the valid ones are imported", async () => {
		const c = await newClub(http);
		const job = await importFile(http, c.staff, fixture("bad-rows.csv"));
		assert.equal(job.status, "completed");
		assert.deepEqual([job.totalRows, job.created, job.failed, job.skipped, job.updated], [9, 3, 6, 0, 0]);
		sumOk(job);
		const errors = await allErrors(http, c.staff, job.id);
		assert.deepEqual(
			errors.map(e => [e.line, e.field, e.code]),
			[
				[3, "fullName", "REQUIRED"],
				[4, "email", "INVALID_EMAIL"],
				[5, "phone", "INVALID_PHONE"],
				[6, "gender", "INVALID_GENDER"],
				[7, "country", "INVALID_COUNTRY"],
				[10, "email", "DUPLICATE_IN_FILE"],
			],
		);
		assert.ok(errors.every(e => typeof e.message === "string" && e.message.length > 5));
		const csv = await http.get(`/imports/${job.id}/errors?format=csv`, { key: c.viewer });
		assert.equal(csv.status, 200);
		assert.match(csv.headers.get("content-type") ?? "", /^text\/csv/);
		const lines = csv.text.trim().split(/\r\n/);
		assert.equal(lines[0], "line,field,code,message");
		assert.equal(lines.length, 7);
		assert.match(lines[6], /^10,email,DUPLICATE_IN_FILE,/);
		const page = await http.get(`/imports/${job.id}/errors?limit=4`, { key: c.viewer });
		assert.equal(page.body.items.length, 4);
		const next = await http.get(`/imports/${job.id}/errors?limit=4&cursor=${page.body.nextCursor}`, { key: c.viewer });
		assert.deepEqual(next.body.items.map((e: any) => e.line), [7, 10]);
		assert.equal(next.body.nextCursor, null);
	});

	for (const [file, pattern] of [
		["unclosed-quote.csv", /^line 3: unclosed quote/],
		["empty.csv", /empty/],
		["binary-garbage.csv", /not a CSV text file/],
		["missing-columns.csv", /Missing required columns: phone, gender, country/],
	] as const) {
		it(`when the file is ${file}, then the job fails with a clear error${file === "unclosed-quote.csv" ? " naming the line" : ""}`, async () => {
			const c = await newClub(http);
			const res = await upload(http, c.staff, fixture(file));
			assert.equal(res.status, 202, res.text);
			const job = await waitForJob(http, c.staff, res.body.id);
			assert.equal(job.status, "failed");
			assert.match(job.error, pattern);
			assert.ok(job.finishedAt);
			if (file !== "unclosed-quote.csv") {
				assert.equal(job.processedRows, 0);
				assert.equal((await allClients(http, c.viewer)).length, 0, "nothing is written");
			}
		});
	}

	it("when a row is longer than the row limit because a quote never closes, then the job fails at that line instead of swallowing the file", async () => {
		const c = await newClub(http);
		const filler = Array.from({ length: 3000 }, (_, i) => `Person ${i},p${i}@example.com,+34 612 ${String(100000 + i).slice(-6)},f,ES`).join("\n");
		const body = `full name,email,phone,gender,country\nA B,ab@example.com,+34 612 000 001,f,ES\n"Open,open@example.com,+34 612 000 002,f,ES\n${filler}\n`;
		const job = await importFile(http, c.staff, body);
		assert.equal(job.status, "failed");
		assert.match(job.error, /^line 3: unclosed quote or row too long/);
	});

	it("when headers carry other casing, punctuation and unknown columns, then they are recognised and the unknown ones reported as warnings", async () => {
		const c = await newClub(http);
		const body = "  FULL_NAME ;E-MAIL;Mobile Phone;GENDER;country;Shoe size\nAna Ruiz;ana@example.com;+34 611 222 333;f;es;38\n";
		const job = await importFile(http, c.staff, body);
		assert.deepEqual([job.status, job.created], ["completed", 1]);
		assert.ok(job.warnings.some((w: string) => w.includes("'Shoe size'")), JSON.stringify(job.warnings));
	});
});

describe("Imports: duplicates, update, dry run, options", function () {
	this.timeout(60_000);
	let http: Http;

	before(async () => {
		http = (await app()).http;
	});

	it("when the same file is imported twice with skip, then the second import creates nothing", async () => {
		const c = await newClub(http);
		const first = await importFile(http, c.staff, fixture("fr-excel-cp1252.csv"));
		assert.equal(first.created, 4);
		const second = await importFile(http, c.staff, fixture("fr-excel-cp1252.csv"));
		assert.deepEqual([second.status, second.created, second.updated, second.skipped], ["completed", 0, 0, 4]);
		assert.equal((await allClients(http, c.viewer)).length, 4);
	});

	it("when a changed file is imported with onDuplicate=update, then changed clients are updated, unchanged skipped, and verified clients never touched", async () => {
		const c = await newClub(http);
		const email = `verified-${crypto.randomBytes(4).toString("hex")}@example.com`;
		const profile = await http.post("/verified-profiles", { email, fullName: "Vera Fied", phone: "+34 612 999 001", gender: "female", country: "ES" }, { key: platformKey() });
		assert.equal(profile.status, 200, profile.text);
		const made = await http.post("/clients", { email, fullName: "Vera Fied", phone: "+34 612 999 001", gender: "female", country: "ES" }, { key: c.staff });
		assert.equal(made.status, 201, made.text);
		assert.equal(made.body.verified, true);
		const header = "full name,email,phone,gender,country,notes\n";
		await importFile(http, c.staff, header + "Una Uno,una@example.com,+34 612 100 001,f,ES,\nDos Dos,dos@example.com,+34 612 100 002,m,ES,\n");
		const job = await importFile(
			http,
			c.staff,
			header + `Una Uno,una@example.com,+34 612 100 009,f,ES,new phone\nDos Dos,dos@example.com,+34 612 100 002,m,ES,\nVera Changed,${email},+34 612 999 002,female,ES,\nTres,tres@example.com,+34 612 100 003,f,ES,\n`,
			{ onDuplicate: "update" },
		);
		assert.deepEqual([job.status, job.created, job.updated, job.skipped, job.failed], ["completed", 1, 1, 2, 0], JSON.stringify(job));
		const clients = byEmail(await allClients(http, c.viewer));
		assert.equal(clients.get("una@example.com").phone, "+34612100009");
		assert.equal(clients.get("una@example.com").notes, "new phone");
		assert.equal(clients.get(email).fullName, "Vera Fied");
		assert.equal(clients.get(email).phone, "+34612999001");
	});

	it("when a new row has the e-mail of a verified profile but another identity, then it fails with VERIFIED_PROFILE_MISMATCH (values never echoed)", async () => {
		const c = await newClub(http);
		const email = `vp-${crypto.randomBytes(4).toString("hex")}@example.com`;
		await http.post("/verified-profiles", { email, fullName: "Real Name", phone: "+34 612 999 101", gender: "male", country: "ES" }, { key: platformKey() });
		const job = await importFile(http, c.staff, `full name,email,phone,gender,country\nFake Name,${email},+34 612 999 101,male,ES\n`);
		assert.deepEqual([job.created, job.failed], [0, 1]);
		const errors = await allErrors(http, c.staff, job.id);
		assert.deepEqual(errors.map(e => [e.line, e.field, e.code]), [[2, "fullName", "VERIFIED_PROFILE_MISMATCH"]]);
		assert.ok(!errors[0].message.includes("Real Name"));
		const ok = await importFile(http, c.staff, `full name,email,phone,gender,country\nReal Name,${email},+34 612 999 101,H,Spain\n`);
		assert.equal(ok.created, 1);
		assert.equal(byEmail(await allClients(http, c.viewer)).get(email).verified, true);
	});

	it("when dryRun=true, then the job counts what would happen and writes no client", async () => {
		const c = await newClub(http);
		await importFile(http, c.staff, "full name,email,phone,gender,country\nAna,ana@example.com,+34 611 000 001,f,ES\n");
		const job = await importFile(http, c.staff, fixture("bad-rows.csv"), { dryRun: "true" });
		assert.deepEqual([job.status, job.created, job.failed, job.options.dryRun], ["completed", 3, 6, true]);
		const again = await importFile(http, c.staff, "full name,email,phone,gender,country\nAna B,ana@example.com,+34 611 000 001,f,ES\nNew,new@example.com,+34 611 000 002,m,ES\n", { dryRun: "true", onDuplicate: "update" });
		assert.deepEqual([again.created, again.updated, again.skipped], [1, 1, 0]);
		const clients = await allClients(http, c.viewer);
		assert.deepEqual(clients.map(x => x.fullName), ["Ana"]);
	});

	it("when groupId and tags options are given, then imported clients get that group (unless their row names one) and those tags", async () => {
		const c = await newClub(http);
		const vip = (await http.post("/groups", { name: "VIP" }, { key: c.admin })).body;
		const juniors = (await http.post("/groups", { name: "Juniors" }, { key: c.admin })).body;
		const body = "full name,email,phone,gender,country,group,tags\nA A,a@example.com,+34 611 000 001,f,ES,,x\nB B,b@example.com,+34 611 000 002,m,ES,juniors,\n";
		const job = await importFile(http, c.staff, body, { groupId: vip.id, tags: "Summer 2026, Promo" });
		assert.equal(job.created, 2, JSON.stringify(job));
		const clients = byEmail(await allClients(http, c.viewer));
		assert.equal(clients.get("a@example.com").groupId, vip.id);
		assert.deepEqual(clients.get("a@example.com").tags, ["x", "summer 2026", "promo"]);
		assert.equal(clients.get("b@example.com").groupId, juniors.id, "a group named by the row (case-insensitive) wins");
	});

	it("when the groupId or tags options are invalid, then 422 names the field and no job is created", async () => {
		const c = await newClub(http);
		const other = await newClub(http);
		const otherGroup = (await http.get("/groups", { key: other.viewer })).body.items[0];
		for (const query of [{ groupId: otherGroup.id }, { groupId: "nope" }, { tags: "x".repeat(41) }, { onDuplicate: "merge" }, { delimiter: "|" }, { unknown: "1" }]) {
			const res = await upload(http, c.staff, fixture("es-tab.tsv"), query as unknown as Record<string, string>);
			assert.equal(res.status, 422, `${JSON.stringify(query)}: ${res.text}`);
			assert.ok(Array.isArray(res.body.data) && res.body.data[0].field, res.text);
		}
		for (const tags of ["ok,a;b", "a|b"]) {
			const res = await upload(http, c.staff, fixture("es-tab.tsv"), { tags });
			assert.equal(res.status, 422, `${tags}: ${res.text}`);
			assert.deepEqual(res.body.data.map((d: any) => [d.field, d.type]), [[`tags[${tags.split(",").length - 1}]`, "tagSeparator"]], tags);
			assert.match(res.body.data[0].message, /in the 'tags' option/);
		}
		assert.equal((await http.get("/imports", { key: c.viewer })).body.items.length, 0);
	});

	it("when delimiter and encoding are forced, then they are used", async () => {
		const c = await newClub(http);
		// The header has more commas than semicolons: sniffing would pick ','.
		const body = Buffer.from("full name;email;phone;gender;country;a,b,c,d,e,f\r\nRenée Dupré;renee@example.fr;06 12 00 00 01;F;FR;x\r\n", "latin1");
		const job = await importFile(http, c.staff, body, { delimiter: ";", encoding: "windows-1252" });
		assert.deepEqual([job.status, job.created], ["completed", 1], JSON.stringify(job));
		assert.equal((await allClients(http, c.viewer))[0].fullName, "Renée Dupré");
	});
});

describe("Imports: the API around jobs", function () {
	this.timeout(60_000);
	let http: Http;

	before(async () => {
		http = (await app()).http;
	});

	it("when uploading as multipart/form-data, then the 'file' part is imported under its file name", async () => {
		const c = await newClub(http);
		const form = new FormData();
		form.append("note", "ignored");
		form.append("file", new Blob([fixture("de-semicolon.csv")], { type: "text/csv" }), "kunden.csv");
		const res = await fetch(`${(await app()).baseUrl}/api/v1/imports?onDuplicate=skip`, { method: "POST", body: form, headers: { authorization: `Bearer ${c.staff}` } });
		const body: any = await res.json();
		assert.equal(res.status, 202, JSON.stringify(body));
		assert.equal(res.headers.get("location"), `/api/v1/imports/${body.id}`);
		const job = await waitForJob(http, c.staff, body.id);
		assert.deepEqual([job.status, job.created, job.fileName], ["completed", 3, "kunden.csv"]);
		const noFile = new FormData();
		noFile.append("other", new Blob(["x"]), "x.csv");
		const bad = await fetch(`${(await app()).baseUrl}/api/v1/imports`, { method: "POST", body: noFile, headers: { authorization: `Bearer ${c.staff}` } });
		assert.equal(bad.status, 422);
	});

	it("when a viewer uploads, then 403; when another club asks for a job, then 404; non-UUID ids are 404", async () => {
		const c = await newClub(http);
		const other = await newClub(http);
		assert.equal((await upload(http, c.viewer, fixture("es-tab.tsv"))).status, 403);
		const job = await importFile(http, c.staff, fixture("es-tab.tsv"));
		for (const path of [`/imports/${job.id}`, `/imports/${job.id}/errors`, `/imports/${job.id}/errors?format=csv`, "/imports/not-a-uuid", "/imports/not-a-uuid/errors"]) {
			assert.equal((await http.get(path, { key: other.admin })).status, 404, path);
		}
		assert.equal((await http.post(`/imports/${job.id}/cancel`, undefined, { key: other.staff })).status, 404);
		assert.equal((await http.post(`/imports/${job.id}/cancel`, undefined, { key: c.viewer })).status, 403);
		const list = await http.get("/imports", { key: other.viewer });
		assert.deepEqual(list.body.items, []);
	});

	it("when jobs are listed, then newest first, paginated", async () => {
		const c = await newClub(http);
		const a = await importFile(http, c.staff, fixture("es-tab.tsv"));
		const b = await importFile(http, c.staff, fixture("es-tab.tsv"));
		const page = await http.get("/imports?limit=1", { key: c.viewer });
		assert.deepEqual(page.body.items.map((j: any) => j.id), [b.id]);
		const next = await http.get(`/imports?limit=1&cursor=${page.body.nextCursor}`, { key: c.viewer });
		assert.deepEqual(next.body.items.map((j: any) => j.id), [a.id]);
	});

	it("when a finished job is cancelled, then 409 IMPORT_FINISHED", async () => {
		const c = await newClub(http);
		const job = await importFile(http, c.staff, fixture("es-tab.tsv"));
		const res = await http.post(`/imports/${job.id}/cancel`, undefined, { key: c.staff });
		assert.equal(res.status, 409);
		assert.equal(res.body.type, "IMPORT_FINISHED");
	});

	it("when a job is cancelled while its file is still uploading, then it stops, ends cancelled and its rows stay exact", async () => {
		const c = await newClub(http);
		const { baseUrl } = await app();
		let release!: () => void;
		const gate = new Promise<void>(r => (release = r));
		const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => `P ${from + i},p${from + i}@example.com,+34 612 ${String(100000 + from + i).slice(-6)},f,ES\n`).join("");
		// A slow upload on its own connection (node:http), paused half-way until the job is cancelled.
		const pending = new Promise<{ status: number; body: string }>((resolve, reject) => {
			const req = httpRequest(`${baseUrl}/api/v1/imports`, { method: "POST", agent: false, headers: { authorization: `Bearer ${c.staff}`, "content-type": "text/csv" } }, res => {
				let body = "";
				res.on("data", d => (body += d));
				res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
			});
			req.on("error", reject);
			req.write("full name,email,phone,gender,country\n" + rows(0, 5000));
			void gate.then(() => req.end(rows(5000, 5000)));
		});
		let running: any;
		for (let i = 0; i < 200 && !running; i++) {
			running = (await http.get("/imports", { key: c.viewer })).body.items[0];
			if (!running) await new Promise(r => setTimeout(r, 25));
		}
		assert.ok(running, "the job exists while the file is uploading");
		const cancel = await http.post(`/imports/${running.id}/cancel`, undefined, { key: c.staff });
		assert.equal(cancel.status, 200, cancel.text);
		assert.equal(cancel.body.status, "cancelled");
		release();
		const res = await pending;
		assert.equal(res.status, 202, res.body);
		const job = await waitForJob(http, c.staff, running.id);
		assert.equal(job.status, "cancelled");
		assert.ok(job.totalRows < 10_000, `reading stopped (${job.totalRows} rows read)`);
		assert.equal(job.created + job.skipped + job.failed + job.updated, job.processedRows);
	});

	it("when a job is cancelled while chunks are being written, then the cancel waits for them, later chunks are dropped, and the ended job counts exactly the clients written, for good", async () => {
		const running = await app();
		const broker = running.brokers[0];
		const importSvc: any = broker.getLocalService("import");
		const clientsDb: any = (broker.getLocalService("clients") as any).db;
		const chunkRows: number = importSvc.chunkRows;
		const c = await newClub(http);
		const n = crypto.randomBytes(3).toString("hex");
		// Four clients the file names again, one at the top of each of its first four chunks (skipped as duplicates).
		const blockers = [0, 1, 2, 3].map(k => `block${k}.${n}@example.com`);
		const defaultGroup = (await http.get("/groups", { key: c.viewer })).body.items.find((g: any) => g.isDefault);
		const lines = ["full name,email,phone,gender,country"];
		for (let i = 0; i < chunkRows * 10; i++) {
			const k = i / chunkRows;
			lines.push(Number.isInteger(k) && k < 4 ? `Blocker,${blockers[k]},+34 612 345 678,f,ES` : `Row ${i},row${i}.${n}@example.com,+34 612 345 678,f,ES`);
		}
		// The blockers, inserted by a transaction held open: the INSERT of each chunk naming one
		// waits for it (same unique e-mail), mid-write; once it commits, those rows are duplicates.
		const stall = await clientsDb.transaction();
		let cancel: Promise<any> | undefined;
		let uploaded: Promise<{ status: number }> | undefined;
		try {
			await stall("clients").insert(
				blockers.map(email => ({ club_id: c.club.id, id: crypto.randomUUID(), full_name: "Blocker", email, phone: "+34612345678", gender: "female", country: "ES", group_id: defaultGroup.id, source: "staff" })),
			);
			// On its own connection (node:http): a connection whose upload was cut short is not reused for the next request.
			uploaded = new Promise<{ status: number }>((resolve, reject) => {
				const req = httpRequest(`${running.baseUrl}/api/v1/imports`, { method: "POST", agent: false, headers: { authorization: `Bearer ${c.staff}`, "content-type": "text/csv" } }, r => {
					r.resume();
					r.on("end", () => resolve({ status: r.statusCode ?? 0 }));
				});
				req.on("error", reject);
				req.end(lines.join("\n"));
			});
			let job: any;
			for (let i = 0; i < 400; i++) {
				job = (await http.get("/imports", { key: c.viewer })).body.items[0];
				const waiting = Number((await clientsDb.raw("SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'")).rows[0].n);
				if (job && waiting >= 4) break;
				await new Promise(r => setTimeout(r, 25));
			}
			assert.ok(job, "the job exists");
			let settled = false;
			cancel = http.post(`/imports/${job.id}/cancel`, undefined, { key: c.staff }).then(r => ((settled = true), r));
			await new Promise(r => setTimeout(r, 400));
			assert.equal(settled, false, "the cancel waits for the chunks being written");
			const meanwhile = (await http.get(`/imports/${job.id}`, { key: c.viewer })).body;
			assert.deepEqual([meanwhile.status, meanwhile.processedRows], ["running", 0]);
			await stall.commit();
		} finally {
			if (!stall.isCompleted()) await stall.rollback();
		}
		const res = await cancel!;
		assert.equal(res.status, 200, res.text);
		const ended = res.body;
		assert.equal(ended.status, "cancelled");
		assert.ok(ended.finishedAt);
		assert.deepEqual(
			[ended.processedRows, ended.created, ended.updated, ended.skipped, ended.failed],
			[4 * chunkRows, 4 * (chunkRows - 1), 0, 4, 0],
			"the four chunks being written are counted; the six others were dropped",
		);
		assert.equal((await uploaded!).status, 202);
		await new Promise(r => setTimeout(r, 500));
		assert.deepEqual((await http.get(`/imports/${ended.id}`, { key: c.viewer })).body, ended, "an ended job no longer changes");
		const def = (await http.get("/groups", { key: c.viewer })).body.items.find((g: any) => g.isDefault);
		assert.equal(def.clientCount, blockers.length + ended.created, "what the job reports is what was written");
		// And nothing records into an ended job, whoever tries.
		const late = await importSvc.db.transaction((trx: any) => q.recordChunk(trx, { id: ended.id, club_id: c.club.id }, 9, { rows: 1, created: 1, updated: 0, skipped: 0, failed: 0 }, []));
		assert.equal(late, false);
		assert.deepEqual((await http.get(`/imports/${ended.id}`, { key: c.viewer })).body, ended);
	});

	it("when the club's export is imported into an empty club, then the same clients come back", async () => {
		const a = await newClub(http);
		await importFile(http, a.staff, fixture("en-utf8-bom-multiline.csv"));
		await importFile(http, a.staff, fixture("fr-excel-cp1252.csv"));
		await http.post("/clients", { fullName: "=cmd|' /C calc'!A0", email: "formula@example.com", phone: "+34 612 555 001", gender: "other", country: "ES", tags: ["-minus", "@at"] }, { key: a.staff });
		const exported = await http.get("/clients/export", { key: a.viewer });
		assert.equal(exported.status, 200);
		assert.match(exported.text, /'\+33612345678/, "the export guards phones");
		const b = await newClub(http);
		const job = await importFile(http, b.staff, exported.text);
		assert.deepEqual([job.status, job.failed], ["completed", 0], JSON.stringify(await allErrors(http, b.staff, job.id)));
		assert.ok(!job.warnings.some((w: string) => /'(id|categories|verified|created_at)'/.test(w)), JSON.stringify(job.warnings));
		const groupNames = async (key: string) => new Map((await http.get("/groups", { key })).body.items.map((g: any) => [g.id, g.name]));
		const [ga, gb] = [await groupNames(a.viewer), await groupNames(b.viewer)];
		const pick = (groups: Map<any, any>) => (x: any) => [x.email, x.fullName, x.phone, x.gender, x.country, x.birthDate, groups.get(x.groupId), [...x.tags].sort().join("|")].join(" / ");
		const before = (await allClients(http, a.viewer)).map(pick(ga)).sort();
		const after = (await allClients(http, b.viewer)).map(pick(gb)).sort();
		assert.equal(after.length, 9);
		assert.deepEqual(after, before);
	});
});

describe("Imports: the operator CLI", function () {
	this.timeout(60_000);

	it("when `npm run import -- FILE --key …` runs, then it streams the file, follows the job and prints the summary", async () => {
		const { http, baseUrl } = await app();
		const c = await newClub(http);
		const { spawn } = await import("node:child_process");
		const path = await import("node:path");
		const root = path.resolve(__dirname, "..", "..", "..");
		const errorsFile = path.join(require("node:os").tmpdir(), `import-errors-${crypto.randomBytes(3).toString("hex")}.csv`);
		const run = (args: string[]) =>
			new Promise<{ code: number | null; out: string }>(resolve => {
				const child = spawn(process.execPath, ["--import", "tsx", "scripts/import-cli.ts", ...args], { cwd: root, env: { ...process.env, CLUBHOUSE_API_KEY: "" } });
				let out = "";
				child.stdout.on("data", d => (out += d));
				child.stderr.on("data", d => (out += d));
				child.on("exit", code => resolve({ code, out }));
			});
		const ok = await run([path.join(__dirname, "fixtures", "bad-rows.csv"), "--url", baseUrl, "--key", c.staff, "--errors", errorsFile]);
		assert.equal(ok.code, 0, ok.out);
		assert.match(ok.out, /Import completed/);
		assert.match(ok.out, /created: +3/);
		assert.match(ok.out, /failed: +6/);
		assert.match(require("node:fs").readFileSync(errorsFile, "utf8"), /^line,field,code,message\r\n3,fullName,REQUIRED,/);
		const jobs = (await http.get("/imports", { key: c.viewer })).body.items;
		assert.equal(jobs[0].fileName, "bad-rows.csv");
		const refused = await run([path.join(__dirname, "fixtures", "bad-rows.csv"), "--url", baseUrl, "--key", c.viewer]);
		assert.equal(refused.code, 1);
		assert.match(refused.out, /Upload refused: 403/);
		const noKey = await run([path.join(__dirname, "fixtures", "bad-rows.csv"), "--url", baseUrl]);
		assert.equal(noKey.code, 2);
	});
});

describe("Imports: the errors list pages like every list", function () {
	this.timeout(60_000);

	it("when GET /imports/:id/errors gets limit outside 1..500, then 422; without limit, pages of 50 that a cursor walks to the end", async () => {
		const { http } = await app();
		const c = await newClub(http);
		const bad = Array.from({ length: 120 }, (_, i) => `Row ${i},not-an-email-${i},+34 612 000 ${String(i).padStart(3, "0")},f,ES`).join("\n");
		const job = await importFile(http, c.staff, `full name,email,phone,gender,country\n${bad}\n`);
		assert.equal(job.failed, 120);
		for (const limit of ["0", "501", "1000", "-1", "x"]) {
			const res = await http.get(`/imports/${job.id}/errors?limit=${limit}`, { key: c.viewer });
			assert.equal(res.status, 422, `limit=${limit}: ${res.text}`);
			assert.equal(res.body.data[0].field, "limit");
		}
		assert.equal((await http.get(`/imports/${job.id}/errors?limit=500`, { key: c.viewer })).body.items.length, 120);
		const lines: number[] = [];
		let cursor: string | null = null;
		let pages = 0;
		do {
			const res: any = await http.get(`/imports/${job.id}/errors${cursor ? `?cursor=${cursor}` : ""}`, { key: c.viewer });
			assert.equal(res.status, 200, res.text);
			assert.ok(res.body.items.length <= 50);
			lines.push(...res.body.items.map((e: any) => e.line));
			cursor = res.body.nextCursor;
			pages++;
		} while (cursor);
		assert.equal(pages, 3);
		assert.deepEqual(lines, Array.from({ length: 120 }, (_, i) => i + 2));
	});
});
