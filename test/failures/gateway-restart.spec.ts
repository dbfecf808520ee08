/**
 * The gateway restarted under load, for real: requests in flight when it is told to stop
 * are drained (answered), requests that arrive while it is down fail cleanly (connection
 * refused / 503, never a 500), and no accepted write is lost.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { processCluster, type ProcessCluster } from "../support/processes";

/** A POST whose body is sent in two halves with a pause between them. */
function slowPost(port: number, path: string, key: string, body: string, pauseMs: number, onHalf: () => void): Promise<{ status: number; text: string }> {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: "127.0.0.1", port, path, method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, res => {
			let text = "";
			res.on("data", d => (text += d));
			res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
		});
		req.on("error", reject);
		const half = Math.floor(body.length / 2);
		req.write(body.slice(0, half));
		setTimeout(onHalf, 50);
		setTimeout(() => req.end(body.slice(half)), pauseMs);
	});
}

describe("Node failure: gateway restart under load (real processes, NATS)", function () {
	this.timeout(180_000);
	let cluster: ProcessCluster | null = null;
	after(async () => {
		await cluster?.kill();
	});

	it("when the gateway stops mid-request and restarts under load, then in-flight requests are answered and nothing accepted is lost", async () => {
		cluster = await processCluster({ LOG_LEVEL: "error", HEARTBEAT_INTERVAL_S: "1", HEARTBEAT_TIMEOUT_S: "3" });
		const port = cluster.port;
		cluster.start("clubs,groups,clients,wallets,booking-guard", "backend");
		let gw = cluster.gateway("api", "gw-a");
		await gw.waitFor(/Clubhouse is ready/, 60_000);
		const h = cluster.http;
		const club = await cluster.newClub({ name: "Restart", country: "FR", currency: "EUR", timezone: "Europe/Paris" });
		const key = club.body.apiKey.key;
		for (let i = 0; i < 100 && (await h.get("/clients", { key })).status !== 200; i++) await new Promise(r => setTimeout(r, 200));

		// Load: writers with unique idempotency keys, until told to stop.
		const outcomes = new Map<string, { status: number | "network"; final?: number }>();
		let stop = false;
		let n = 0;
		const writer = async () => {
			while (!stop) {
				const id = `w${n++}`;
				try {
					const res = await h.post("/clients", { fullName: `Load ${id}`, email: `${id}@load.example.com`, phone: "+33612345678", gender: "female", country: "FR" }, { key, idempotencyKey: id });
					outcomes.set(id, { status: res.status });
					assert.ok(res.status !== 500, `a bare 500: ${res.text}`);
				} catch {
					outcomes.set(id, { status: "network" });
					await new Promise(r => setTimeout(r, 50));
				}
			}
		};
		const load = Promise.all(Array.from({ length: 4 }, writer));
		await new Promise(r => setTimeout(r, 1000));

		// A request in flight when SIGTERM arrives is still answered (graceful drain).
		const exited = new Promise<number | null>(resolve => gw.child.once("exit", code => resolve(code)));
		const inflight = slowPost(port, "/api/v1/clients", key, JSON.stringify({ fullName: "Drained Request", email: "drained@example.com", phone: "+33612345679", gender: "male", country: "FR" }), 800, () => gw.child.kill("SIGTERM"));
		const drained = await inflight;
		assert.equal(drained.status, 201, drained.text);
		assert.equal(await exited, 0);

		// Down for a moment, then up again on the same port.
		await new Promise(r => setTimeout(r, 500));
		gw = cluster.gateway("api", "gw-b");
		await gw.waitFor(/Clubhouse is ready/, 60_000);
		for (let i = 0; i < 100 && (await h.get("/clients", { key }).catch(() => ({ status: 0 }))).status !== 200; i++) await new Promise(r => setTimeout(r, 100));
		await new Promise(r => setTimeout(r, 1000));
		stop = true;
		await load;

		const statuses = [...outcomes.values()].map(o => o.status);
		assert.ok(statuses.filter(s => s === 201).length > 10, "the load really ran");
		assert.ok(statuses.includes("network") || statuses.includes(503), "the restart really hit the load");
		for (const s of statuses) assert.ok(s === 201 || s === 503 || s === "network", `unexpected outcome ${s}`);

		// Every accepted write is there; every failed one can be retried with its key, exactly once.
		const accepted = [...outcomes].filter(([, o]) => o.status === 201);
		const toRetry = [...outcomes].filter(([, o]) => o.status !== 201).concat(accepted.filter((_, i) => i % Math.ceil(accepted.length / 20) === 0));
		for (const [id, o] of toRetry) {
			const retry = await h.post("/clients", { fullName: `Load ${id}`, email: `${id}@load.example.com`, phone: "+33612345678", gender: "female", country: "FR" }, { key, idempotencyKey: id });
			assert.equal(retry.status, 201, `${id}: ${o.status} then ${retry.status} ${retry.text}`);
		}
		const total = outcomes.size + 1;
		let count = 0;
		let cursor: string | null = null;
		do {
			const page: any = await h.get(`/clients?limit=500${cursor ? `&cursor=${cursor}` : ""}`, { key });
			count += page.body.items.length;
			cursor = page.body.nextCursor;
		} while (cursor);
		assert.equal(count, total, "one client per write, none lost, none doubled");
	});
});
