/**
 * A webhook receiver on 127.0.0.1 for the tests and the bench: records every request
 * (headers, raw body, when) and answers what `respond` says (status, delay, extra body;
 * "hold" keeps the request open until `release()`).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
	path: string;
	headers: Record<string, string>;
	body: string;
	at: number;
	/** The sender went away before it got an answer (e.g. its node was killed). */
	aborted?: boolean;
}

export type Answer = { status: number; delayMs?: number; body?: string; headers?: Record<string, string> } | "hold";

export interface Receiver {
	url: (path?: string) => string;
	received: Received[];
	/** Requests whose webhook-id was being answered by another request at the same time. */
	overlaps: string[];
	respond: (req: Received) => Answer;
	onRequest?: (req: Received) => void;
	release(): void;
	close(): Promise<void>;
}

export async function startReceiver(respond: (req: Received) => Answer = () => ({ status: 200 })): Promise<Receiver> {
	const held: http.ServerResponse[] = [];
	const open = new Map<string, number>();
	const r: Receiver = {
		url: (path = "/hook") => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
		received: [],
		overlaps: [],
		respond,
		release() {
			for (const res of held.splice(0)) if (!res.destroyed) res.writeHead(200).end();
		},
		async close() {
			r.release();
			server.closeAllConnections();
			await new Promise(resolve => server.close(resolve));
		},
	};
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", c => chunks.push(c));
		req.on("error", () => undefined);
		req.on("end", () => {
			const rec: Received = { path: req.url ?? "", headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() };
			const id = rec.headers["webhook-id"] ?? "";
			if (open.get(id)) r.overlaps.push(id);
			open.set(id, (open.get(id) ?? 0) + 1);
			res.on("close", () => {
				open.set(id, (open.get(id) ?? 1) - 1);
				if (!res.writableFinished) rec.aborted = true;
			});
			r.received.push(rec);
			r.onRequest?.(rec);
			const answer = r.respond(rec);
			if (answer === "hold") return void held.push(res);
			const send = () => {
				if (!res.destroyed) res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? "");
			};
			if (answer.delayMs) setTimeout(send, answer.delayMs);
			else send();
		});
	});
	server.on("error", () => undefined);
	server.on("clientError", (_err, socket) => socket.destroy());
	await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
	return r;
}

/** Polls `fn` until `ok` (or throws after `ms`). */
export async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, what: string, ms = 10_000): Promise<T> {
	const started = Date.now();
	for (;;) {
		const v = await fn();
		if (ok(v)) return v;
		if (Date.now() - started > ms) throw Object.assign(new Error(`gave up waiting for ${what}: ${JSON.stringify(v)?.slice(0, 500)}`), { name: "WaitError" });
		await new Promise(res => setTimeout(res, 50));
	}
}

/** Sets environment variables for a while (readEnv() reads them on every use) and restores them. */
export function withEnv(vars: Record<string, string | undefined>): () => void {
	const before = Object.fromEntries(Object.keys(vars).map(k => [k, process.env[k]]));
	for (const [k, v] of Object.entries(vars)) {
		if (v === undefined) delete process.env[k];
		else process.env[k] = v;
	}
	return () => {
		for (const [k, v] of Object.entries(before)) {
			if (v === undefined) delete process.env[k];
			else process.env[k] = v;
		}
	};
}
