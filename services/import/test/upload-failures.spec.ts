/**
 * Uploads that go wrong on the wire: a multipart body cut before its closing boundary, a
 * client that goes away mid-upload (multipart or text/csv, chunked or with a
 * Content-Length), a chunked upload over the size limit. Each is answered (when the client
 * is still there) with a 4xx, its job ends `failed` with a clear `error` within seconds, and
 * the node keeps serving.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { request as httpRequest } from "node:http";
import { app, newClub, startCluster, type Http, type Running } from "../../../test/support/app";
import { waitForJob } from "./helpers";

function rowsCsv(n: number, prefix: string): string {
	let out = "full name,email,phone,gender,country\n";
	for (let i = 0; i < n; i++) out += `Person ${i},${prefix}${i}@example.com,+34 6${String(10_000_000 + i).slice(-8)},${i % 2 ? "f" : "m"},ES\n`;
	return out;
}

/** Sends a raw HTTP request; `cut` ends the socket after the given bytes of body (no response expected). */
function rawRequest(baseUrl: string, head: string, body: Buffer | string, opts: { cut?: boolean } = {}): Promise<{ status: number; text: string }> {
	const { hostname, port } = new URL(baseUrl);
	return new Promise((resolve, reject) => {
		const sock = net.connect(Number(port), hostname);
		let got = "";
		sock.on("data", d => (got += d.toString("latin1")));
		sock.on("error", err => (opts.cut ? resolve({ status: 0, text: got }) : reject(err)));
		sock.on("close", () => {
			const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
			resolve({ status: m ? Number(m[1]) : 0, text: got.slice(got.indexOf("\r\n\r\n") + 4) });
		});
		sock.write(head.replace(/\n/g, "\r\n") + "\r\n");
		sock.write(body, () => {
			if (opts.cut) setTimeout(() => sock.destroy(), 300);
		});
	});
}

async function latestJob(http: Http, key: string): Promise<any> {
	for (let i = 0; i < 100; i++) {
		const job = (await http.get("/imports", { key })).body.items[0];
		if (job) return job;
		await new Promise(r => setTimeout(r, 50));
	}
	throw new Error("no job was created");
}

/** The job ends `failed` with an error within `ms`. */
async function failsWithin(http: Http, key: string, id: string, ms: number): Promise<any> {
	const job = await waitForJob(http, key, id, ms);
	assert.equal(job.status, "failed", JSON.stringify(job));
	assert.ok(job.error && job.error.length > 10, JSON.stringify(job));
	return job;
}

describe("Imports: uploads that break on the wire", function () {
	this.timeout(60_000);
	let running: Running;
	let http: Http;

	before(async () => {
		running = await app();
		http = running.http;
	});

	it("when a multipart body ends before its closing boundary, then 400, the job (if any) fails and the node keeps serving", async () => {
		const c = await newClub(http);
		const host = new URL(running.baseUrl).host;
		const body = `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\n${rowsCsv(20, "unterminated")}`;
		const head = `POST /api/v1/imports HTTP/1.1\nHost: ${host}\nAuthorization: Bearer ${c.staff}\nContent-Type: multipart/form-data; boundary=XyZ\nContent-Length: ${Buffer.byteLength(body)}\nConnection: close\n`;
		const res = await rawRequest(running.baseUrl, head, body);
		assert.equal(res.status, 400, JSON.stringify(res));
		assert.equal(JSON.parse(res.text).type, "UPLOAD_INCOMPLETE");
		const job = await latestJob(http, c.viewer);
		const ended = await failsWithin(http, c.viewer, job.id, 10_000);
		assert.match(ended.error, /multipart|end of the file|interrupted/i);
		assert.equal((await http.get("/health")).status, 200, "the node is still up");
	});

	for (const form of ["text/csv", "multipart"] as const) {
		for (const framing of ["Content-Length", "chunked"] as const) {
			it(`when a ${form} upload with ${framing} is cut by the client mid-file, then its job ends failed within seconds`, async () => {
				await cutUpload(running, form, framing);
			});
		}
	}
});

describe("Imports: uploads that break on the wire, gateway and import on different nodes", function () {
	this.timeout(60_000);
	let running: Running;

	before(async () => {
		running = await startCluster([{ services: ["api"] }, { services: ["clubs", "clients", "groups", "import"] }]);
	});
	after(async () => {
		await running.stop();
	});

	for (const form of ["text/csv", "multipart"] as const) {
		for (const framing of ["Content-Length", "chunked"] as const) {
			it(`when a ${form} upload with ${framing} is cut by the client mid-file, then its job ends failed within seconds`, async () => {
				await cutUpload(running, form, framing);
			});
		}
	}
});

/** Sends the head and the first part of a file, then the client goes away: the job must end failed. */
async function cutUpload(running: Running, form: "text/csv" | "multipart", framing: "Content-Length" | "chunked"): Promise<void> {
	const http = running.http;
	const c = await newClub(http);
	const host = new URL(running.baseUrl).host;
	const csv = rowsCsv(3000, `cut${framing}`);
	const full = form === "multipart" ? `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n--XyZ--\r\n` : csv;
	const sent = full.slice(0, Math.floor(full.length / 2));
	const type = form === "multipart" ? "multipart/form-data; boundary=XyZ" : "text/csv";
	const length = framing === "chunked" ? "Transfer-Encoding: chunked" : `Content-Length: ${Buffer.byteLength(full)}`;
	const head = `POST /api/v1/imports HTTP/1.1\nHost: ${host}\nAuthorization: Bearer ${c.staff}\nContent-Type: ${type}\n${length}\n`;
	const body = framing === "chunked" ? `${Buffer.byteLength(sent).toString(16)}\r\n${sent}\r\n` : sent;
	await rawRequest(running.baseUrl, head, body, { cut: true });
	const job = await latestJob(http, c.viewer);
	const ended = await failsWithin(http, c.viewer, job.id, 10_000);
	assert.match(ended.error, /interrupted|incomplete/);
	assert.equal((await http.get("/health")).status, 200, "the node is still up");
}

describe("Imports: a chunked upload over the size limit", function () {
	this.timeout(60_000);
	let running: Running;
	const saved = { max: process.env.IMPORT_MAX_BYTES, rows: process.env.IMPORT_CHUNK_ROWS };

	before(async () => {
		process.env.IMPORT_MAX_BYTES = "50000";
		process.env.IMPORT_CHUNK_ROWS = "10";
		running = await startCluster([{ services: ["api", "clubs", "clients", "groups", "import"] }], { transporter: false });
	});
	after(async () => {
		for (const [k, v] of [["IMPORT_MAX_BYTES", saved.max], ["IMPORT_CHUNK_ROWS", saved.rows]] as const) {
			if (v === undefined) delete process.env[k];
			else process.env[k] = v;
		}
		await running.stop();
	});

	it("when a chunked upload grows past IMPORT_MAX_BYTES after many chunks' worth of rows, then 413, the job is failed and no row was written", async () => {
		const c = await newClub(running.http);
		const body = rowsCsv(2000, "oversized");
		assert.ok(Buffer.byteLength(body) > 2 * 50_000);
		const status = await new Promise<number>((resolve, reject) => {
			const req = httpRequest(`${running.baseUrl}/api/v1/imports`, { method: "POST", agent: false, headers: { authorization: `Bearer ${c.staff}`, "content-type": "text/csv", "transfer-encoding": "chunked" } }, r => {
				r.resume();
				r.on("end", () => resolve(r.statusCode ?? 0));
			});
			req.on("error", reject);
			// The first 40 kB (dozens of chunks of rows) well before the rest, as a slow client sends them.
			req.write(body.slice(0, 40_000));
			setTimeout(() => req.end(body.slice(40_000)), 1000);
		});
		assert.equal(status, 413);
		const [job] = (await running.http.get("/imports", { key: c.viewer })).body.items;
		const ended = await waitForJob(running.http, c.viewer, job.id, 10_000);
		assert.equal(ended.status, "failed");
		assert.match(ended.error, /larger than the limit of 50000 bytes/);
		assert.deepEqual([ended.created, ended.updated, ended.processedRows], [0, 0, 0], JSON.stringify(ended));
		assert.equal((await running.http.get("/clients", { key: c.viewer })).body.items.length, 0, "no client was written");
	});
});
