/**
 * CSV import benchmark: N generated rows (default 1,000,000) end to end, against a raw
 * COPY of the same rows into the same indexed clients table, in the same run.
 *
 *   npx tsx bench/import/run.ts [rows]        (ROWS=… also works)
 *
 * Each node runs with --max-old-space-size=160, as docker-compose.yml deploys them
 * (NODE_HEAP_MB=… to change it, NODE_HEAP_MB=0 for V8's default, which on a big machine lets
 * the heap grow lazily far past what the node needs).
 *
 * Topology (separate `npm start` processes over a real nats-server with JetStream and one
 * PostgreSQL): gateway | clubs,groups,clients | import worker ×2. The import is timed from
 * the first byte of the upload to the job's completion (upload through the gateway -> parse
 * -> JetStream -> workers -> clients.importBatch -> clients table). The baseline is one
 * `COPY clients.clients FROM file` of the same rows, already normalised, into the same
 * table with all its indexes (run first, so the import meets the bigger table).
 * Prints both rates, the ratio (goal >= 0.5x COPY) and every node's peak RSS (goal <= 256 MB).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import pg from "pg";
import { freePort } from "../../lib/embedded-pg";
import { startInfra } from "../../test/support/infra";
import { startProcess, type Proc } from "../../test/support/processes";

const ROWS = Number(process.argv[2] ?? process.env.ROWS ?? 1_000_000);
const FIRST = ["Ana", "Luis", "Marie", "Jürgen", "Zoé", "Giulia", "José", "Emma", "Noah", "Lucía", "Oliver", "Chloé"];
const LAST = ["García", "Müller", "Lefèvre", "Rossi", "Smith", "Fernández", "Dubois", "Schäfer", "Bianchi", "Brown", "Côté", "López"];

function person(i: number) {
	const name = `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]} ${i}`;
	const phone = `6${String(10_000_000 + i).slice(-8)}`;
	return { name, email: `user${i}@example.com`, phoneNational: `${phone.slice(0, 3)} ${phone.slice(3, 6)} ${phone.slice(6)}`, e164: `+34${phone}`, gender: i % 2 ? "female" : "male" };
}

async function writeFile(file: string, line: (i: number) => string, header = ""): Promise<number> {
	const out = fs.createWriteStream(file);
	if (header) out.write(header);
	let buf = "";
	for (let i = 0; i < ROWS; i++) {
		buf += line(i);
		if (buf.length > 1 << 20) {
			if (!out.write(buf)) await new Promise<void>(r => out.once("drain", () => r()));
			buf = "";
		}
	}
	out.end(buf);
	await new Promise<void>(r => out.once("finish", () => r()));
	return fs.statSync(file).size;
}

function peakRssMb(pid: number | undefined): number {
	if (!pid) return NaN;
	try {
		const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
		return m ? Number(m[1]) / 1024 : NaN;
	} catch {
		return NaN;
	}
}

async function main(): Promise<void> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clubhouse-bench-import-"));
	fs.chmodSync(dir, 0o755);
	console.log(`Import benchmark: ${ROWS.toLocaleString("en-US")} rows, ${os.cpus().length} cores`);
	const infra = await startInfra();
	const procs: Proc[] = [];
	try {
		const port = await freePort();
		const platform = `chp_${crypto.randomBytes(12).toString("hex")}`;
		// Each node's V8 old space as docker-compose.yml sets it (NODE_OPTIONS there).
		const heapMb = Number(process.env.NODE_HEAP_MB ?? 160);
		const heap = heapMb > 0 ? { NODE_OPTIONS: `--max-old-space-size=${heapMb}` } : {};
		console.log(heapMb > 0 ? `Nodes run with --max-old-space-size=${heapMb} (as docker-compose.yml deploys them)` : "Nodes run with V8's default heap limit");
		const common = { TRANSPORTER: infra.natsUrl, DATABASE_URL: infra.databaseUrl, NAMESPACE: `bench${crypto.randomBytes(3).toString("hex")}`, PLATFORM_API_KEY: platform, LOG_LEVEL: "warn", ...heap };
		const nodes: Record<string, Proc> = {
			"gateway (api)": startProcess({ ...common, SERVICES: "api", PORT: String(port), NODE_ID: "gw" }),
			"core (clubs,groups,clients)": startProcess({ ...common, SERVICES: "clubs,groups,clients", NODE_ID: "core" }),
			"import worker 1": startProcess({ ...common, SERVICES: "import", NODE_ID: "import-1" }),
			"import worker 2": startProcess({ ...common, SERVICES: "import", NODE_ID: "import-2" }),
		};
		procs.push(...Object.values(nodes));
		await nodes["gateway (api)"].waitFor(/Clubhouse is ready/, 120_000);
		const base = `http://127.0.0.1:${port}/api/v1`;
		const call = async (method: string, p: string, key: string, body?: unknown) => {
			const res = await fetch(base + p, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined });
			return { status: res.status, body: (await res.json().catch(() => null)) as any };
		};
		const makeClub = async (name: string) => {
			for (let i = 0; i < 200; i++) {
				const r = await call("POST", "/clubs", platform, { name, country: "ES", currency: "EUR", timezone: "Europe/Madrid" });
				if (r.status === 201) return r.body;
				await new Promise(res => setTimeout(res, 200));
			}
			throw new Error("could not create a club");
		};
		const copyClub = await makeClub("Bench COPY");
		const importClub = await makeClub("Bench import");
		const key = importClub.apiKey.key;
		for (let i = 0; i < 200 && (await call("GET", "/imports", key)).status !== 200; i++) await new Promise(r => setTimeout(r, 200));
		const defaults = (await call("GET", "/groups", copyClub.apiKey.key)).body.items.find((g: any) => g.isDefault);
		await new Promise(r => setTimeout(r, 2000)); // both workers subscribed

		// Files: the import's CSV (as people type it) and COPY's (already normalised).
		const csvFile = path.join(dir, "clients.csv");
		const csvBytes = await writeFile(csvFile, i => {
			const p = person(i);
			return `${p.name},${p.email},${p.phoneNational},${p.gender === "female" ? "F" : "M"},Spain\n`;
		}, "Full name,Email,Phone,Gender,Country\n");
		const copyFile = path.join(dir, "copy.csv");
		fs.chmodSync(dir, 0o755);
		await writeFile(copyFile, i => {
			const p = person(i);
			return `${copyClub.club.id},${crypto.randomUUID()},${p.name},${p.email},${p.e164},${p.gender},ES,${defaults.id},staff\n`;
		});
		fs.chmodSync(copyFile, 0o644);
		console.log(`Generated ${(csvBytes / 1048576).toFixed(1)} MiB of CSV.`);

		// Baseline: raw COPY into the same indexed table.
		const db = new pg.Client({ connectionString: infra.databaseUrl });
		await db.connect();
		const t0 = process.hrtime.bigint();
		await db.query(`COPY clients.clients (club_id, id, full_name, email, phone, gender, country, group_id, source) FROM '${copyFile}' WITH (FORMAT csv)`);
		const copySeconds = Number(process.hrtime.bigint() - t0) / 1e9;
		const copyRate = ROWS / copySeconds;
		console.log(`COPY baseline: ${copySeconds.toFixed(1)} s, ${Math.round(copyRate).toLocaleString("en-US")} rows/s`);

		// The import, end to end.
		const t1 = process.hrtime.bigint();
		const res = await fetch(`${base}/imports?fileName=clients.csv`, {
			method: "POST",
			headers: { authorization: `Bearer ${key}`, "content-type": "text/csv", "content-length": String(csvBytes) },
			body: Readable.toWeb(fs.createReadStream(csvFile)) as any,
			duplex: "half",
		} as RequestInit);
		const accepted: any = await res.json();
		if (res.status !== 202) throw new Error(`upload: ${res.status} ${JSON.stringify(accepted)}`);
		const uploadSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
		let job = accepted;
		while (!["completed", "failed", "cancelled"].includes(job.status)) {
			await new Promise(r => setTimeout(r, 250));
			const poll = await call("GET", `/imports/${job.id}`, key);
			if (poll.status === 200) job = poll.body;
		}
		const importSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
		const importRate = ROWS / importSeconds;
		const counted = (await db.query("SELECT count(*)::int AS n FROM clients.clients WHERE club_id = $1 AND deleted_at IS NULL", [importClub.club.id])).rows[0].n;
		await db.end();

		console.log(`Import: ${job.status}, file read (upload answered) in ${uploadSeconds.toFixed(1)} s, done in ${importSeconds.toFixed(1)} s, ${Math.round(importRate).toLocaleString("en-US")} rows/s`);
		console.log(`  created ${job.created}, updated ${job.updated}, skipped ${job.skipped}, failed ${job.failed}; rows in the table: ${counted}`);
		const ratio = importRate / copyRate;
		console.log(`Import / COPY: ${ratio.toFixed(2)}x (goal >= 0.5x) ${ratio >= 0.5 ? "OK" : "BELOW GOAL"}`);
		console.log("Peak RSS per node (goal <= 256 MB):");
		for (const [name, proc] of Object.entries(nodes)) {
			const mb = peakRssMb(proc.child.pid);
			console.log(`  ${name.padEnd(30)} ${mb.toFixed(0).padStart(5)} MB ${mb <= 256 ? "OK" : "OVER"}`);
		}
		for (const [name, proc] of Object.entries(nodes)) {
			if (proc.child.exitCode === null && proc.child.signalCode === null) continue;
			console.log(`${name} ended during the run (${proc.child.exitCode ?? proc.child.signalCode}); its last output:\n${proc.output().slice(-4000)}`);
			process.exitCode = 1;
		}
		if (job.status !== "completed" || job.created !== ROWS || counted !== ROWS) {
			console.log("The import did not create every row: see above.");
			process.exitCode = 1;
		}
	} finally {
		await Promise.all(procs.map(p => p.kill("SIGTERM")));
		await infra.stop();
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
