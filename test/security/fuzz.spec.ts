/**
 * Fuzzing every write route (and every query string) from its own OpenAPI schema:
 * wrong types, missing and extra fields, huge strings, deep nesting, __proto__ and
 * constructor keys, unicode edge cases → always a 4xx (or a 2xx for a valid body), never
 * a 5xx, and the process stays alive. Seeded and bounded; a new route is fuzzed as soon
 * as it is in the document.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { app, newClub, type Running, type TestClub } from "../support/app";

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

type Schema = Record<string, any>;

const weird = fc.constantFrom(
	"",
	" ",
	"\u0000",
	"\uFEFF",
	"\uD800",
	"e\u0301",
	"👩‍👩‍👧‍👦",
	"𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
	"=cmd|' /C calc'!A0",
	"'; DROP TABLE clients; --",
	"../../etc/passwd",
	"%00",
	"null",
	"NaN",
	"-1",
	"1e309",
	"2026-02-30",
	"9999-99-99T99:99:99Z",
	"00000000-0000-0000-0000-000000000000",
	"x".repeat(5000),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
	weird,
	fc.string({ unit: "binary", maxLength: 40 }),
	fc.integer(),
	fc.double(),
	fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e300, -0, 0.1, 1.5),
	fc.boolean(),
	fc.constant(null),
	fc.jsonValue({ maxDepth: 3 }),
	fc.constant({ __proto__: { admin: true } }),
	fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}')),
);

/** A value that satisfies the schema's shape (types, enums, bounds) as far as it can. */
function validish(schema: Schema | undefined): fc.Arbitrary<unknown> {
	if (!schema) return hostileValue;
	if (schema.const !== undefined) return fc.constant(schema.const);
	if (schema.enum) return fc.constantFrom(...schema.enum);
	if (schema.oneOf) return fc.oneof(...schema.oneOf.map((s: Schema) => validish(s)));
	const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
	switch (type) {
		case "string":
			if (schema.format === "email") return fc.emailAddress();
			if (schema.format === "uuid") return fc.uuid();
			if (schema.format === "date-time") return fc.date({ noInvalidDate: true }).map(d => d.toISOString());
			return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 60) });
		case "integer":
			return fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 1_000_000, 2 ** 31) });
		case "number":
			return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1_000_000, noNaN: true });
		case "boolean":
			return fc.boolean();
		case "array":
			return fc.array(validish(schema.items), { maxLength: 5 });
		case "object": {
			const props: Record<string, fc.Arbitrary<unknown>> = {};
			for (const [k, s] of Object.entries<Schema>(schema.properties ?? {})) props[k] = validish(s);
			return fc.record(props, { requiredKeys: schema.required ?? [] });
		}
		default:
			return hostileValue;
	}
}

/** Valid-ish bodies, each mutated in one hostile way (or not at all). */
function bodyArbitrary(schema: Schema | undefined): fc.Arbitrary<unknown> {
	const base = validish(schema ?? { type: "object", properties: {} });
	const deep = fc.integer({ min: 50, max: 3000 }).map(n => JSON.parse("[".repeat(n) + "]".repeat(n)));
	const deepObj = fc.integer({ min: 50, max: 2000 }).map(n => JSON.parse('{"a":'.repeat(n) + "1" + "}".repeat(n)));
	return fc.oneof(
		base,
		base.chain(b =>
			fc.oneof(
				// a field of the wrong type or a hostile value
				fc.tuple(fc.constantFrom(...Object.keys(schema?.properties ?? { x: 1 })), hostileValue).map(([k, v]) => ({ ...(b as object), [k]: v })),
				// an extra field
				fc.tuple(fc.constantFrom("id", "clubId", "verified", "createdAt", "__proto__", "constructor", "$$strict", "zzz"), hostileValue).map(([k, v]) => ({ ...(b as object), [k]: v })),
				// a missing field
				fc.constantFrom(...Object.keys(b as object), "-").map(k => {
					const c: Record<string, unknown> = { ...(b as object) };
					delete c[k];
					return c;
				}),
			),
		),
		hostileValue,
		deep,
		deepObj,
		fc.constant({ huge: "x".repeat(900_000) }),
	);
}

/** encodeURIComponent, but a lone surrogate becomes its (invalid UTF-8) bytes instead of a throw. */
function enc(v: string): string {
	try {
		return encodeURIComponent(v);
	} catch {
		return "%ED%A0%80";
	}
}

function queryArbitrary(params: any[]): fc.Arbitrary<string> {
	const query = params.filter(p => p.in === "query");
	if (!query.length) return fc.constant("");
	return fc
		.array(fc.tuple(fc.constantFrom(...query.map(p => p.name), "unknown"), fc.oneof(weird, fc.string({ maxLength: 20 }), fc.integer().map(String))), { maxLength: 4 })
		.map(pairs => (pairs.length ? "?" + pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&") : ""));
}

const pathParam = fc.oneof(fc.uuid(), weird.map(enc), fc.string({ minLength: 1, maxLength: 20 }).map(enc));

describe("Fuzzing every route from its OpenAPI schema", function () {
	this.timeout(600_000);
	let a: Running;
	let club: TestClub;
	let ops: Array<{ method: string; path: string; op: any }> = [];
	let schemas: Record<string, any> = {};

	before(async () => {
		a = await app();
		club = await newClub(a.http);
		const doc = (await a.http.get("/api/openapi.json")).body;
		schemas = doc.components.schemas;
		for (const [p, methods] of Object.entries<any>(doc.paths)) {
			if (!p.startsWith("/api/v1/")) continue;
			for (const [method, op] of Object.entries<any>(methods)) ops.push({ method: method.toUpperCase(), path: p, op });
		}
	});

	it("when any route gets hostile input, then it answers below 500 and the node stays up", async () => {
		assert.ok(ops.length > 0);
		const failures: string[] = [];
		let sent = 0;
		for (const { method, path, op } of ops) {
			const isPlatform = String(op.description ?? "").includes("Platform key only");
			const key = isPlatform ? process.env.PLATFORM_API_KEY! : club.admin;
			const declared = op.requestBody?.content?.["application/json"]?.schema;
			// A named body (ClientInput) is fuzzed from its schema.
			const schema = declared?.$ref ? schemas[declared.$ref.split("/").pop()] : declared;
			const isStream = op.requestBody && !schema;
			const arb = fc.record({
				params: fc.array(pathParam, { minLength: 5, maxLength: 5 }),
				query: queryArbitrary(op.parameters ?? []),
				body: isStream ? fc.uint8Array({ maxLength: 2000 }) : method === "GET" || method === "DELETE" ? fc.constant(undefined) : bodyArbitrary(schema),
			});
			await fc.assert(
				fc.asyncProperty(arb, async ({ params, query, body }) => {
					let i = 0;
					const url = path.replace(/\{[^}]+\}/g, () => params[i++]) + query;
					const res = await a.http.request(method, url, {
						key,
						rawBody: body === undefined ? undefined : body instanceof Uint8Array ? Buffer.from(body) : JSON.stringify(body),
						headers: body === undefined ? {} : { "content-type": body instanceof Uint8Array ? "text/csv" : "application/json", "idempotency-key": `fuzz-${Math.random()}` },
					});
					sent++;
					if (res.status >= 500) {
						failures.push(`${method} ${url} -> ${res.status} ${res.text.slice(0, 200)} body=${JSON.stringify(body)?.slice(0, 200)}`);
						return false;
					}
					return true;
				}),
				{ seed: SEED, numRuns: RUNS, endOnFailure: true },
			).catch((err: Error) => failures.push(`${method} ${path}: ${err.message.split("\n").slice(0, 6).join(" | ")}`));
		}
		assert.deepEqual(failures, []);
		assert.ok(sent >= ops.length * RUNS, `only ${sent} requests were sent`);
		assert.equal((await a.http.get("/health")).status, 200);
	});
});
