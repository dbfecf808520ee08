/**
 * `npm run lint:openapi`: builds the OpenAPI document from the services' action
 * definitions (no database, no network: the services are created, never started), checks
 * that every operation has its examples and error types (lib/openapi.ts `checkDocument`),
 * and lints it with Redocly's recommended rules (redocly.yaml). Exit 1 on any problem.
 * `--out FILE` also writes the document.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ServiceBroker } from "moleculer";
import { buildOpenApi, checkDocument, type RestAction } from "../lib/openapi";
import { OPS_PATHS } from "../lib/openapi/ops";

const ROOT = path.resolve(__dirname, "..");

/** The REST actions of the given service schemas, as the gateway's registry would list them. */
export function restActionsOf(schemas: any[]): RestAction[] {
	const broker = new ServiceBroker({ logger: false, metrics: false, tracing: false });
	const actions = new Map<string, RestAction>();
	for (const schema of schemas) {
		const svc: any = broker.createService(schema);
		for (const a of Object.values<any>(svc._serviceSpecification?.actions ?? {})) {
			if (a.rest && (a.visibility == null || a.visibility === "published")) actions.set(a.name, a);
		}
	}
	return [...actions.values()];
}

export function offlineDocument(): Record<string, any> {
	// Loaded here: the services read the environment (defaults are fine) when imported.
	const { SERVICES } = require("../services") as typeof import("../services");
	const version = require("../package.json").version as string;
	return buildOpenApi(restActionsOf(Object.values(SERVICES)), { basePath: "/api/v1", version, extraPaths: OPS_PATHS });
}

/** Redocly lint of a document: its exit code and report. Offline (telemetry and update checks off). */
export function redoclyLint(doc: unknown): Promise<{ code: number; out: string }> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oas-"));
	const file = path.join(dir, "openapi.json");
	fs.writeFileSync(file, JSON.stringify(doc, null, 2));
	const bin = path.join(ROOT, "node_modules/.bin/redocly");
	const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" };
	return new Promise(resolve => {
		execFile(bin, ["lint", file, "--config", path.join(ROOT, "redocly.yaml"), "--format=stylish"], { env, timeout: 120_000 }, (err, stdout, stderr) => {
			fs.rmSync(dir, { recursive: true, force: true });
			resolve({ code: err ? (typeof (err as any).code === "number" ? (err as any).code : 1) : 0, out: stdout + stderr });
		});
	});
}

/** Problems of a lint report that are warnings (Redocly exits 0 on warnings). */
export function lintWarnings(out: string): string[] {
	return out.split("\n").filter(l => /\bwarning\b/i.test(l) && !/no-unused-components/.test(l) && /\d+:\d+/.test(l));
}

async function main() {
	const outIdx = process.argv.indexOf("--out");
	const doc = offlineDocument();
	if (outIdx > 0) fs.writeFileSync(process.argv[outIdx + 1], JSON.stringify(doc, null, 2));
	const problems = checkDocument(doc);
	for (const p of problems) console.error(`openapi: ${p}`);
	const { code, out } = await redoclyLint(doc);
	const warnings = lintWarnings(out);
	if (code !== 0 || warnings.length) console.error(out);
	const ops = Object.values<any>(doc.paths).reduce((n, p) => n + Object.keys(p).length, 0);
	if (problems.length || code !== 0 || warnings.length) {
		console.error(`openapi: ${problems.length} problem(s), Redocly exit ${code}, ${warnings.length} warning(s)`);
		process.exit(1);
	}
	console.log(`openapi: ${ops} operations, ${Object.keys(doc.components.schemas).length} schemas: examples and error types complete, Redocly lint clean`);
	process.exit(0);
}

if (require.main === module) {
	main().catch(err => {
		console.error(err);
		process.exit(1);
	});
}
