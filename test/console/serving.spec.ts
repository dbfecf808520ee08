/**
 * The gateway serves the built console at `/`: index.html for the console's routes (never
 * cached), hashed assets cached for a year, the API and ops routes untouched.
 */
import assert from "node:assert/strict";
import { consoleApp, type ConsoleApp } from "./support";

describe("console: the gateway serves the built files", function () {
	this.timeout(300_000);
	let ca: ConsoleApp;
	before(async function () {
		// The first spec may build the console (npm test builds it beforehand).
		this.timeout(600_000);
		ca = await consoleApp();
	});

	it("when a browser asks for / or a console route, then it gets index.html, not cached, with a same-origin CSP", async () => {
		for (const p of ["/", "/clients", "/clients/3f0c7c1e-0000-4000-8000-000000000000", "/groups?x=1"]) {
			const res = await fetch(ca.baseUrl + p);
			assert.equal(res.status, 200, p);
			assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
			assert.equal(res.headers.get("cache-control"), "no-cache");
			assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'/);
			assert.match(await res.text(), /<div id="root">/);
		}
	});

	it("when a hashed asset is fetched, then it is cached for a year, immutable, gzipped for who accepts it; an unknown one is a 404", async () => {
		const html = await (await fetch(ca.baseUrl + "/")).text();
		const js = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
		assert.ok(js, "index.html names its entry script");
		const res = await fetch(ca.baseUrl + js, { headers: { "accept-encoding": "gzip" } });
		assert.equal(res.status, 200);
		assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
		assert.match(res.headers.get("content-type") ?? "", /^text\/javascript/);
		assert.equal(res.headers.get("content-encoding"), "gzip");
		assert.ok((await res.text()).length > 1000);
		const etag = res.headers.get("etag")!;
		assert.equal((await fetch(ca.baseUrl + js, { headers: { "if-none-match": etag } })).status, 304);
		assert.equal((await fetch(ca.baseUrl + "/assets/nope-123.js")).status, 404);
		assert.equal((await fetch(ca.baseUrl + "/assets/../../package.json")).status !== 200 || !(await (await fetch(ca.baseUrl + "/assets/%2e%2e/%2e%2e/package.json")).text()).includes("clubhouse"), true);
	});

	it("when the API or the ops routes are asked, then they answer as before (JSON, never the console)", async () => {
		const unknown = await fetch(ca.baseUrl + "/api/v1/nope");
		assert.equal(unknown.status, 404);
		assert.match(unknown.headers.get("content-type") ?? "", /json/);
		assert.equal((await fetch(ca.baseUrl + "/health")).status, 200);
		assert.match((await fetch(ca.baseUrl + "/api/openapi.json")).headers.get("content-type") ?? "", /json/);
		assert.equal((await fetch(ca.baseUrl + "/", { method: "POST" })).status, 404);
	});
});
