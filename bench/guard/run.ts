/**
 * booking-guard.check over NATS against a no-op bus round trip, measured in the same run.
 *
 *   npx tsx bench/guard/run.ts        (BENCH_N=20000 calls per phase, BENCH_C=64 in flight)
 *
 * Topology (real nats-server, real PostgreSQL, three processes):
 *   this process   the caller: a bare broker, no services (the booking system's seat);
 *   node "guard"   booking-guard + bench-echo.noop (the baseline lives in the same process);
 *   node "rest"    api, clubs, groups, clients, wallets (the facts the guard caches).
 * The check is the booking system's realistic call: client in a group with a limit and
 * payment methods, a product with an activity rule, two categories, a price, a payment
 * method, three future bookings already held. Phases alternate (noop, check, noop, check)
 * after a warm-up; each prints throughput and p50/p99 latency. Goal: check ≥ 0.5× noop.
 * A last, informational phase pays by wallet (one extra wallets.balance call per check).
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import { ServiceBroker, type BrokerOptions } from "moleculer";
import { freePort } from "../../lib/embedded-pg";
import { startInfra } from "../../test/support/infra";
import { httpClient, newClub } from "../../test/support/app";

const N = Number(process.env.BENCH_N ?? 20_000);
const C = Number(process.env.BENCH_C ?? 64);
const ROOT = path.resolve(__dirname, "..", "..");

function fail(message: string): never {
	throw Object.assign(new Error(message), { name: "BenchCheckError" });
}

function startNode(env: Record<string, string>): Promise<ChildProcess> {
	const child = spawn(process.execPath, ["--import", "tsx", "bench/guard/node.ts"], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
	let out = "";
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(fail(`node ${env.NODE_ID} did not start:\n${out}`)), 60_000);
		const onData = (d: Buffer) => {
			out += d.toString();
			if (out.includes("BENCH NODE READY")) {
				clearTimeout(timer);
				resolve(child);
			}
		};
		child.stdout!.on("data", onData);
		child.stderr!.on("data", d => (out += d.toString()));
		child.once("exit", code => {
			clearTimeout(timer);
			reject(fail(`node ${env.NODE_ID} exited (${code}):\n${out}`));
		});
	});
}

async function stopNode(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	child.removeAllListeners("exit");
	await new Promise<void>(resolve => {
		child.once("exit", () => resolve());
		child.kill("SIGTERM");
	});
}

interface Result {
	name: string;
	rps: number;
	p50: number;
	p99: number;
}

/** `n` calls with `c` in flight; throughput and latency percentiles (ms). */
async function pump(name: string, n: number, c: number, job: () => Promise<void>): Promise<Result> {
	const lat = new Float64Array(n);
	let next = 0;
	const started = process.hrtime.bigint();
	await Promise.all(
		Array.from({ length: c }, async () => {
			while (next < n) {
				const i = next++;
				const t0 = process.hrtime.bigint();
				await job();
				lat[i] = Number(process.hrtime.bigint() - t0) / 1e6;
			}
		}),
	);
	const seconds = Number(process.hrtime.bigint() - started) / 1e9;
	lat.sort();
	return { name, rps: n / seconds, p50: lat[Math.floor(n * 0.5)], p99: lat[Math.floor(n * 0.99)] };
}

const show = (r: Result) => console.log(`  ${r.name.padEnd(26)} ${r.rps.toFixed(0).padStart(7)} calls/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms`);

async function main(): Promise<void> {
	const infra = await startInfra();
	const namespace = `bench${crypto.randomBytes(3).toString("hex")}`;
	const platformKey = `chp_bench_${crypto.randomBytes(12).toString("hex")}`;
	const port = await freePort();
	const common = { TRANSPORTER: infra.natsUrl, DATABASE_URL: infra.databaseUrl, NAMESPACE: namespace, PLATFORM_API_KEY: platformKey, LOG_LEVEL: "warn" };
	const children: ChildProcess[] = [];
	let caller: ServiceBroker | null = null;
	try {
		children.push(await startNode({ ...common, SERVICES: "api,clubs,groups,clients,wallets", NODE_ID: `${namespace}-rest`, PORT: String(port), HOST: "127.0.0.1" }));
		children.push(await startNode({ ...common, SERVICES: "booking-guard", NODE_ID: `${namespace}-guard`, BENCH_ECHO: "1" }));
		caller = new ServiceBroker({ nodeID: `${namespace}-caller`, namespace, transporter: infra.natsUrl as BrokerOptions["transporter"], serializer: "Notepack", logger: false, requestTimeout: 30_000, retryPolicy: { enabled: false } });
		await caller.start();
		await caller.waitForServices(["booking-guard", "bench-echo", "groups", "clients", "wallets"], 30_000);

		// The facts: a group with a limit, payment methods and VAT; a client with two categories;
		// an activity rule that lets the group book; three future bookings already held.
		process.env.PLATFORM_API_KEY = platformKey;
		const http = httpClient(`http://127.0.0.1:${port}`);
		const club = await newClub(http);
		const must = async (p: Promise<{ status: number; body: any; text: string }>, status: number) => {
			const r = await p;
			if (r.status !== status) fail(`setup: ${r.status} ${r.text}`);
			return r.body;
		};
		const group = await must(http.post("/groups", { name: "Members", maxFutureBookings: 100, paymentMethods: ["card", "wallet"], vatRate: 2100 }, { key: club.admin }), 201);
		const client = await must(http.post("/clients", { fullName: "Bench Client", email: "bench@example.com", phone: "+34611222333", gender: "female", country: "ES", groupId: group.id }, { key: club.staff }), 201);
		for (const pct of [10, 25]) {
			const cat = await must(http.post("/categories", { name: `Cat ${pct}`, discountPercent: pct }, { key: club.admin }), 201);
			const r = await http.put(`/clients/${client.id}/categories/${cat.id}`, {}, { key: club.staff });
			if (r.status >= 300) fail(`setup category: ${r.status} ${r.text}`);
		}
		const pr = await http.put("/products/court-1/access", { kind: "activity", groupIds: [group.id] }, { key: club.admin });
		if (pr.status >= 300) fail(`setup access: ${pr.status} ${pr.text}`);
		const wallet = await must(http.post(`/clients/${client.id}/wallets`, { currency: "EUR" }, { key: club.staff }), 201);
		await must(http.post(`/wallets/${wallet.id}/top-up`, { amount: 1_000_000 }, { key: club.staff, idempotencyKey: "seed" }), 201);
		const meta = { meta: { clubId: club.club.id } };
		for (let i = 0; i < 3; i++) {
			await caller.call("booking-guard.reserve", { clientId: client.id, productId: "court-1", startsAt: new Date(Date.now() + (i + 1) * 86_400_000).toISOString(), endsAt: new Date(Date.now() + (i + 1) * 86_400_000 + 3_600_000).toISOString() }, meta);
		}

		const startsAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
		const checkParams = { clientId: client.id, productId: "court-1", startsAt, channel: "online", price: { amount: 2000, currency: "EUR" }, paymentMethod: "card" };
		const sample: any = await caller.call("booking-guard.check", checkParams, meta);
		if (!sample.allowed || sample.price.final !== 1500 || sample.price.vatAmount !== 260) fail(`unexpected decision: ${JSON.stringify(sample)}`);
		const noop = async () => {
			await caller!.call("bench-echo.noop", {}, meta);
		};
		const check = async () => {
			const r: any = await caller!.call("booking-guard.check", checkParams, meta);
			if (!r.allowed) fail(`check refused: ${JSON.stringify(r.reasons)}`);
		};
		const walletCheck = async () => {
			const r: any = await caller!.call("booking-guard.check", { ...checkParams, paymentMethod: "wallet" }, meta);
			if (!r.allowed) fail(`wallet check refused: ${JSON.stringify(r.reasons)}`);
		};

		console.log(`guard bench: ${N} calls per phase, ${C} in flight, ${os.cpus().length} cores, node ${process.version}; caller, guard node and rest node in 3 processes over nats-server`);
		await pump("warm-up", 3000, C, noop);
		await pump("warm-up", 3000, C, check);
		const results: Result[] = [];
		for (const round of [1, 2]) {
			for (const [name, job] of [["noop round trip", noop], ["booking-guard.check", check]] as const) {
				const r = await pump(`${name} #${round}`, N, C, job);
				results.push(r);
				show(r);
			}
		}
		show(await pump("check paying by wallet", Math.floor(N / 2), C, walletCheck));

		const mean = (prefix: string) => {
			const rs = results.filter(r => r.name.startsWith(prefix));
			return rs.reduce((s, r) => s + r.rps, 0) / rs.length;
		};
		const ratio = mean("booking-guard.check") / mean("noop round trip");
		console.log(`\ncheck / noop throughput: ${ratio.toFixed(2)}× (goal >= 0.5×: ${ratio >= 0.5 ? "met" : "NOT met"})`);
	} finally {
		await caller?.stop().catch(() => undefined);
		for (const child of children.reverse()) await stopNode(child);
		await infra.stop();
	}
}

main().then(
	() => process.exit(0),
	err => {
		console.error(err);
		process.exit(1);
	},
);
