/**
 * The gateway phase's load generator, in its own process (as real clients are): N debits of
 * AMOUNT with C in flight over keep-alive connections, each with its own Idempotency-Key
 * (LOAD_HEALTH=1: N GET /health instead, the gateway's floor on this machine in this run).
 * Input in the environment (LOAD_*), answer on stdout: { seconds, statuses }.
 */
import http from "node:http";

const env = process.env;
const [baseUrl, key, run] = [env.LOAD_URL!, env.LOAD_KEY!, env.LOAD_RUN!];
const wallets = env.LOAD_WALLETS!.split(",");
const [n, c, amount] = [Number(env.LOAD_N), Number(env.LOAD_C), Number(env.LOAD_AMOUNT)];
const agent = new http.Agent({ keepAlive: true, maxSockets: c });

function health(): Promise<number> {
	return new Promise((resolve, reject) => {
		const req = http.request(`${baseUrl}/health`, { method: "GET", agent }, res => {
			res.on("data", () => undefined);
			res.on("end", () => resolve(res.statusCode ?? 0));
			res.on("error", reject);
		});
		req.on("error", reject);
		req.end();
	});
}

function debit(i: number): Promise<number> {
	const payload = JSON.stringify({ amount, reference: `booking-${i}` });
	return new Promise((resolve, reject) => {
		const req = http.request(
			`${baseUrl}/api/v1/wallets/${wallets[i % wallets.length]}/debit`,
			{ method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), authorization: `Bearer ${key}`, "idempotency-key": `http-${run}-${i}` } },
			res => {
				res.on("data", () => undefined);
				res.on("end", () => resolve(res.statusCode ?? 0));
				res.on("error", reject);
			},
		);
		req.on("error", reject);
		req.end(payload);
	});
}

async function main(): Promise<void> {
	const statuses: Record<number, number> = {};
	let next = 0;
	const started = process.hrtime.bigint();
	await Promise.all(
		Array.from({ length: c }, async () => {
			while (next < n) {
				const i = next++;
				const status = env.LOAD_HEALTH ? await health() : await debit(i);
				statuses[status] = (statuses[status] ?? 0) + 1;
			}
		}),
	);
	const seconds = Number(process.hrtime.bigint() - started) / 1e9;
	agent.destroy();
	process.stdout.write(JSON.stringify({ seconds, statuses }));
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
