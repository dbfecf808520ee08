/**
 * What the gateway's unauthenticated ops routes answer (a mixin of the api service; the routes
 * are wired in api.service.ts): /ready's checks, /metrics as Prometheus text from the gateway's
 * own port (without what tells about the host, ops-privacy.ts), and /api/openapi.json built
 * from the live registry (lib/openapi.ts).
 */
import { MetricReporters, type MetricRegistry } from "moleculer";
import pg from "pg";
import { defineMixin } from "../../lib/service";
import { buildOpenApi, type JsonSchema, type RestAction } from "../../lib/openapi";
import { OPS_PATHS } from "../../lib/openapi/ops";
import { readEnv } from "../../moleculer.config";
import { publicMetrics } from "./ops-privacy";
import { publishedRestActions, routeChecks } from "./readiness";
import { ping } from "./api.queries";
import { API_BASE, type GatewayThis } from "./gateway.types";

/** Serves moleculer's metrics as Prometheus text from the gateway's port (no extra listener). */
class InlinePrometheus extends MetricReporters.Prometheus {
	declare defaultLabels: Record<string, unknown>;
	override init(registry: MetricRegistry) {
		// The base reporter's init: Prometheus' own would start an HTTP server.
		(Object.getPrototypeOf(MetricReporters.Prometheus.prototype) as { init(r: MetricRegistry): void }).init.call(this, registry);
		this.defaultLabels = { namespace: registry.broker.namespace };
	}
	/** Without what tells about the host (ops-privacy.ts). */
	override generatePrometheusResponse() {
		return publicMetrics(super.generatePrometheusResponse());
	}
	override stop() {
		return Promise.resolve();
	}
}

export interface Readiness {
	ready: boolean;
	checks: Record<string, string>;
}

/** What OpsMixin gives the gateway's `this`. */
export interface OpsMembers {
	readiness(): Promise<Readiness>;
	openApiDocument(): JsonSchema;
}

export interface OpsState {
	version: string;
	prometheus: InlinePrometheus;
	pgPool: pg.Pool;
}

export const OpsMixin = defineMixin<GatewayThis>({
	methods: {
		async readiness(): Promise<Readiness> {
			const checks: Record<string, string> = {};
			try {
				await ping(this.pgPool);
				checks.database = "ok";
			} catch {
				checks.database = "unreachable";
			}
			const transit = this.broker.transit;
			checks.transporter = !transit ? "none (single process)" : transit.connected ? "ok" : "disconnected";
			Object.assign(checks, routeChecks(this));
			const ready = checks.database === "ok" && checks.transporter !== "disconnected" && checks.services === "ok" && checks.routes === "ok";
			return { ready, checks };
		},

		openApiDocument(): JsonSchema {
			const actions = new Map<string, RestAction>();
			for (const a of publishedRestActions(this.broker.registry)) actions.set(a.name, a);
			return buildOpenApi([...actions.values()], { basePath: API_BASE, version: this.version, extraPaths: OPS_PATHS });
		},
	},

	created() {
		this.version = require("../../package.json").version;
		this.prometheus = new InlinePrometheus({});
		this.prometheus.init(this.broker.metrics);
		this.pgPool = new pg.Pool({ connectionString: readEnv().databaseUrl ?? undefined, max: 1, connectionTimeoutMillis: 2000 });
		this.pgPool.on("error", () => undefined);
	},

	async stopped() {
		await this.pgPool.end().catch(() => undefined);
	},
});
