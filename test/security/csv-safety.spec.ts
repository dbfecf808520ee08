/**
 * CSV safety end to end: hostile values exported and read back as CSV carry no formula,
 * and a file whose single row is 100 MB long fails fast with a clear error while memory
 * stays flat (the upload is streamed, never held whole).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { app, newClub, type Running, type TestClub } from "../support/app";

/** Splits CSV text into rows of cells (quotes, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
	const rows: string[][] = [];
	let row: string[] = [];
	let cell = "";
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (quoted) {
			if (ch === '"' && text[i + 1] === '"') {
				cell += '"';
				i++;
			} else if (ch === '"') quoted = false;
			else cell += ch;
		} else if (ch === '"') quoted = true;
		else if (ch === ",") {
			row.push(cell);
			cell = "";
		} else if (ch === "\n" || ch === "\r") {
			if (ch === "\r" && text[i + 1] === "\n") i++;
			row.push(cell);
			rows.push(row);
			row = [];
			cell = "";
		} else cell += ch;
	}
	if (cell || row.length) rows.push([...row, cell]);
	return rows;
}

describe("CSV safety end to end", function () {
	this.timeout(180_000);
	let a: Running;
	let club: TestClub;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
	});

	it("when clients hold formula-like values, then no exported cell starts with = + - @ tab or CR", async () => {
		const hostile = ["=HYPERLINK(\"http://x\")", "+SUM(A1:A9)", "-2+3", "@cmd", "\t=1+1", "\r=1+1"];
		for (const [i, h] of hostile.entries()) {
			const res = await a.http.post("/clients", { fullName: `Hostile ${i}`, email: `hostile${i}@example.com`, phone: "+34600000001", gender: "other", country: "ES", notes: h, tags: [`=t${i}`] }, { key: club.staff });
			assert.equal(res.status, 201, res.text);
		}
		const grp = await a.http.post("/groups", { name: "=EVIL()" }, { key: club.admin });
		assert.equal(grp.status, 201, grp.text);
		await a.http.post("/clients", { fullName: "+Plus Name", email: "plus@example.com", phone: "+34600000002", gender: "male", country: "ES", groupId: grp.body.id }, { key: club.staff });
		const csv = await a.http.get("/clients/export", { key: club.viewer });
		assert.equal(csv.status, 200);
		const rows = parseCsv(csv.text.replace(/^\uFEFF/, ""));
		assert.ok(rows.length >= 8);
		for (const row of rows) {
			for (const cell of row) assert.ok(!/^[=+\-@\t\r]/.test(cell), `dangerous cell ${JSON.stringify(cell)}`);
		}
		// The phone cells (E.164, starting with '+') are guarded too, and read back unchanged by the import.
		assert.ok(rows.slice(1).every(r => r[3].startsWith("'+")));
	});

	it("when a file's single row is 100 MB long, then the job fails fast with a clear error and memory stays flat", async () => {
		// The upload comes from another process, as a client's would: the figure below is the
		// server's memory alone, not the sending side's buffers.
		const sender = `
			const { Readable } = require("node:stream");
			const total = 100 * 1024 * 1024;
			let sent = 0;
			const header = "full_name,email,phone,gender,country\\n";
			const body = new Readable({
				read() {
					if (sent === 0) { this.push(header + '"'); sent += header.length + 1; return; }
					if (sent >= total) return this.push(null);
					const n = Math.min(1024 * 1024, total - sent);
					sent += n;
					this.push(Buffer.alloc(n, 0x61));
				},
			});
			fetch(process.argv[1], { method: "POST", headers: { authorization: "Bearer " + process.argv[2], "content-type": "text/csv" }, body: Readable.toWeb(body), duplex: "half" })
				.then(async r => process.stdout.write(JSON.stringify({ status: r.status, body: await r.json() })))
				.catch(err => process.stdout.write(JSON.stringify({ status: 0, body: { error: err.message } })));
		`;
		global.gc?.();
		const before = process.memoryUsage().rss;
		let peak = before;
		const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
		const started = Date.now();
		const child = spawn(process.execPath, ["-e", sender, `${a.baseUrl}/api/v1/imports`, club.staff], { stdio: ["ignore", "pipe", "inherit"] });
		let out = "";
		child.stdout.on("data", d => (out += d));
		child.on("error", () => undefined);
		await new Promise(resolve => child.once("close", resolve));
		const res = JSON.parse(out || '{"status":0,"body":{"error":"no answer"}}') as { status: number; body: any };
		const job = res.body;
		let status = job;
		for (let i = 0; i < 300 && status?.id && !["failed", "completed", "cancelled"].includes(status.status); i++) {
			await new Promise(r => setTimeout(r, 100));
			status = (await a.http.get(`/imports/${job.id}`, { key: club.viewer })).body;
		}
		clearInterval(sampler);
		const seconds = (Date.now() - started) / 1000;
		assert.equal(res.status, 202, JSON.stringify(job));
		assert.equal(status.status, "failed");
		assert.match(status.error, /line 2: .*(unclosed quote|row too long)/);
		assert.equal(status.created, 0);
		assert.ok(seconds < 60, `took ${seconds} s`);
		const growthMb = (peak - before) / 1024 / 1024;
		assert.ok(growthMb < 100, `memory grew by ${growthMb.toFixed(0)} MB for a 100 MB row`);
	});
});
