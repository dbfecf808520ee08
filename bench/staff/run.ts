/**
 * What a sign-in costs.
 *
 *   npx tsx bench/staff/run.ts            (BENCH_N=200 sign-ins per phase, BENCH_C=8 in flight)
 *
 * Phases, in this one process (every service the sign-in touches, no transporter, like the
 * embedded default) on a throwaway embedded PostgreSQL:
 *   hash       argon2id hash and verify of a password, one at a time: ms per hash (the
 *              sign-in's own cost) and how many verifications per second the thread pool gives;
 *   baseline   POST /session { apiKey }: the same route, session row, trail entry and cookie,
 *              without a password (what the sign-in costs besides argon2);
 *   password   POST /session { email, password } with the right password;
 *   unknown    POST /session with an unknown e-mail (401 after a dummy verification: should
 *              cost as much as a real one);
 *   cookie     GET /api/v1/club with the session cookie (a request of a signed-in member).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPg } from "../../lib/embedded-pg";
import { newClub, startCluster } from "../../test/support/app";
import { hashPassword, verifyPassword } from "../../services/staff/staff.passwords";

const N = Number(process.env.BENCH_N ?? 200);
const C = Number(process.env.BENCH_C ?? 8);
const PASSWORD = "bench-passphrase-of-a-member";

function fail(message: string): never {
	throw Object.assign(new Error(message), { name: "BenchCheckError" });
}

async function pump(n: number, c: number, job: (i: number) => Promise<void>): Promise<number> {
	let next = 0;
	const started = process.hrtime.bigint();
	await Promise.all(Array.from({ length: c }, async () => {
		while (next < n) await job(next++);
	}));
	return Number(process.hrtime.bigint() - started) / 1e9;
}

async function main(): Promise<void> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clubhouse-bench-staff-"));
	fs.chmodSync(dir, 0o755);
	const pg = await startEmbeddedPg({ dir, database: "bench", persistent: process.env.BENCH_FSYNC !== "off" });
	process.env.DATABASE_URL = pg.url;
	process.env.PLATFORM_API_KEY = `chp_bench_${crypto.randomBytes(12).toString("hex")}`;
	process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? "warn";
	const running = await startCluster([{ services: ["api", "clubs", "groups", "staff"] }], { transporter: false });
	const { http } = running;
	try {
		console.log(`staff bench: ${N} requests per phase, ${C} in flight, ${os.cpus().length} cores, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? 4}, node ${process.version}`);

		const stored = await hashPassword(PASSWORD);
		const hashes = 20;
		let t = process.hrtime.bigint();
		for (let i = 0; i < hashes; i++) await hashPassword(`${PASSWORD}-${i}`);
		const hashMs = Number(process.hrtime.bigint() - t) / 1e6 / hashes;
		t = process.hrtime.bigint();
		for (let i = 0; i < hashes; i++) if (!(await verifyPassword(stored, PASSWORD))) fail("verify refused the right password");
		const verifyMs = Number(process.hrtime.bigint() - t) / 1e6 / hashes;
		const parallel = await pump(N, C, async () => void (await verifyPassword(stored, PASSWORD)));
		console.log(`  argon2id (m=19 MiB, t=2, p=1)  hash ${hashMs.toFixed(1)} ms   verify ${verifyMs.toFixed(1)} ms   ${(N / parallel).toFixed(0)} verifications/s at ${C} in flight`);

		const club = await newClub(http);
		// One member per request so the per-e-mail throttle never counts (every sign-in succeeds anyway).
		const emails: string[] = [];
		for (let i = 0; i < 10; i++) {
			const email = `bench.${i}.${crypto.randomBytes(3).toString("hex")}@example.com`;
			const inv = await http.post("/staff", { name: `Bench ${i}`, email, role: "staff" }, { key: club.admin });
			if (inv.status !== 201) fail(`POST /staff: ${inv.status} ${inv.text}`);
			const ok = await http.post("/staff/accept", { token: inv.body.invitation.token, password: PASSWORD });
			if (ok.status !== 200) fail(`accept: ${ok.status} ${ok.text}`);
			emails.push(email);
		}
		const phase = async (label: string, job: (i: number) => Promise<void>) => {
			const s = await pump(N, C, job);
			console.log(`  ${label.padEnd(34)} ${(N / s).toFixed(0).padStart(6)} req/s   ${((s / N) * 1000 * C).toFixed(1).padStart(6)} ms each at ${C} in flight`);
			return N / s;
		};
		const base = await phase("baseline POST /session {apiKey}", async () => {
			const r = await http.post("/session", { apiKey: club.staff });
			if (r.status !== 200) fail(`apiKey sign-in: ${r.status} ${r.text}`);
		});
		const pw = await phase("POST /session {email, password}", async i => {
			const r = await http.post("/session", { email: emails[i % emails.length], password: PASSWORD });
			if (r.status !== 200) fail(`sign-in: ${r.status} ${r.text}`);
		});
		const unknown = await phase("POST /session, unknown e-mail (401)", async i => {
			const r = await http.post("/session", { email: `nobody.${i}@example.com`, password: PASSWORD });
			if (r.status !== 401) fail(`unknown e-mail: ${r.status} ${r.text}`);
		});
		const signed = await http.post("/session", { email: emails[0], password: PASSWORD });
		const cookie = /clubhouse_session=[^;]+/.exec(signed.headers.get("set-cookie") ?? "")![0];
		const cookieRps = await phase("GET /club with the cookie", async () => {
			const r = await http.get("/club", { headers: { cookie } });
			if (r.status !== 200) fail(`cookie: ${r.status} ${r.text}`);
		});
		const keyRps = await phase("GET /club with the key (baseline)", async () => {
			const r = await http.get("/club", { key: club.staff });
			if (r.status !== 200) fail(`key: ${r.status} ${r.text}`);
		});
		console.log(
			`\nsign-in: ${hashMs.toFixed(1)} ms per hash; ${pw.toFixed(0)} sign-ins/s (${((pw / base) * 100).toFixed(0)}% of the key sign-in's ${base.toFixed(0)}/s); ` +
				`unknown e-mail ${unknown.toFixed(0)}/s (${((unknown / pw) * 100).toFixed(0)}% of a real sign-in: same cost); cookie requests ${((cookieRps / keyRps) * 100).toFixed(0)}% of key requests`,
		);
	} finally {
		await running.stop();
		await pg.stop();
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

main().then(
	() => process.exit(0),
	err => {
		console.error(err);
		process.exit(1);
	},
);
