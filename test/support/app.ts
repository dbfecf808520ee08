/**
 * Starting Clubhouse in tests, the same way `npm start` does (lib/node.ts):
 *   - app(): one shared node with every service and no transporter (the embedded default);
 *   - startCluster(): several brokers over the real NATS server, each with some services;
 *   - http(): a small client for the gateway; newClub(): a club with keys of every role.
 */
import crypto from "node:crypto";
import type { ServiceBroker } from "moleculer";
import { readEnv, type ServiceName } from "../../moleculer.config";
import { createNode } from "../../lib/node";

export interface Running {
	brokers: ServiceBroker[];
	baseUrl: string;
	http: Http;
	stop(): Promise<void>;
}

export interface HttpResponse<T = any> {
	status: number;
	body: T;
	text: string;
	headers: Headers;
}

export interface RequestOptions {
	key?: string | null;
	body?: unknown;
	rawBody?: string | Buffer;
	headers?: Record<string, string>;
	idempotencyKey?: string;
}

export type Http = ReturnType<typeof httpClient>;

export function httpClient(baseUrl: string) {
	async function request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse<T>> {
		const headers: Record<string, string> = { ...(opts.headers ?? {}) };
		if (opts.key) headers.authorization = `Bearer ${opts.key}`;
		if (opts.idempotencyKey) headers["idempotency-key"] = opts.idempotencyKey;
		let body: string | Buffer | undefined;
		if (opts.rawBody !== undefined) body = opts.rawBody;
		else if (opts.body !== undefined) {
			body = JSON.stringify(opts.body);
			headers["content-type"] = headers["content-type"] ?? "application/json";
		}
		const url = path.startsWith("http") ? path : baseUrl + (path.startsWith("/api/") || path.startsWith("/health") || path.startsWith("/ready") || path.startsWith("/metrics") ? path : `/api/v1${path}`);
		const res = await fetch(url, { method, headers, body: body as any });
		const text = await res.text();
		let parsed: any = text;
		if ((res.headers.get("content-type") ?? "").includes("json") && text) {
			try {
				parsed = JSON.parse(text);
			} catch {
				parsed = text;
			}
		}
		return { status: res.status, body: parsed as T, text, headers: res.headers };
	}
	return {
		request,
		get: <T = any>(path: string, opts?: RequestOptions) => request<T>("GET", path, opts),
		post: <T = any>(path: string, body?: unknown, opts?: RequestOptions) => request<T>("POST", path, { ...opts, body }),
		put: <T = any>(path: string, body?: unknown, opts?: RequestOptions) => request<T>("PUT", path, { ...opts, body }),
		patch: <T = any>(path: string, body?: unknown, opts?: RequestOptions) => request<T>("PATCH", path, { ...opts, body }),
		del: <T = any>(path: string, opts?: RequestOptions) => request<T>("DELETE", path, opts),
	};
}

const running = new Set<Running>();

export interface NodeSpec {
	services: ServiceName[];
	nodeId?: string;
}

/** Starts brokers (all in this process) with a unique namespace on the test NATS server. */
export async function startCluster(nodes: NodeSpec[], opts: { transporter?: boolean; namespace?: string; apiSettings?: Record<string, unknown> } = {}): Promise<Running> {
	const useNats = opts.transporter ?? nodes.length > 1;
	const namespace = opts.namespace ?? `t${crypto.randomBytes(4).toString("hex")}`;
	const brokers: ServiceBroker[] = [];
	let port = 0;
	for (const [i, spec] of nodes.entries()) {
		const env = {
			...readEnv(),
			services: spec.services,
			transporter: useNats ? process.env.NATS_URL! : null,
			namespace,
			nodeId: spec.nodeId ?? `${namespace}-n${i}`,
		};
		const broker = createNode({ env, overrides: { api: { settings: { port: 0, ip: "127.0.0.1", ...(opts.apiSettings ?? {}) } } } });
		brokers.push(broker);
	}
	await Promise.all(brokers.map(b => b.start()));
	// Every gateway must know every service's REST aliases (remote ones arrive by discovery).
	const wanted = [...new Set(nodes.flatMap(n => n.services))].filter(s => s !== "api");
	for (const b of brokers.filter(x => x.getLocalService("api"))) {
		const api: any = b.getLocalService("api");
		if (!port) port = (api.server.address() as { port: number }).port;
		await b.waitForServices(wanted, 15_000);
		api.refreshAliases();
	}
	const baseUrl = `http://127.0.0.1:${port}`;
	const handle: Running = {
		brokers,
		baseUrl,
		http: httpClient(baseUrl),
		async stop() {
			running.delete(handle);
			await Promise.all(brokers.map(b => b.stop().catch(() => undefined)));
		},
	};
	running.add(handle);
	return handle;
}

let shared: Promise<Running> | null = null;

/** The shared single-process app (every service, no transporter), started on first use. */
export function app(): Promise<Running> {
	shared = shared ?? startCluster([{ services: ["api", "clubs", "clients", "groups", "wallets", "booking-guard", "import", "staff", "webhooks", "audit"] }], { transporter: false });
	return shared;
}

/**
 * Every test app shares one database, so a relay or a webhooks worker of any other running
 * app (the acceptance cluster stays up for the whole run) could take the outbox rows or the
 * deliveries a test is watching, and hand them to its own consumers. Pauses the outbox relays
 * and stops the webhooks workers of every running broker but `mine`; the returned function
 * resumes them.
 */
export async function pauseOtherRelays(mine: ServiceBroker[]): Promise<() => void> {
	const paused: any[] = [];
	const workers: any[] = [];
	for (const r of running) {
		for (const b of r.brokers) {
			if (mine.includes(b)) continue;
			for (const svc of b.services as any[]) {
				if (typeof svc.outboxPause === "function" && !svc.outbox?.paused) {
					svc.outboxPause(true);
					paused.push(svc);
				}
				if (svc.name === "webhooks" && svc.worker && !mine.includes(b)) workers.push(svc.worker);
			}
		}
	}
	await Promise.all(workers.map(w => w.stop()));
	return () => {
		for (const svc of paused) svc.outboxPause(false);
		for (const w of workers) w.start();
	};
}

export async function stopAll(): Promise<void> {
	await Promise.all([...running].map(r => r.stop()));
	shared = null;
}

export interface TestClub {
	club: { id: string; name: string; country: string; currency: string; timezone: string };
	admin: string;
	staff: string;
	viewer: string;
	adminKeyId: string;
}

export const platformKey = () => process.env.PLATFORM_API_KEY!;

/** A fresh club with one key per role. */
export async function newClub(http: Http, over: Partial<{ name: string; country: string; currency: string; timezone: string }> = {}): Promise<TestClub> {
	const res = await http.post("/clubs", { name: `Club ${crypto.randomBytes(3).toString("hex")}`, country: "ES", currency: "EUR", timezone: "Europe/Madrid", ...over }, { key: platformKey() });
	if (res.status !== 201) throw Object.assign(new Error(`newClub: ${res.status} ${res.text}`), { name: "SetupError" });
	const admin = res.body.apiKey.key;
	const staff = (await http.post("/api-keys", { name: "staff", role: "staff" }, { key: admin })).body.key;
	const viewer = (await http.post("/api-keys", { name: "viewer", role: "viewer" }, { key: admin })).body.key;
	return { club: res.body.club, admin, staff, viewer, adminKeyId: res.body.apiKey.id };
}
