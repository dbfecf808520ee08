/**
 * The client directory at the size of a big club: 1,000,000 clients in one club.
 *
 *   npx tsx bench/clients/run.ts          (BENCH_CLIENTS=1000000, BENCH_IMPORT=200000, BENCH_C=48 in flight, BENCH_SECONDS=8)
 *
 * All in this one process (every service, no transporter, like the embedded default), on a
 * throwaway embedded PostgreSQL:
 *   import    first, on the empty database, one club imports BENCH_IMPORT clients through
 *             POST /api/v1/imports (a generated CSV, the real pipeline) and searches as soon
 *             as its job reads `completed`: "right after import" p50/p95; then the same
 *             searches after an explicit ANALYZE (the same-run baseline: what the planner
 *             knows on a quiet day). BENCH_IMPORT=0 skips it;
 *   seed      the clients are generated in SQL (generate_series) straight into the clients
 *             schema with its real indexes, in 100k-row batches, then ANALYZE;
 *   baseline  GET /health through the same gateway (no auth, no action, no database);
 *   get       GET /api/v1/clients/:id for random ids (key auth, action, one indexed read);
 *   search    GET /api/v1/clients?q=… for typical queries (names with and without accents,
 *             e-mail prefixes, phone digits), sequentially: p50/p95 per query;
 *   create    POST /api/v1/clients with and without duplicate detection (possibleDuplicates),
 *             interleaved 1-second rounds (the names are the seed's: each shared by hundreds);
 *   dups      GET /api/v1/clients/:id/duplicates for random clients, sequentially: p50/p95.
 * Goals: get ≥ 0.5× the baseline's throughput; search p95 ≤ 20 ms, right after an import and
 * on a quiet day; detection < 20 % slower; duplicates p95 ≤ 20 ms.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPg } from "../../lib/embedded-pg";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1_000_000);
const C = Number(process.env.BENCH_C ?? 48);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const IMPORT = Number(process.env.BENCH_IMPORT ?? 200_000);
const BATCH = 100_000;
const FIRST = ["Ana", "José", "María", "Lucía", "Javier", "Zoë", "Marc", "Élodie", "Jürgen", "Giulia", "Pablo", "Carmen", "Luca", "Sofía", "Hugo", "Léa", "Noah", "Emma", "Mateo", "Chloé", "Björn", "Inès", "Álvaro", "Francesca", "Thomas", "Laura", "David", "Marta", "Paolo", "Núria"];
const LAST = ["García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Martin", "Bernard", "Dubois", "Durand", "Lefèvre", "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Smith", "Jones", "Taylor", "Brown", "Núñez", "Álvarez", "Ibáñez", "Muñoz", "Castaño", "O'Neil", "Van Dijk", "Dupont", "Moreau", "Laurent", "Simon", "Michel"];

function fail(message: string): never {
	throw Object.assign(new Error(message), { name: "BenchCheckError" });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: C });

function get(baseUrl: string, pathname: string, key?: string): Promise<{ status: number; body: string }> {
	return new Promise((resolve, reject) => {
		const req = http.get(baseUrl + pathname, { agent, headers: key ? { authorization: `Bearer ${key}` } : {} }, res => {
			const chunks: Buffer[] = [];
			res.on("data", c => chunks.push(c));
			res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
			res.on("error", reject);
		});
		req.on("error", reject);
	});
}

function post(baseUrl: string, pathname: string, key: string, body: unknown): Promise<{ status: number; body: string }> {
	return new Promise((resolve, reject) => {
		const data = JSON.stringify(body);
		const req = http.request(baseUrl + pathname, { method: "POST", agent, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": Buffer.byteLength(data) } }, res => {
			const chunks: Buffer[] = [];
			res.on("data", c => chunks.push(c));
			res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
			res.on("error", reject);
		});
		req.on("error", reject);
		req.end(data);
	});
}

/** `C` loops issuing requests for `seconds`; answers requests per second. */
async function load(seconds: number, request: (i: number) => Promise<void>): Promise<{ rps: number; n: number }> {
	let n = 0;
	const until = Date.now() + seconds * 1000;
	const started = process.hrtime.bigint();
	await Promise.all(
		Array.from({ length: C }, async () => {
			while (Date.now() < until) await request(n++);
		}),
	);
	const s = Number(process.hrtime.bigint() - started) / 1e9;
	return { rps: n / s, n };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** Sequential searches of typical queries in one club; prints p50/p95 per query and overall. */
async function searchLatency(baseUrl: string, admin: any, clubId: string, key: string, label: string): Promise<{ p95: number; queries: string[] }> {
	const sample: { phone: string; email: string } = (await admin.raw("SELECT phone, email FROM clients.clients WHERE club_id = ? ORDER BY id OFFSET 4242 LIMIT 1", [clubId])).rows[0];
	const national = sample.phone.slice(3); // +34 612345678 -> 612345678
	const queries = [
		"garcia", "García", "jose", "lucia fern", "muller", "Müller", "nunez", "ibanez ro", "o'neil", "van dijk", "zoe", "marta núñ",
		"elodie.dub", "maria.gar", sample.email.slice(0, sample.email.indexOf("@") - 1),
		`${national.slice(0, 3)} ${national.slice(3, 6)} ${national.slice(6)}`, `+34 ${national}`, national.slice(-5),
	];
	const all: number[] = [];
	const lines: string[] = [];
	for (const q of queries) {
		const url = `/api/v1/clients?q=${encodeURIComponent(q)}&limit=50`;
		const warm = await get(baseUrl, url, key);
		if (warm.status !== 200) fail(`search ${q}: ${warm.status} ${warm.body}`);
		const hits = JSON.parse(warm.body).items.length;
		const times: number[] = [];
		for (let i = 0; i < 25; i++) {
			const s = process.hrtime.bigint();
			await get(baseUrl, url, key);
			times.push(Number(process.hrtime.bigint() - s) / 1e6);
		}
		times.sort((x, y) => x - y);
		all.push(...times);
		lines.push(`    ${JSON.stringify(q).padEnd(26)} ${String(hits).padStart(3)} hits  p50 ${pct(times, 50).toFixed(1).padStart(6)} ms  p95 ${pct(times, 95).toFixed(1).padStart(6)} ms`);
	}
	all.sort((x, y) => x - y);
	console.log(`  search GET /api/v1/clients?q=… — ${label} (sequential, 25 runs per query):`);
	if (!process.env.BENCH_QUIET) for (const l of lines) console.log(l);
	const p95 = pct(all, 95);
	console.log(`  search overall [${label}]: p50 ${pct(all, 50).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${all[all.length - 1].toFixed(1)} ms (goal p95 ≤ 20 ms)`);
	return { p95, queries };
}

/** A generated client base as a CSV file (same names, e-mails and phones as the SQL seed). */
function clientsCsv(n: number, tag: string): Buffer {
	const rows = ["full_name,email,phone,gender,country,birth_date"];
	for (let i = 1; i <= n; i++) {
		const f = FIRST[(i * 31) % FIRST.length];
		const l = LAST[(i * 17) % LAST.length];
		const name = `${f} ${l}${i % 3 === 0 ? ` ${LAST[(i * 13) % LAST.length]}` : ""}`;
		const local = `${f}.${l}`.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z.]/g, "").toLowerCase();
		const phone = `+346${String((i * 2654435761) % 100_000_000).padStart(8, "0")}`;
		const birth = new Date(Date.UTC(1950, 0, 1) + ((i * 7919) % 20000) * 86_400_000).toISOString().slice(0, 10);
		rows.push(`"${name}",${local}.${tag}${i}@example.com,${phone},${["female", "male", "other"][i % 3]},${["ES", "FR", "DE", "IT", "GB"][i % 5]},${birth}`);
	}
	return Buffer.from(rows.join("\n"), "utf8");
}

/** One club imports IMPORT clients through POST /imports and searches as soon as the job reads completed. */
async function importThenSearch(running: any, newClub: any, baseUrl: string, admin: any): Promise<void> {
	const club = await newClub(running.http);
	const csv = clientsCsv(IMPORT, crypto.randomBytes(2).toString("hex"));
	const started = Date.now();
	const res = await running.http.request("POST", "/imports", { key: club.staff, rawBody: csv, headers: { "content-type": "text/csv" } });
	if (res.status !== 202) fail(`POST /imports: ${res.status} ${res.text}`);
	let job: any;
	for (;;) {
		job = (await running.http.get(`/imports/${res.body.id}`, { key: club.staff })).body;
		if (["completed", "failed", "cancelled"].includes(job.status)) break;
		await new Promise(r => setTimeout(r, 50));
	}
	if (job.status !== "completed" || job.created !== IMPORT) fail(`import ended ${job.status}: ${JSON.stringify(job)}`);
	const secs = (Date.now() - started) / 1000;
	console.log(`  import: ${IMPORT.toLocaleString("en")} clients through POST /api/v1/imports in ${secs.toFixed(1)} s (${Math.round(IMPORT / secs).toLocaleString("en")} rows/s, ${(csv.length / 1e6).toFixed(1)} MB), job completed`);
	const stats = (await admin.raw("SELECT last_analyze, last_autoanalyze, n_mod_since_analyze FROM pg_stat_user_tables WHERE schemaname = 'clients' AND relname = 'clients'")).rows[0];
	console.log(`  statistics when the job read completed: last_analyze ${stats.last_analyze?.toISOString?.() ?? "never"}, last_autoanalyze ${stats.last_autoanalyze?.toISOString?.() ?? "never"}, rows changed since ${stats.n_mod_since_analyze}`);
	await searchLatency(baseUrl, admin, club.club.id, club.viewer, `right after import, ${IMPORT.toLocaleString("en")} clients`);
	await admin.raw("ANALYZE clients.clients");
	await searchLatency(baseUrl, admin, club.club.id, club.viewer, `same club after an explicit ANALYZE (baseline)`);
}

async function main(): Promise<void> {
	const t0 = Date.now();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clubhouse-bench-clients-"));
	fs.chmodSync(dir, 0o755);
	const pg = await startEmbeddedPg({ dir, database: "bench", persistent: false });
	process.env.DATABASE_URL = pg.url;
	process.env.PLATFORM_API_KEY = `chp_bench_${crypto.randomBytes(12).toString("hex")}`;
	process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? "warn";
	process.env.KEY_CACHE_MS = process.env.KEY_CACHE_MS ?? "1000";
	const { startCluster, newClub } = await import("../../test/support/app.js");
	const running = await startCluster([{ services: ["api", "clubs", "groups", "clients", "wallets", "booking-guard", "import"] }], { transporter: false });
	const { baseUrl, brokers } = running;
	const knex = (await import("knex")).default;
	const admin = knex({ client: "pg", connection: pg.url, searchPath: ["clients", "public"], pool: { min: 0, max: 2 } });
	try {
		console.log(`clients bench: ${CLIENTS.toLocaleString("en")} clients in one club, ${C} requests in flight, ${SECONDS} s per phase, ${os.cpus().length} cores, node ${process.version}`);
		// ---- right after a big import, on the empty database (as a new deployment's first club)
		if (IMPORT > 0) await importThenSearch(running, newClub, baseUrl, admin);

		const club = await newClub(running.http);
		const groupId = (await running.http.get("/groups", { key: club.admin })).body.items.find((g: any) => g.isDefault).id;

		// ---- seed: generated in SQL, through the clients schema's real indexes
		const seedStart = Date.now();
		const first = FIRST;
		const last = LAST;
		const tags = ["vip", "junior", "morning", "evening", "league", "coach", "newsletter", "padel", "tennis", "gym"];
		// A bulk load builds GIN indexes once at the end (as a restore would), from their own definitions.
		const gin: Array<{ indexname: string; indexdef: string }> = (await admin.raw("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'clients' AND tablename = 'clients' AND indexdef LIKE '%USING gin%'")).rows;
		for (const ix of gin) await admin.raw(`DROP INDEX clients.${ix.indexname}`);
		for (let from = 1; from <= CLIENTS; from += BATCH) {
			const to = Math.min(CLIENTS, from + BATCH - 1);
			await admin.raw(
				`INSERT INTO clients.clients (club_id, id, full_name, email, phone, gender, country, birth_date, group_id, tags, source, created_at, updated_at)
				 SELECT :club::uuid, gen_random_uuid(), f || ' ' || l || CASE WHEN i % 3 = 0 THEN ' ' || l2 ELSE '' END,
				        lower(regexp_replace(public.unaccent(f || '.' || l), '[^A-Za-z.]', '', 'g')) || '.' || i || '@' || (ARRAY['gmail.com','yahoo.es','orange.fr','web.de','libero.it'])[1 + i % 5],
				        '+346' || lpad(((i::bigint * 2654435761) % 100000000)::text, 8, '0'),
				        (ARRAY['female','male','other'])[1 + i % 3], (ARRAY['ES','FR','DE','IT','GB'])[1 + i % 5],
				        DATE '1950-01-01' + (i::bigint * 7919 % 20000)::int, :group::uuid,
				        CASE WHEN i % 4 = 0 THEN ARRAY[(:tags::text[])[1 + i % 10]] WHEN i % 4 = 1 THEN ARRAY[(:tags::text[])[1 + i % 10], (:tags::text[])[1 + (i / 10) % 10]] ELSE '{}' END,
				        'import', ts, ts
				   FROM (SELECT i, (:first::text[])[1 + (i * 31 % :nf)] AS f, (:last::text[])[1 + (i * 17 % :nl)] AS l, (:last::text[])[1 + (i * 13 % :nl)] AS l2,
				                timestamptz '2020-01-01' + make_interval(secs => i * 60) AS ts
				           FROM generate_series(:from::int, :to::int) AS i) s
				 ON CONFLICT DO NOTHING`,
				{ club: club.club.id, group: groupId, tags, first, last, nf: first.length, nl: last.length, from, to },
			);
			process.stdout.write(`\r  seeded ${to.toLocaleString("en")}`);
		}
		process.stdout.write(`\r  building ${gin.length} GIN indexes…       `);
		await admin.raw("SET maintenance_work_mem = '256MB'");
		for (const ix of gin) await admin.raw(ix.indexdef);
		await admin.raw("VACUUM ANALYZE clients.clients");
		const seeded = Number((await admin.raw("SELECT count(*) AS n FROM clients.clients WHERE club_id = ?", [club.club.id])).rows[0].n);
		if (seeded !== CLIENTS) fail(`seeded ${seeded} clients, wanted ${CLIENTS}`);
		const indexes = (await admin.raw("SELECT indexname FROM pg_indexes WHERE schemaname = 'clients' AND tablename = 'clients' ORDER BY 1")).rows.map((r: any) => r.indexname);
		console.log(`\r  seed: ${seeded.toLocaleString("en")} clients in ${((Date.now() - seedStart) / 1000).toFixed(1)} s (${Math.round(seeded / ((Date.now() - seedStart) / 1000)).toLocaleString("en")} rows/s, indexes included: ${indexes.join(", ")})`);
		const ids: string[] = (await admin.raw("SELECT id FROM clients.clients WHERE club_id = ? ORDER BY random() LIMIT 20000", [club.club.id])).rows.map((r: any) => r.id);

		// ---- throughput: no-op route vs GET /clients/:id, same gateway, same concurrency
		const check = await get(baseUrl, `/api/v1/clients/${ids[0]}`, club.viewer);
		if (check.status !== 200 || JSON.parse(check.body).id !== ids[0]) fail(`GET /clients/:id answered ${check.status} ${check.body}`);
		await load(1, async () => void (await get(baseUrl, "/health"))); // warm-up
		await load(1, async i => void (await get(baseUrl, `/api/v1/clients/${ids[i % ids.length]}`, club.viewer)));
		// Interleaved 1-second rounds, so a change in the machine's load hits both sides alike.
		let bad = 0;
		const base = { rps: 0, n: 0 };
		const one = { rps: 0, n: 0 };
		for (let round = 0; round < SECONDS; round++) {
			const b = await load(1, async () => {
				if ((await get(baseUrl, "/health")).status !== 200) bad++;
			});
			const g = await load(1, async i => {
				if ((await get(baseUrl, `/api/v1/clients/${ids[(round * 100_003 + i * 7919) % ids.length]}`, club.viewer)).status !== 200) bad++;
			});
			base.n += b.n;
			one.n += g.n;
			base.rps += b.rps / SECONDS;
			one.rps += g.rps / SECONDS;
		}
		if (bad) fail(`${bad} requests did not answer 200`);
		console.log(`  baseline GET /health:        ${Math.round(base.rps).toLocaleString("en")} req/s (${base.n.toLocaleString("en")} requests)`);
		console.log(`  GET /api/v1/clients/:id:     ${Math.round(one.rps).toLocaleString("en")} req/s (${one.n.toLocaleString("en")} requests)`);
		console.log(`  ratio: ${(one.rps / base.rps).toFixed(2)}× the no-op route (goal ≥ 0.5×)`);

		// ---- search latency, sequential, typical queries (a quiet day: statistics fresh)
		const { queries } = await searchLatency(baseUrl, admin, club.club.id, club.viewer, `quiet day, ${seeded.toLocaleString("en")} clients in the club`);
		if (process.env.BENCH_EXPLAIN) {
			const { applyFilters, liveClients } = await import("../../services/clients/clients.queries.js");
			for (const q of queries) {
				const sql = applyFilters(liveClients(admin, club.club.id), club.club.id, { q }).orderBy([{ column: "clients.created_at", order: "desc" }, { column: "clients.id", order: "desc" }]).limit(51).toString();
				const plan = await admin.raw(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`);
				console.log(`\n${q}\n${plan.rows.map((r: any) => r["QUERY PLAN"]).join("\n")}`);
			}
		}
		// ---- creation with and without duplicate detection (interleaved rounds, same club, same indexes)
		const clients: any = brokers[0].getLocalService("clients");
		let made = 0;
		const create = async () => {
			const i = made++;
			const res = await post(baseUrl, "/api/v1/clients", club.staff, {
				fullName: `${first[i % first.length]} ${last[(i * 7) % last.length]}`,
				email: `bench.new.${i}.${crypto.randomBytes(3).toString("hex")}@example.com`,
				phone: `+347${String(10_000_000 + ((i * 7919) % 89_999_999))}`,
				gender: "other",
				country: "ES",
			});
			if (res.status !== 201) bad++;
		};
		await load(1, create); // warm-up
		const withDup = { rps: 0, n: 0 };
		const withoutDup = { rps: 0, n: 0 };
		for (let round = 0; round < SECONDS; round++) {
			clients.settings.detectDuplicates = false;
			const off = await load(1, create);
			clients.settings.detectDuplicates = true;
			const on = await load(1, create);
			withoutDup.n += off.n;
			withDup.n += on.n;
			withoutDup.rps += off.rps / SECONDS;
			withDup.rps += on.rps / SECONDS;
		}
		if (bad) fail(`${bad} POST /clients did not answer 201`);
		console.log(`  POST /api/v1/clients without duplicate detection: ${Math.round(withoutDup.rps).toLocaleString("en")} req/s (${withoutDup.n.toLocaleString("en")} requests)`);
		console.log(`  POST /api/v1/clients with duplicate detection:    ${Math.round(withDup.rps).toLocaleString("en")} req/s (${withDup.n.toLocaleString("en")} requests)`);
		console.log(`  detection costs ${(100 * (1 - withDup.rps / withoutDup.rps)).toFixed(1)} % of the throughput (goal < 20 %; both sides maintain the dup_keys index)`);

		// ---- GET /clients/:id/duplicates, sequential, random clients (most names are shared by hundreds)
		// Each lookup follows a GET /clients/:id of the same client (the same-run baseline: the
		// gateway, auth and one indexed read, which the lookup also does before its own queries).
		const dupTimes: number[] = [];
		const getTimes: number[] = [];
		let dupHits = 0;
		for (let i = 0; i < 300; i++) {
			const id = ids[(i * 7919) % ids.length];
			const g = process.hrtime.bigint();
			if ((await get(baseUrl, `/api/v1/clients/${id}`, club.viewer)).status !== 200) fail(`GET /clients/${id} did not answer 200`);
			getTimes.push(Number(process.hrtime.bigint() - g) / 1e6);
			const s = process.hrtime.bigint();
			const res = await get(baseUrl, `/api/v1/clients/${id}/duplicates`, club.viewer);
			dupTimes.push(Number(process.hrtime.bigint() - s) / 1e6);
			if (res.status !== 200) fail(`duplicates: ${res.status} ${res.body}`);
			dupHits += JSON.parse(res.body).items.length;
		}
		dupTimes.sort((x, y) => x - y);
		getTimes.sort((x, y) => x - y);
		console.log(`  baseline GET /api/v1/clients/:id (sequential, the same 300 clients): p50 ${pct(getTimes, 50).toFixed(1)} ms, p95 ${pct(getTimes, 95).toFixed(1)} ms`);
		console.log(`  GET /api/v1/clients/:id/duplicates (sequential, 300 clients, ${(dupHits / 300).toFixed(1)} duplicates each): p50 ${pct(dupTimes, 50).toFixed(1)} ms, p95 ${pct(dupTimes, 95).toFixed(1)} ms, max ${dupTimes[dupTimes.length - 1].toFixed(1)} ms (goal p95 ≤ 20 ms; p95 ${(pct(dupTimes, 95) / pct(getTimes, 95)).toFixed(1)}× the baseline's)`);
		console.log(`  club size at the end: ${Number((await admin.raw("SELECT count(*) AS n FROM clients.clients WHERE club_id = ? AND deleted_at IS NULL", [club.club.id])).rows[0].n).toLocaleString("en")} clients`);
		console.log(`  total bench time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
	} finally {
		agent.destroy();
		await admin.destroy();
		await running.stop();
		await pg.stop();
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
