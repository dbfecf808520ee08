/**
 * GET /clients/export: a CSV that is safe in Excel, streamed page by page, and that parses
 * back to the same clients.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { Readable } from "node:stream";
import csvParser from "csv-parser";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";
import { csvCell, neutralise } from "../../../lib/csv";
import { person } from "./helpers";

const HEADER = "id,full_name,email,phone,gender,country,birth_date,group,tags,categories,verified,created_at";

async function parse(text: string): Promise<Array<Record<string, string>>> {
	const rows: Array<Record<string, string>> = [];
	await new Promise<void>((resolve, reject) =>
		Readable.from([text.replace(/^\uFEFF/, "")])
			.pipe(csvParser())
			.on("data", r => rows.push(r))
			.on("end", resolve)
			.on("error", reject),
	);
	return rows;
}

/** What the import does with a cell: drop the formula guard. */
const unguard = (cell: string) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);

describe("Clients: CSV export (single process)", () => {
	let a: Running;
	let club: TestClub;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
	});

	it("when a cell starts with = + - @ tab or CR, then it is prefixed with ' and quoted when needed", () => {
		for (const bad of ["=1+1", "+33612345678", "-5", "@SUM(A1)", "\tx", "\rx"]) assert.equal(neutralise(bad), `'${bad}`);
		for (const ok of ["Ana", "a=b", "1+1", "", "'quoted"]) assert.equal(neutralise(ok), ok);
		assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
		assert.equal(csvCell("O'Neil, Marc"), `"O'Neil, Marc"`);
		assert.equal(csvCell("two\nlines"), `"two\nlines"`);
		assert.equal(csvCell(null), "");
	});

	it("when the club exports, then BOM + the exact header, and every client parses back to the same data", async () => {
		const cat = (await a.http.post("/categories", { name: "Junior, U18", discountPercent: 10 }, { key: club.admin })).body;
		const groups = (await a.http.get("/groups", { key: club.admin })).body.items;
		const ext = groups.find((g: any) => g.system);
		const made: any[] = [];
		for (const p of [
			person({ fullName: "=HYPERLINK(\"http://evil\",\"click\")", tags: ["+plus", "vip"], birthDate: "1980-12-31" }),
			person({ fullName: "Zoë \"Zed\" Müller", country: "DE", phone: "+49 151 23456789", groupId: ext.id, notes: "not exported" }),
			person({ fullName: "@ana, la de Sevilla", tags: ["-minus"] }),
		]) {
			const res = await a.http.post("/clients", p, { key: club.staff });
			assert.equal(res.status, 201, res.text);
			made.push(res.body);
		}
		made[2] = (await a.http.put(`/clients/${made[2].id}/categories/${cat.id}`, { validFrom: "2026-01-01" }, { key: club.staff })).body;
		const res = await a.http.get("/clients/export", { key: club.viewer });
		assert.equal(res.status, 200, res.text);
		assert.match(res.headers.get("content-type") ?? "", /^text\/csv; charset=utf-8/);
		assert.match(res.headers.get("content-disposition") ?? "", /^attachment; filename="clients-\d{4}-\d\d-\d\d\.csv"$/);
		const bytes = Buffer.from(await (await fetch(`${a.baseUrl}/api/v1/clients/export`, { headers: { authorization: `Bearer ${club.viewer}` } })).arrayBuffer());
		assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 BOM");
		assert.equal(res.text.replace(/^\uFEFF/, "").split("\r\n")[0], HEADER);
		const rows = await parse(res.text);
		assert.equal(rows.length, 3);
		// Newest first, as the list.
		assert.deepEqual(rows.map(r => r.id), [made[2].id, made[1].id, made[0].id]);
		for (const r of rows) {
			for (const cell of Object.values(r)) assert.ok(!/^[=+\-@\t\r]/.test(cell), `unguarded cell ${cell}`);
		}
		const groupName = (id: string) => groups.find((g: any) => g.id === id).name;
		for (const c of made) {
			const r = rows.find(x => x.id === c.id)!;
			const back = {
				id: r.id,
				fullName: unguard(r.full_name),
				email: r.email,
				phone: unguard(r.phone),
				gender: r.gender,
				country: r.country,
				birthDate: r.birth_date || null,
				group: r.group,
				tags: r.tags ? unguard(r.tags).split("|") : [],
				categories: r.categories ? r.categories.split("|") : [],
				verified: r.verified === "true",
				createdAt: r.created_at,
			};
			assert.deepEqual(back, {
				id: c.id,
				fullName: c.fullName,
				email: c.email,
				phone: c.phone,
				gender: c.gender,
				country: c.country,
				birthDate: c.birthDate,
				group: groupName(c.groupId),
				tags: c.tags,
				categories: c.categories.map(() => "Junior, U18"),
				verified: c.verified,
				createdAt: c.createdAt,
			});
		}
		assert.equal(rows.find(r => r.id === made[0].id)!.phone, `'${made[0].phone}`);
		assert.ok(!res.text.includes("not exported"));
	});

	it("when filters are given, then the export holds exactly the list's clients; a viewer may export, another club sees none of them", async () => {
		const c = await newClub(a.http);
		for (const p of [person({ tags: ["vip"], fullName: "Élodie Martin" }), person({ fullName: "Bruno Martin" }), person({ fullName: "Carla Vip", tags: ["vip"] })]) {
			await a.http.post("/clients", p, { key: c.staff });
		}
		for (const qs of ["tag=vip", "q=martin", "q=elodie&tag=vip", "verified=true", `groupId=${crypto.randomUUID()}`, "groupId=nope", ""]) {
			const list = (await a.http.get(`/clients?${qs}`, { key: c.viewer })).body.items.map((i: any) => i.id);
			const exp = await a.http.get(`/clients/export?${qs}`, { key: c.viewer });
			assert.equal(exp.status, 200, qs);
			assert.deepEqual((await parse(exp.text)).map(r => r.id), list, qs);
		}
		assert.equal((await a.http.get("/clients/export?verified=perhaps", { key: c.viewer })).status, 422);
		const foreign = await parse((await a.http.get("/clients/export", { key: club.viewer })).text);
		const mine = await parse((await a.http.get("/clients/export", { key: c.viewer })).text);
		assert.ok(!foreign.some(r => mine.some(m => m.id === r.id)));
		assert.equal((await a.http.get("/clients/export")).status, 401);
	});

	it("when /clients/export is requested, then the export action answers (the /clients/:id route does not capture it)", async () => {
		const res = await a.http.get("/clients/export", { key: club.viewer });
		assert.equal(res.status, 200);
		assert.ok(res.text.replace(/^\uFEFF/, "").startsWith(`${HEADER}\r\n`));
		const api: any = a.brokers[0].getLocalService("api");
		const order = api.aliases.filter((al: any) => al.method === "GET" && /^\/api\/v1\/clients\/(export|:id)$/.test(al.fullPath)).map((al: any) => al.fullPath);
		assert.deepEqual(order, ["/api/v1/clients/export", "/api/v1/clients/:id"]);
	});

	it("when the club has more clients than a page, with equal creation times, then every one is exported once, newest first", async () => {
		const c = await newClub(a.http);
		const groupId = (await a.http.get("/groups", { key: c.admin })).body.items.find((g: any) => g.isDefault).id;
		const svc: any = a.brokers[0].getLocalService("clients");
		const at = new Date("2026-06-01T10:00:00.000Z");
		const rows = Array.from({ length: 4500 }, (_, i) => ({
			club_id: c.club.id,
			id: crypto.randomUUID(),
			full_name: `Bulk ${i}`,
			email: `bulk${i}@example.com`,
			phone: "+34612345678",
			gender: "other",
			country: "ES",
			group_id: groupId,
			tags: [],
			source: "import",
			created_at: new Date(at.getTime() + Math.floor(i / 1000) * 1000),
		}));
		for (let i = 0; i < rows.length; i += 1000) await svc.db("clients").insert(rows.slice(i, i + 1000));
		const res = await a.http.get("/clients/export", { key: c.viewer });
		const parsed = await parse(res.text);
		assert.equal(parsed.length, 4500);
		assert.equal(new Set(parsed.map(r => r.id)).size, 4500);
		const expected = [...rows].sort((x, y) => y.created_at.getTime() - x.created_at.getTime() || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0)).map(r => r.id);
		assert.deepEqual(parsed.map(r => r.id), expected);
		assert.ok(parsed.every(r => r.group === "Default"));
	});
});
