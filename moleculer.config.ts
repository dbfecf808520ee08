/**
 * The one place where the environment becomes configuration: readEnv() turns it into an Env,
 * brokerOptions() into a node's Moleculer options (lib/node.ts builds the node from both).
 * Every variable is listed in README.md ("Configuration"). Services, mixins and lib read the
 * environment only through readEnv(); index.ts alone sets DATABASE_URL and PLATFORM_API_KEY
 * for the embedded default before reading it again.
 */
import os from "node:os";
import path from "node:path";
import type { BrokerOptions } from "moleculer";

export const SERVICE_NAMES = ["api", "clubs", "clients", "groups", "wallets", "booking-guard", "import", "staff", "webhooks", "audit"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface Env {
	/** Moleculer transporter URL (e.g. nats://localhost:4222). Unset: one process, no transporter. */
	transporter: string | null;
	/** Postgres URL. Unset: `npm start` starts the embedded PostgreSQL under DATA_DIR and uses it. */
	databaseUrl: string | null;
	/** Which services this node runs. */
	services: ServiceName[];
	port: number;
	host: string;
	nodeId: string;
	namespace: string;
	logLevel: string;
	dataDir: string;
	/** Key that may create clubs and register verified profiles. Embedded default: generated once into DATA_DIR/platform-key. */
	platformApiKey: string | null;
	/** Max pooled connections per service (import adds one per chunk in flight). */
	dbPoolMax: number;
	/** "auto": each service connects with its own role limited to its schema (when the user may create roles); "off": not. */
	dbServiceRoles: "auto" | "off";
	/** Largest accepted CSV upload, bytes. */
	importMaxBytes: number;
	/** Rows per import chunk (one reliable message each). */
	importChunkRows: number;
	/** Chunks one import worker handles at once (unacked messages it holds). */
	importMaxInFlight: number;
	/** Milliseconds a gateway caches a resolved API key or staff session (a revocation drops it on every gateway at once, lib/gateways.ts). */
	keyCacheMs: number;
	/** How long a bus call may take before it fails (ms). */
	requestTimeoutMs: number;
	/** Heartbeats between nodes (s); a node silent for heartbeatTimeoutS is taken as gone. */
	heartbeatIntervalS: number;
	heartbeatTimeoutS: number;
	/** Per-key request budget per minute (0 = unlimited). */
	rateLimitPerMinute: number;
	/** A staff session ends after this many minutes without a request. */
	sessionIdleMinutes: number;
	/** Webhook URLs may be http: (not only https:). */
	webhookAllowHttp: boolean;
	/** Webhook URLs may resolve to loopback, private, link-local... addresses. */
	webhookAllowPrivate: boolean;
	/** Seconds between a failed delivery attempt and the next one; past the last, the delivery is failed. */
	webhookRetryScheduleS: number[];
	/** How long a receiver has to answer 2xx (ms). */
	webhookTimeoutMs: number;
	/** How long a node holds a claimed delivery before another node may take it over (ms, above the timeout). */
	webhookLeaseMs: number;
	/** How often each webhooks node looks for due deliveries (ms). */
	webhookPollMs: number;
	/** Deliveries one node sends at once. */
	webhookConcurrency: number;
	/** Encrypts endpoint secrets at rest (unset: derived from PLATFORM_API_KEY). */
	webhookSecretsKey: string | null;
	/** Days a delivered or failed delivery stays in the log. */
	webhookKeepDays: number;
	/** How often each service's outbox relay looks for committed rows nobody published (ms); it also wakes on every commit. */
	outboxPollMs: number;
}

/** A misconfigured node must not start. */
export class ConfigError extends Error {
	constructor(message: string) {
		super(`Configuration: ${message}`);
		this.name = "ConfigError";
	}
}

function list(value: string | undefined): string[] {
	return (value ?? "").split(",").map(s => s.trim()).filter(Boolean);
}

function flag(value: string | undefined): boolean {
	return /^(1|true|yes|on)$/i.test((value ?? "").trim());
}

/** Comma list of non-negative numbers of seconds (fractions allowed). */
function seconds(value: string | undefined, fallback: number[], name: string): number[] {
	if (value == null || value.trim() === "") return fallback;
	const parts = list(value).map(Number);
	if (!parts.length || parts.some(n => !Number.isFinite(n) || n < 0)) throw new ConfigError(`${name} must be a comma list of seconds, got "${value}"`);
	return parts;
}

function int(value: string | undefined, fallback: number, name: string): number {
	if (value == null || value === "") return fallback;
	const n = Number(value);
	if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${value}"`);
	return n;
}

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
	const services = list(source.SERVICES);
	for (const s of services) {
		if (!(SERVICE_NAMES as readonly string[]).includes(s)) {
			throw new ConfigError(`SERVICES names an unknown service "${s}" (known: ${SERVICE_NAMES.join(", ")})`);
		}
	}
	return {
		transporter: source.TRANSPORTER || null,
		databaseUrl: source.DATABASE_URL || null,
		services: services.length ? (services as ServiceName[]) : [...SERVICE_NAMES],
		port: int(source.PORT, 3000, "PORT"),
		host: source.HOST || "0.0.0.0",
		nodeId: source.NODE_ID || `${os.hostname()}-${process.pid}`,
		namespace: source.NAMESPACE || "",
		logLevel: source.LOG_LEVEL || "info",
		dataDir: path.resolve(source.DATA_DIR || "./data"),
		platformApiKey: source.PLATFORM_API_KEY || null,
		dbPoolMax: int(source.DB_POOL_MAX, 10, "DB_POOL_MAX"),
		dbServiceRoles: source.DB_SERVICE_ROLES === "off" ? "off" : "auto",
		importMaxBytes: int(source.IMPORT_MAX_BYTES, 200 * 1024 * 1024, "IMPORT_MAX_BYTES"),
		importChunkRows: int(source.IMPORT_CHUNK_ROWS, 2000, "IMPORT_CHUNK_ROWS"),
		importMaxInFlight: Math.max(1, int(source.IMPORT_MAX_IN_FLIGHT, 8, "IMPORT_MAX_IN_FLIGHT")),
		keyCacheMs: int(source.KEY_CACHE_MS, 1000, "KEY_CACHE_MS"),
		requestTimeoutMs: int(source.REQUEST_TIMEOUT_MS, 30_000, "REQUEST_TIMEOUT_MS"),
		heartbeatIntervalS: int(source.HEARTBEAT_INTERVAL_S, 5, "HEARTBEAT_INTERVAL_S"),
		heartbeatTimeoutS: int(source.HEARTBEAT_TIMEOUT_S, 15, "HEARTBEAT_TIMEOUT_S"),
		rateLimitPerMinute: int(source.RATE_LIMIT_PER_MINUTE, 0, "RATE_LIMIT_PER_MINUTE"),
		sessionIdleMinutes: Math.max(1, int(source.SESSION_IDLE_MINUTES, 720, "SESSION_IDLE_MINUTES")),
		outboxPollMs: Math.max(50, int(source.OUTBOX_POLL_MS, 1000, "OUTBOX_POLL_MS")),
		...webhookEnv(source),
	};
}

function webhookEnv(source: NodeJS.ProcessEnv) {
	const timeout = Math.max(1, int(source.WEBHOOK_TIMEOUT_MS, 10_000, "WEBHOOK_TIMEOUT_MS"));
	return {
		webhookAllowHttp: flag(source.WEBHOOK_ALLOW_HTTP),
		webhookAllowPrivate: flag(source.WEBHOOK_ALLOW_PRIVATE),
		webhookRetryScheduleS: seconds(source.WEBHOOK_RETRY_SCHEDULE_S, [5, 30, 120, 600, 3600, 21600, 86400], "WEBHOOK_RETRY_SCHEDULE_S"),
		webhookTimeoutMs: timeout,
		webhookLeaseMs: Math.max(timeout + 1000, int(source.WEBHOOK_LEASE_MS, 30_000, "WEBHOOK_LEASE_MS")),
		webhookPollMs: Math.max(10, int(source.WEBHOOK_POLL_MS, 1000, "WEBHOOK_POLL_MS")),
		webhookConcurrency: Math.max(1, int(source.WEBHOOK_CONCURRENCY, 16, "WEBHOOK_CONCURRENCY")),
		webhookSecretsKey: source.WEBHOOK_SECRETS_KEY || null,
		webhookKeepDays: Math.max(1, int(source.WEBHOOK_KEEP_DAYS, 30, "WEBHOOK_KEEP_DAYS")),
	};
}

/** Broker options for a node. The serializer and chunk size keep streamed CSV under NATS's 1 MB payload. */
export function brokerOptions(env: Env, overrides: Partial<BrokerOptions> = {}): BrokerOptions {
	return {
		nodeID: env.nodeId,
		namespace: env.namespace,
		transporter: (env.transporter ?? undefined) as BrokerOptions["transporter"],
		serializer: "Notepack",
		logger: { type: "Console", options: { formatter: "short", colors: process.stdout.isTTY } },
		logLevel: env.logLevel as BrokerOptions["logLevel"],
		requestTimeout: env.requestTimeoutMs,
		heartbeatInterval: env.heartbeatIntervalS,
		heartbeatTimeout: env.heartbeatTimeoutS,
		retryPolicy: { enabled: false },
		transit: { maxChunkSize: 64 * 1024, disableReconnect: false },
		registry: { strategy: "RoundRobin", preferLocal: true },
		tracking: { enabled: true, shutdownTimeout: 10_000 },
		metrics: { enabled: true, reporter: [] },
		validator: true,
		errorHandler(err: any) {
			throw err;
		},
		...overrides,
	};
}

export default brokerOptions(readEnv());
