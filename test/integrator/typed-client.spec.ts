/**
 * An integrator generates a TypeScript client from the served OpenAPI document with
 * openapi-typescript, writes against it with openapi-fetch (test/integrator/journey.ts),
 * type-checks that with tsc, and runs it against the real gateway.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { app, platformKey } from "../support/app";

const ROOT = path.resolve(__dirname, "../..");

function tsc(project: string): Promise<{ code: number; out: string }> {
	return new Promise(resolve => {
		execFile(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", project], { timeout: 120_000 }, (err, stdout, stderr) =>
			resolve({ code: err ? 1 : 0, out: stdout + stderr }),
		);
	});
}

describe("A typed client generated from the served OpenAPI document", function () {
	this.timeout(120_000);
	let dir: string;

	before(async () => {
		// Under the repository (gitignored .tmp/) so the copy resolves openapi-fetch from node_modules.
		fs.mkdirSync(path.join(ROOT, ".tmp"), { recursive: true });
		dir = fs.mkdtempSync(path.join(ROOT, ".tmp", "typed-client-"));
	});

	after(() => {
		if (dir) fs.rmSync(dir, { recursive: true, force: true });
	});

	it("when openapi-typescript generates the client and the journey is type-checked, then tsc passes and the journey runs against the gateway", async () => {
		const a = await app();
		const served = await a.http.get("/api/openapi.json");
		assert.equal(served.status, 200);

		const generator = require("openapi-typescript") as { default: (doc: unknown) => Promise<unknown>; astToString: (ast: unknown) => string };
		const openapiTS = generator.default;
		const astToString = generator.astToString;
		const ast = await openapiTS(served.body);
		const types = astToString(ast);
		assert.match(types, /"\/api\/v1\/wallets\/\{id\}\/top-up"/);
		assert.match(types, /Client: \{/);
		fs.writeFileSync(path.join(dir, "clubhouse-api.d.ts"), types);
		fs.copyFileSync(path.join(__dirname, "journey.ts"), path.join(dir, "journey.ts"));
		fs.writeFileSync(
			path.join(dir, "tsconfig.json"),
			JSON.stringify({
				compilerOptions: { target: "ES2022", module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ["ES2022", "DOM"] },
				files: ["journey.ts", "clubhouse-api.d.ts"],
			}),
		);
		const checked = await tsc(path.join(dir, "tsconfig.json"));
		assert.equal(checked.code, 0, `tsc on the journey against the generated client:\n${checked.out}`);

		const { journey } = (await import(pathToFileURL(path.join(dir, "journey.ts")).href)) as { journey(baseUrl: string, platformKey: string): Promise<any> };
		const r = await journey(a.baseUrl, platformKey());
		assert.equal(r.client.fullName, "Ana García");
		assert.equal(r.client.phone, "+34612345678", "normalised to E.164");
		assert.equal(r.topUp.amount, 5000);
		assert.equal(r.topUp.type, "top_up");
		assert.equal(r.replayed.id, r.topUp.id, "the same Idempotency-Key replays the first top-up");
		assert.equal(r.balance, 5000, "one top-up, not two");
		assert.equal(r.missingKeyType, "IDEMPOTENCY_KEY_REQUIRED");
		assert.deepEqual(r.listed.map((c: { id: string }) => c.id), [r.client.id]);
	});
});
