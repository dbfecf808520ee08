/**
 * Imports across real processes over the real nats-server (JetStream): the gateway, the
 * other services and two import workers each in their own `npm start` process; a worker is
 * SIGKILLed mid-import and the counts still come out exact. Also the upload size limit
 * (a node started with a small IMPORT_MAX_BYTES).
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { newClub, startCluster, type Running } from "../../../test/support/app";
import { processCluster, type ProcessCluster } from "../../../test/support/processes";
import { upload, waitForJob } from "./helpers";
import { WINDOW_BYTES } from "../../../lib/upload-flow";

function rowsCsv(n: number, prefix: string): string {
	let out = "full name,email,phone,gender,country\n";
	for (let i = 0; i < n; i++) out += `Person ${i},${prefix}${i}@example.com,+34 6${String(10_000_000 + i).slice(-8)},${i % 2 ? "f" : "m"},ES\n`;
	return out;
}

describe("Imports across processes over NATS JetStream", function () {
	this.timeout(180_000);
	let cluster: ProcessCluster | null = null;
	after(async () => {
		await cluster?.kill();
	});

	it("when an import worker is SIGKILLed mid-import, then its chunks go to the other worker and every row is applied exactly once", async () => {
		cluster = await processCluster({ IMPORT_CHUNK_ROWS: "250" });
		const gw = cluster.gateway("api", "gw");
		cluster.start("clubs,groups,clients", "core");
		cluster.start("import", "worker-1");
		const w2 = cluster.start("import", "worker-2");
		await gw.waitFor(/Clubhouse is ready/, 90_000);
		const http = cluster.http;
		const made = await cluster.newClub({ name: "Import Club", country: "ES", currency: "EUR", timezone: "Europe/Madrid" });
		const admin = made.body.apiKey.key;
		// The import service is discovered (then give the second worker a moment to subscribe too).
		for (let i = 0; i < 150 && (await http.get("/imports", { key: admin })).status !== 200; i++) await new Promise(r => setTimeout(r, 200));
		await new Promise(r => setTimeout(r, 2000));

		const total = 12_000;
		const res = await upload(http, admin, rowsCsv(total, "kill"));
		assert.equal(res.status, 202, res.text);
		const before = (await http.get(`/imports/${res.body.id}`, { key: admin })).body;
		assert.equal(before.totalRows, total);
		assert.ok(before.processedRows < total, `the import is still going when the worker dies (${before.processedRows}/${total})`);
		await w2.kill("SIGKILL");

		const job = await waitForJob(http, admin, res.body.id, 120_000, true);
		assert.equal(job.status, "completed", JSON.stringify(job));
		assert.deepEqual([job.totalRows, job.processedRows, job.created, job.updated, job.skipped, job.failed], [total, total, total, 0, 0, 0]);
		const groups = await http.get("/groups", { key: admin });
		const def = groups.body.items.find((g: any) => g.isDefault);
		assert.equal(def.clientCount, total, "no duplicates, nothing lost");

		// The same file again through the surviving worker: nothing new.
		// Until the gateway has noticed worker-2 is gone, a call may pick its endpoint just as it is dropped: 503, try again.
		let again = await upload(http, admin, rowsCsv(total, "kill"));
		for (let i = 0; i < 100 && again.status === 503; i++) {
			await new Promise(r => setTimeout(r, 200));
			again = await upload(http, admin, rowsCsv(total, "kill"));
		}
		assert.equal(again.status, 202, again.text);
		const second = await waitForJob(http, admin, again.body.id, 120_000, true);
		assert.deepEqual([second.status, second.created, second.skipped], ["completed", 0, total]);
	});
});

describe("Imports: the size limit", function () {
	this.timeout(60_000);
	let c: Running;
	const saved = process.env.IMPORT_MAX_BYTES;

	before(async () => {
		process.env.IMPORT_MAX_BYTES = "2000";
		c = await startCluster([{ services: ["api", "clubs", "clients", "groups", "import"] }], { transporter: false });
	});
	after(async () => {
		if (saved === undefined) delete process.env.IMPORT_MAX_BYTES;
		else process.env.IMPORT_MAX_BYTES = saved;
		await c.stop();
	});

	it("when Content-Length is over IMPORT_MAX_BYTES, then 413 and no job", async () => {
		const club = await newClub(c.http);
		const res = await upload(c.http, club.staff, rowsCsv(100, "big"));
		assert.equal(res.status, 413, res.text);
		assert.equal(res.body.type, "PAYLOAD_TOO_LARGE");
		assert.equal((await c.http.get("/imports", { key: club.viewer })).body.items.length, 0);
	});

	it("when a chunked upload (no Content-Length) grows over the limit, then 413 and the job is failed", async () => {
		const club = await newClub(c.http);
		const status = await new Promise<number>((resolve, reject) => {
			const req = httpRequest(`${c.baseUrl}/api/v1/imports`, { method: "POST", agent: false, headers: { authorization: `Bearer ${club.staff}`, "content-type": "text/csv", "transfer-encoding": "chunked" } }, r => {
				r.resume();
				r.on("end", () => resolve(r.statusCode ?? 0));
			});
			req.on("error", reject);
			const body = rowsCsv(100, "chunked");
			for (let i = 0; i < body.length; i += 500) req.write(body.slice(i, i + 500));
			req.end();
		});
		assert.equal(status, 413);
		const jobs = (await c.http.get("/imports", { key: club.viewer })).body.items;
		assert.equal(jobs.length, 1);
		assert.equal(jobs[0].status, "failed");
		assert.match(jobs[0].error, /larger than the limit of 2000 bytes/);
	});

	it("when the file is under the limit, then it is imported", async () => {
		const club = await newClub(c.http);
		const res = await upload(c.http, club.staff, rowsCsv(10, "small"));
		assert.equal(res.status, 202, res.text);
		const job = await waitForJob(c.http, club.staff, res.body.id);
		assert.equal(job.created, 10);
	});
});

describe("Imports: an upload streamed to an import node on another broker", function () {
	this.timeout(120_000);
	let c: Running;

	before(async () => {
		c = await startCluster([{ services: ["api"] }, { services: ["clubs", "clients", "groups", "import"] }]);
	});
	after(async () => {
		await c.stop();
	});

	it("when the file is bigger than the gateway's credit window, then the import node's confirmations keep it flowing and it arrives whole", async () => {
		const club = await newClub(c.http);
		// 24 MiB: three times lib/upload-flow.ts's window, so the upload stalls unless credits come back.
		const body = `full name,email,phone,gender,country\nAna Flow,ana.flow@example.com,+34 611 000 001,f,ES\n${"\n".repeat(24 * 1024 * 1024)}Luis Flow,luis.flow@example.com,+34 611 000 002,m,ES\n`;
		assert.ok(body.length > 3 * WINDOW_BYTES);
		const res = await upload(c.http, club.staff, body);
		assert.equal(res.status, 202, res.text);
		const job = await waitForJob(c.http, club.staff, res.body.id, 90_000);
		assert.equal(job.status, "completed", JSON.stringify(job));
		assert.equal(job.created, 2, "the rows before and after the 24 MiB of blank lines");
		const found = await c.http.get("/clients?q=luis.flow@example.com", { key: club.viewer });
		assert.equal(found.body.items.length, 1, "the last row, past the window, was read");
	});
});
