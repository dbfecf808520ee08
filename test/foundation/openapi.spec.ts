/**
 * The OpenAPI document is generated from the live actions: it lints clean with Redocly,
 * every REST alias the gateway serves is documented (and nothing else), every operation has
 * its examples and its error types, and every error type the code throws is documented.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { app, startCluster } from "../support/app";
import { SERVICE_NAMES } from "../../moleculer.config";
import { checkDocument } from "../../lib/openapi";
import { ERROR_TYPES } from "../../lib/openapi/errors";
import { SCHEMAS } from "../../lib/openapi/schemas";
import { lintWarnings, redoclyLint } from "../../scripts/openapi-lint";

function sourceFiles(dir: string): string[] {
	return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
		const p = path.join(dir, e.name);
		if (e.isDirectory()) return e.name === "test" ? [] : sourceFiles(p);
		return p.endsWith(".ts") ? [p] : [];
	});
}

/** The error types thrown with a literal in services/ and mixins/ (the REST-facing code). */
function thrownErrorTypes(): Map<string, string> {
	const found = new Map<string, string>();
	for (const file of [...sourceFiles("services"), ...sourceFiles("mixins")]) {
		const text = fs.readFileSync(file, "utf8");
		for (const call of text.matchAll(/(?:new [A-Za-z.]*Error|super)\(([^;]*?)\)\s*[;,)]/gs)) {
			if (!/Error\(|super\(/.test(call[0]) || /ImportFileError/.test(call[0])) continue;
			for (const lit of call[1].matchAll(/"([A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+|[A-Z]{4,})"/g)) found.set(lit[1], file);
		}
	}
	return found;
}

describe("OpenAPI document", function () {
	this.timeout(60_000);

	it("when the document is linted with Redocly's recommended rules, then it passes without a warning", async () => {
		const a = await app();
		const doc = await a.http.get("/api/openapi.json");
		const { code, out } = await redoclyLint(doc.body);
		assert.equal(code, 0, out);
		assert.deepEqual(lintWarnings(out), [], out);
	});

	it("when an operation is documented, then each request and answer has an example and each error status its types", async () => {
		const a = await app();
		const doc = (await a.http.get("/api/openapi.json")).body;
		assert.deepEqual(checkDocument(doc), []);
		// The named schemas are there, referenced, each with an example.
		for (const name of ["Client", "ClientInput", "Group", "Category", "Wallet", "Transaction", "Booking", "BookingCheck", "ImportJob", "ImportError", "ApiKey", "StaffMember", "AuditEntry", "WebhookEndpoint", "Delivery", "Error", "ValidationError", "Page"]) {
			const s = doc.components.schemas[name];
			assert.ok(s, `components.schemas.${name} is missing`);
			assert.ok(Array.isArray(s.examples) && s.examples.length, `${name} has no example`);
		}
		const create = doc.paths["/api/v1/clients"].post;
		assert.equal(create.requestBody.content["application/json"].schema.$ref, "#/components/schemas/ClientInput");
		assert.equal(create.responses["201"].content["application/json"].schema.$ref, "#/components/schemas/ClientCreated");
		assert.ok(create.responses["409"]["x-error-types"].includes("CLIENT_EXISTS"));
		assert.ok(create.responses["403"]["x-error-types"].includes("VERIFIED_PROFILE_MISMATCH"));
		assert.equal(create.responses["409"].content["application/json"].examples.CLIENT_EXISTS.value.type, "CLIENT_EXISTS");
		const topUp = doc.paths["/api/v1/wallets/{id}/top-up"].post;
		assert.ok(topUp.responses["400"]["x-error-types"].includes("IDEMPOTENCY_KEY_REQUIRED"));
		assert.ok(topUp.parameters.some((p: any) => p.in === "header" && p.name === "Idempotency-Key" && p.required));
		assert.equal(topUp.requestBody.content["application/json"].example.amount, 5000);
	});

	it("when the code throws an error type, then the registry knows it and an operation lists it", async () => {
		const a = await app();
		const doc = (await a.http.get("/api/openapi.json")).body;
		const listed = new Set<string>();
		for (const ops of Object.values<any>(doc.paths)) for (const op of Object.values<any>(ops)) for (const r of Object.values<any>(op.responses)) for (const t of r["x-error-types"] ?? []) listed.add(t);
		const thrown = thrownErrorTypes();
		assert.ok(thrown.has("NAME_TAKEN") && thrown.has("INSUFFICIENT_FUNDS"), "the scan finds the thrown types");
		for (const [type, file] of thrown) {
			assert.ok(ERROR_TYPES[type], `${file} throws ${type}: add it to lib/openapi/errors.ts`);
			assert.ok(listed.has(type), `${file} throws ${type}, but no operation lists it (openapi.errors of the action)`);
		}
		for (const name of Object.keys(SCHEMAS)) assert.ok(doc.components.schemas[name], name);
	});

	it("when the gateway runs on its own node of a NATS cluster, then it serves the same complete document", async function () {
		this.timeout(180_000);
		const local = (await (await app()).http.get("/api/openapi.json")).body;
		const started = Date.now();
		const c = await startCluster([{ services: ["api"] }, { services: SERVICE_NAMES.filter(s => s !== "api") }]);
		console.log(`      (cluster up in ${Date.now() - started} ms)`);
		try {
			const remote = (await c.http.get("/api/openapi.json")).body;
			assert.deepEqual(checkDocument(remote), []);
			assert.deepEqual(Object.keys(remote.paths).sort(), Object.keys(local.paths).sort());
			assert.deepEqual(Object.keys(remote.components.schemas).sort(), Object.keys(local.components.schemas).sort());
			assert.deepEqual(remote.paths["/api/v1/clients"].post, local.paths["/api/v1/clients"].post);
		} finally {
			await c.stop();
		}
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
