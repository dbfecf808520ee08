/**
 * /api/docs is Scalar's API reference, served from our own files: the page and its bundle
 * come from this server, nothing from a CDN, and a headless Chromium renders the operations.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import zlib from "node:zlib";
import { app } from "../support/app";
import { chromiumBinary } from "../support/infra";

describe("API reference page", function () {
	this.timeout(90_000);

	it("when /api/docs is fetched, then a page that loads Scalar's bundle from this server and nothing from elsewhere", async () => {
		const a = await app();
		const page = await a.http.get("/api/docs");
		assert.equal(page.status, 200);
		assert.match(page.headers.get("content-type") ?? "", /text\/html/);
		assert.match(page.text, /<script src="\/api\/docs\/scalar\.js"><\/script>/);
		assert.match(page.text, /"url":"\/api\/openapi\.json"/);
		assert.deepEqual(page.text.match(/https?:\/\/[^\s"'<>]+/g) ?? [], [], "no absolute URL: everything comes from this server");

		const raw = await fetch(`${a.baseUrl}/api/docs/scalar.js`, { headers: { "accept-encoding": "identity" } });
		assert.equal(raw.status, 200);
		assert.match(raw.headers.get("content-type") ?? "", /javascript/);
		const js = await raw.text();
		assert.ok(js.length > 1_000_000 && js.includes("createApiReference"), "the standalone bundle");
		// Compressed for browsers that ask, and revalidated by ETag.
		const res = await new Promise<{ status: number; headers: Record<string, any>; body: Buffer }>((resolve, reject) => {
			const http = require("node:http") as typeof import("node:http");
			const req = http.get(`${a.baseUrl}/api/docs/scalar.js`, { headers: { "accept-encoding": "gzip" } }, r => {
				const chunks: Buffer[] = [];
				r.on("data", c => chunks.push(c));
				r.on("end", () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }));
				r.on("error", reject);
			});
			req.on("error", reject);
		});
		assert.equal(res.headers["content-encoding"], "gzip");
		assert.equal(zlib.gunzipSync(res.body).toString("utf8"), js);
		const again = await fetch(`${a.baseUrl}/api/docs/scalar.js`, { headers: { "if-none-match": String(res.headers.etag) } });
		assert.equal(again.status, 304);
	});

	it("when a headless Chromium opens /api/docs, then the reference renders the operations, their examples and error types", async function () {
		this.timeout(240_000);
		const bin = chromiumBinary();
		const a = await app();
		const render = () =>
			new Promise<string>(resolve => {
				execFile(
					bin,
					["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--virtual-time-budget=10000", "--dump-dom", `${a.baseUrl}/api/docs`],
					{ maxBuffer: 64 * 1024 * 1024, timeout: 100_000 },
					(_err, stdout) => resolve(String(stdout ?? "")),
				);
			});
		// A loaded machine can starve one Chromium run: one more try before judging the page.
		let dom = await render();
		if (!/Create an API key/.test(dom)) dom = await render();
		assert.match(dom, /Clubhouse API/);
		assert.match(dom, /Create an API key \(shown once\)/, "an operation's summary");
		assert.match(dom, /UNAUTHORIZED/, "an error type of an operation");
		assert.match(dom, /Booking system/, "a request example's value");
	});
});
