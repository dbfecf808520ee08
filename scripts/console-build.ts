/**
 * Builds the staff console (console/) into console/dist, which the gateway serves at `/`:
 *   1. the OpenAPI document, built without a server (scripts/openapi-document.ts);
 *   2. the API client, types and zod schemas generated from it into console/src/api/generated
 *      (@hey-api/openapi-ts; that folder is never edited by hand and not committed);
 *   3. a typecheck of the console, then `vite build`, then a .gz beside every asset.
 * Nothing is rebuilt when the inputs (console sources + the document) are unchanged since the
 * last build: their hash is kept in console/dist/.build-hash.
 *
 *   npx tsx scripts/console-build.ts            build when stale; fail loudly
 *   npx tsx scripts/console-build.ts --soft     the same, but a failure only warns (npm start)
 *   npx tsx scripts/console-build.ts --force    build even when fresh
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { execFileSync } from "node:child_process";

const ROOT = path.resolve(__dirname, "..");
export const CONSOLE_DIR = path.join(ROOT, "console");
export const CONSOLE_DIST = path.join(CONSOLE_DIR, "dist");
const GENERATED = path.join(CONSOLE_DIR, "src", "api", "generated");
const HASH_FILE = path.join(CONSOLE_DIST, ".build-hash");
const INPUTS = ["index.html", "vite.config.ts", "tsconfig.json", "package.json", "src", "public"];

function listFiles(p: string): string[] {
	if (!fs.existsSync(p)) return [];
	if (!fs.statSync(p).isDirectory()) return [p];
	if (p === GENERATED) return [];
	return fs.readdirSync(p).sort().flatMap(name => listFiles(path.join(p, name)));
}

function run(cmd: string, args: string[], opts: { cwd?: string; quiet?: boolean } = {}): string {
	return execFileSync(cmd, args, { cwd: opts.cwd ?? ROOT, stdio: opts.quiet ? ["ignore", "pipe", "inherit"] : "inherit", encoding: "utf8", env: { ...process.env, NODE_ENV: "production" } }) ?? "";
}

const bin = (pkg: string, file: string) => path.join(path.dirname(require.resolve(`${pkg}/package.json`, { paths: [CONSOLE_DIR, ROOT] })), file);

function inputsHash(documentText: string): string {
	const h = crypto.createHash("sha256").update(documentText);
	for (const f of INPUTS.flatMap(i => listFiles(path.join(CONSOLE_DIR, i)))) {
		h.update(path.relative(CONSOLE_DIR, f)).update("\0").update(fs.readFileSync(f)).update("\0");
	}
	return h.digest("hex");
}

function gzipAssets(dir: string): void {
	for (const f of listFiles(dir)) {
		if (!/\.(js|css|html|svg|json|txt|map)$/.test(f)) continue;
		fs.writeFileSync(`${f}.gz`, zlib.gzipSync(fs.readFileSync(f), { level: 9 }));
	}
}

/** Builds the console when its inputs changed. Answers whether it built. */
export function buildConsole(opts: { force?: boolean } = {}): { built: boolean; ms: number } {
	const started = Date.now();
	const documentFile = path.join(CONSOLE_DIR, "openapi.json");
	run(process.execPath, ["--require", "tsx/cjs", path.join(ROOT, "scripts", "openapi-document.ts"), documentFile], { quiet: true });
	const documentText = fs.readFileSync(documentFile, "utf8");
	const hash = inputsHash(documentText);
	if (!opts.force && fs.existsSync(HASH_FILE) && fs.readFileSync(HASH_FILE, "utf8").trim() === hash && fs.existsSync(path.join(CONSOLE_DIST, "index.html"))) {
		return { built: false, ms: Date.now() - started };
	}
	console.log("Building the staff console (console/dist) ...");
	fs.mkdirSync(path.dirname(GENERATED), { recursive: true });
	run(process.execPath, [path.join(CONSOLE_DIR, "scripts", "generate-api.mjs"), documentFile, GENERATED], { cwd: CONSOLE_DIR });
	run(process.execPath, [bin("typescript", "bin/tsc"), "-p", path.join(CONSOLE_DIR, "tsconfig.json")]);
	fs.rmSync(CONSOLE_DIST, { recursive: true, force: true });
	run(process.execPath, [bin("vite", "bin/vite.js"), "build", "--logLevel", "error"], { cwd: CONSOLE_DIR });
	gzipAssets(CONSOLE_DIST);
	fs.writeFileSync(HASH_FILE, hash + "\n");
	const ms = Date.now() - started;
	console.log(`Staff console built in ${(ms / 1000).toFixed(1)} s.`);
	return { built: true, ms };
}

if (require.main === module) {
	const soft = process.argv.includes("--soft");
	try {
		buildConsole({ force: process.argv.includes("--force") });
	} catch (err: any) {
		if (!soft) {
			console.error(`The staff console did not build: ${err?.message ?? err}`);
			process.exit(1);
		}
		console.warn(`The staff console did not build (the API still starts; / answers that the console is missing): ${err?.message ?? err}`);
	}
}
