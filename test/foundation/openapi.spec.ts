/**
 * The OpenAPI document is generated from the live actions: it lints clean with Redocly,
 * and every REST alias the gateway serves is documented (and nothing else).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { app } from "../support/app";

describe("OpenAPI document", function () {
	this.timeout(60_000);

	it("when the document is linted with Redocly's recommended rules, then it passes", async () => {
		const a = await app();
		const doc = await a.http.get("/api/openapi.json");
		const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "oas-")), "openapi.json");
		fs.writeFileSync(file, JSON.stringify(doc.body, null, 2));
		const bin = path.resolve("node_modules/.bin/redocly");
		const { code, out } = await new Promise<{ code: number; out: string }>(resolve => {
			execFile(bin, ["lint", file, "--config", path.resolve("redocly.yaml"), "--format=stylish"], { env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" } }, (err, stdout, stderr) =>
				resolve({ code: err ? ((err as any).code ?? 1) : 0, out: stdout + stderr }),
			);
		});
		assert.equal(code, 0, out);
	});

	it("when the gateway serves an alias, then the document has that path and method", async () => {
		const a = await app();
		const doc = (await a.http.get("/api/openapi.json")).body;
		const api: any = a.brokers[0].getLocalService("api");
		const served = api.aliases
			.filter((al: any) => al.action)
			.map((al: any) => `${al.method.toLowerCase()} ${al.fullPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`);
		for (const s of served) {
			const [method, p] = s.split(" ");
			assert.ok(doc.paths[p]?.[method], `${s} is served but not documented`);
		}
		const documented = Object.entries<any>(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map(m => `${m} ${p}`));
		const ops = ["get /health", "get /ready", "get /metrics", "get /api/openapi.json", "get /api/docs"];
		for (const d of documented) assert.ok(served.includes(d) || ops.includes(d), `${d} is documented but not served`);
	});
});
