/**
 * The gateway: REST under /api/v1 as aliases of actions (each action declares its own
 * `rest`, `auth` role and `openapi` notes), API-key auth resolved through `clubs`, the
 * tenant put in ctx.meta.clubId from the key only, errors mapped in one place, and the
 * unauthenticated ops routes (/health, /ready, /metrics, /api/openapi.json, /api/docs).
 */
import crypto from "node:crypto";
import { defineService } from "../../lib/service";
import type { IncomingMessage, ServerResponse } from "node:http";
import ApiGateway from "moleculer-web";
import { MetricReporters, type Context } from "moleculer";
import pg from "pg";
import { readEnv } from "../../moleculer.config";
import { sha256Hex } from "../../lib/hash";
import { BadRequestError, ForbiddenError, TooManyRequestsError, UnauthorizedError, invalid } from "../../lib/errors";
import { buildOpenApi, type RestAction } from "../../lib/openapi";
import { OPS_PATHS } from "../../lib/openapi/ops";
import { toHttpError } from "./http-errors";
import { guardBody } from "./body-guard";
import { atTheEdge, onClientError } from "./http-edge";
import { publicMetrics } from "./ops-privacy";
import { keepKnownAliases } from "./known-routes";
import { routeChecks, routesWarm } from "./readiness";
import { renderDocsPage, sendDocsBundle } from "./docs-page";
import { ConsoleStaticMixin } from "./console-static";
import { PacedUpload } from "../../lib/upload-flow";
import { pipeline } from "node:stream";
import { SessionAuthMixin } from "./session-auth";
import { PLATFORM_ACTOR, type Actor } from "../staff/staff.types";

/** moleculer-web's own callAction, which ours wraps for streamed uploads. */
const webCallAction = (ApiGateway as any).methods.callAction;
/** moleculer-web's own httpHandler, behind our edge (http-edge.ts: HEAD, 414). */
const webHttpHandler = (ApiGateway as any).methods.httpHandler;
/** moleculer-web's alias rebuild, after which the routes of services gone quiet are kept (known-routes.ts). */
const webRegenerateAutoAliases = (ApiGateway as any).methods.regenerateAutoAliases;

export const API_BASE = "/api/v1";
const ROLE_RANK: Record<string, number> = { viewer: 1, staff: 2, admin: 3 };
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

export interface KeyIdentity {
	keyId: string;
	clubId: string;
	role: "admin" | "staff" | "viewer";
	/** The key's name (clubs.resolveKey), or a session's actor and id (session-auth.ts). */
	name?: string;
	actor?: Actor;
	sessionId?: string;
}

type Req = IncomingMessage & { $action?: any; $params?: Record<string, unknown>; $ctx?: Context<any, any>; $alias?: any; $startedAt?: bigint; $keyId?: string; $route?: any; $logged?: boolean; $endpoint?: any };

/** Serves moleculer's metrics as Prometheus text from the gateway's port (no extra listener). */
class InlinePrometheus extends (MetricReporters as any).Prometheus {
	init(registry: any) {
		(Object.getPrototypeOf((MetricReporters as any).Prometheus.prototype) as any).init.call(this, registry);
		this.defaultLabels = { namespace: registry.broker.namespace };
	}
	/** Without what tells about the host (ops-privacy.ts). */
	generatePrometheusResponse() {
		return publicMetrics(super.generatePrometheusResponse());
	}
	stop() {
		return Promise.resolve();
	}
}

function bearer(req: IncomingMessage): string | null {
	const h = req.headers.authorization;
	if (!h) return null;
	const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(h);
	return m ? m[1] : "";
}

const ApiService = defineService({
	name: "api",
	// ConsoleStaticMixin: the staff console (console/dist) at / for what no route answers.
	mixins: [ApiGateway, SessionAuthMixin, ConsoleStaticMixin],
	settings: {
		tenant: false,
		port: readEnv().port,
		ip: readEnv().host,
		logRequest: null,
		logResponse: null,
		log4XXResponses: false,
		logRouteRegistration: "debug",
		// Node's limit for receiving a whole request (moleculer-web sets 5 min): a 200 MiB CSV on a slow link takes longer.
		requestTimeout: 60 * 60_000,
		optimizeOrder: true,
		routes: [
			{
				path: API_BASE,
				autoAliases: true,
				mappingPolicy: "restrict",
				authorization: true,
				mergeParams: true,
				bodyParsers: { json: { limit: "1mb", strict: true }, urlencoded: false },
				// No per-call timeout: the broker's requestTimeout (REQUEST_TIMEOUT_MS) applies unless an
				// action declares its own (the CSV upload streams for longer).
				callOptions: {},
				async onBeforeCall(this: any, ctx: Context<any, any>, _route: any, req: Req, res: ServerResponse) {
					this.logOnFinish(req, res);
					const isStream = req.$alias?.type === "stream";
					// A streamed body's headers, for the action (which may run on another node).
					if (isStream) {
						const len = req.headers["content-length"];
						ctx.meta.upload = { contentType: String(req.headers["content-type"] ?? ""), contentLength: len !== undefined && /^\d+$/.test(len) ? Number(len) : null };
					}
				},
				onError(this: any, req: Req, res: ServerResponse, err: any) {
					this.sendHttpError(req, res, err);
				},
			},
			{
				path: "/",
				mappingPolicy: "restrict",
				authorization: false,
				bodyParsers: false,
				onBeforeCall(this: any, _ctx: Context, _route: any, req: Req, res: ServerResponse) {
					this.logOnFinish(req, res);
				},
				aliases: {
					"GET /health"(this: any, req: Req, res: ServerResponse) {
						// No node id: by default it is `<hostname>-<pid>` (ops-privacy.ts).
						this.sendJson(res, 200, { status: "ok" });
					},
					async "GET /ready"(this: any, req: Req, res: ServerResponse) {
						const report = await this.readiness();
						this.sendJson(res, report.ready ? 200 : 503, report);
					},
					"GET /metrics"(this: any, req: Req, res: ServerResponse) {
						res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
						res.end(this.prometheus.generatePrometheusResponse());
					},
					"GET /api/openapi.json"(this: any, req: Req, res: ServerResponse) {
						this.sendJson(res, 200, this.openApiDocument());
					},
					"GET /api/docs"(this: any, req: Req, res: ServerResponse) {
						res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
						res.end(renderDocsPage());
					},
					"GET /api/docs/scalar.js"(this: any, req: Req, res: ServerResponse) {
						sendDocsBundle(req, res);
					},
				},
				onError(this: any, req: Req, res: ServerResponse, err: any) {
					this.sendHttpError(req, res, err);
				},
			},
		],
		onError(this: any, req: Req, res: ServerResponse, err: any) {
			this.sendHttpError(req, res, err);
		},
	},

	actions: {
		// moleculer-web's alias listing would be published under /api/v1; not part of our API.
		listAliases: false as any,
		/** Internal: the node reading a streamed upload confirms the bytes it has consumed (lib/upload-flow.ts). */
		uploadCredit: {
			tenant: false,
			visibility: "public",
			params: { id: { type: "string", max: 64 }, consumed: { type: "number", integer: true, min: 0 } },
			handler(this: any, ctx: Context<{ id: string; consumed: number }>) {
				this.uploadFlows.get(ctx.params.id)?.credit(ctx.params.consumed);
				return true;
			},
		},
		/** Internal: drop a revoked key from this gateway's cache now (clubs calls every gateway). */
		forgetKey: {
			tenant: false,
			visibility: "public",
			params: { keyHash: { type: "string", length: 64 } },
			handler(this: any, ctx: Context<{ keyHash: string }>) {
				this.forgetKeyHash(ctx.params.keyHash);
				return true;
			},
		},
	},

	events: {
		/** A revoked key is refused at once on every gateway node. */
		"clubs.apiKeyRevoked": {
			params: { keyHash: "string" },
			handler(this: any, ctx: Context<{ keyHash: string }>) {
				this.forgetKeyHash(ctx.params.keyHash);
			},
		},
	},

	methods: {
		/** Auth for /api/v1: resolves the key, enforces the action's role, sets the tenant. */
		async authorize(this: any, ctx: Context<any, any>, route: any, req: Req) {
			await this.authenticate(ctx, route, req);
			this.checkRequestShape(req);
		},

		/** Resolves the key, enforces the action's role, sets the tenant. */
		async authenticate(this: any, ctx: Context<any, any>, _route: any, req: Req) {
			const action = req.$action ?? {};
			const required: string = action.auth ?? "admin";
			const idemHeader = req.headers["idempotency-key"];
			if (idemHeader !== undefined) {
				const key = Array.isArray(idemHeader) ? idemHeader[0] : idemHeader;
				if (key.length < 1 || key.length > 255) {
					throw new BadRequestError("Idempotency-Key must be 1 to 255 characters", "IDEMPOTENCY_KEY_INVALID");
				}
				ctx.meta.idempotencyKey = key;
			}
			this.sessionRequest(ctx, req);
			if (required === "public") return;
			const token = bearer(req);
			// No Authorization header: the session cookie, if any (session-auth.ts). A key always wins.
			const session: KeyIdentity | null = token === null ? await this.sessionIdentity(ctx, req) : null;
			if (!token && !session) throw new UnauthorizedError(token === "" ? "Use 'Authorization: Bearer <api key>'" : undefined);
			const hash = token ? sha256Hex(token) : "";
			if (token && this.platformKeyHash && crypto.timingSafeEqual(Buffer.from(hash, "hex"), this.platformKeyHash)) {
				if (required !== "platform") throw new ForbiddenError("The platform key may only create clubs and register verified profiles");
				ctx.meta.platform = true;
				ctx.meta.actor = PLATFORM_ACTOR;
				req.$keyId = "platform";
				return;
			}
			const identity: KeyIdentity | null = session ?? (await this.resolveKey(ctx, hash));
			if (!identity) throw new UnauthorizedError("Unknown or revoked API key");
			req.$keyId = identity.keyId;
			if (required === "platform") throw new ForbiddenError("This route needs the platform key");
			const rank = ROLE_RANK[identity.role] ?? 0;
			if (rank < (ROLE_RANK[required] ?? 3) || (identity.role === "viewer" && req.method !== "GET")) {
				throw new ForbiddenError(`Role '${identity.role}' may not do this`);
			}
			if (action.idempotency === "required" && !ctx.meta.idempotencyKey) {
				throw new BadRequestError("This request moves money: send an Idempotency-Key header", "IDEMPOTENCY_KEY_REQUIRED");
			}
			ctx.meta.clubId = identity.clubId;
			ctx.meta.keyId = identity.keyId;
			ctx.meta.role = identity.role;
			ctx.meta.actor = identity.actor ?? { type: "key", id: identity.keyId, name: identity.name ?? "" };
			if (identity.sessionId) ctx.meta.sessionId = identity.sessionId;
			if (this.rateLimit > 0) {
				const { count, resetAt } = (await ctx.call("clubs.rateLimitHit", {})) as { count: number; resetAt: string };
				if (count > this.rateLimit) {
					const retryAfter = Math.max(1, Math.ceil((Date.parse(resetAt) - Date.now()) / 1000));
					throw new TooManyRequestsError(retryAfter);
				}
			}
		},

		/** After auth (an unauthenticated caller learns nothing): content type and where params come from. */
		checkRequestShape(this: any, req: Req) {
			guardBody((req as any).body);
			guardBody((req as any).query);
			const isStream = req.$alias?.type === "stream";
			const ct = String(req.headers["content-type"] ?? "");
			const isJson = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(ct);
			if (BODY_METHODS.has(req.method ?? "") && hasBody(req) && (isStream ? isJson : !isJson)) {
				throw Object.assign(new BadRequestError(isStream ? "Send the file as text/csv or multipart/form-data" : "Send the body as application/json", "UNSUPPORTED_MEDIA_TYPE"), { code: 415 });
			}
			if (!isStream && req.$params) this.separateParams(req);
			// Over REST the key travels only in the Idempotency-Key header (the param is for bus callers).
			if (req.$params && Object.prototype.hasOwnProperty.call(req.$params, "idempotencyKey")) {
				throw invalid({ field: "idempotencyKey", type: "unknownField", message: "Send the key in the Idempotency-Key header." });
			}
		},

		/**
		 * moleculer-web merges body, query and path params into one object, so a query value
		 * could overwrite a body field and a body `id` would be silently replaced by the path's.
		 * Rebuild the params: reads take query + path, writes take the JSON body + path; a query
		 * parameter on a write, or a body field named like a path parameter, is a 422.
		 */
		separateParams(this: any, req: Req) {
			const params = req.$params as Record<string, unknown>;
			const pathKeys: string[] = (req.$alias?.keys ?? []).map((k: any) => String(k.name));
			const path = Object.fromEntries(pathKeys.filter(k => k in params).map(k => [k, params[k]]));
			let base: Record<string, unknown>;
			if (BODY_METHODS.has(req.method ?? "")) {
				const body = (req as any).body;
				if (body !== undefined && (body === null || typeof body !== "object" || Array.isArray(body))) {
					throw invalid({ field: "", type: "object", message: "The body must be a JSON object." });
				}
				base = body ?? {};
				const errors = [
					...Object.keys((req as any).query ?? {}).map(k => ({ field: k, type: "unknownField", message: `The query parameter '${k}' is not accepted here: send it in the JSON body.` })),
					...pathKeys.filter(k => k in base).map(k => ({ field: k, type: "unknownField", message: `The field '${k}' is not allowed in the body.` })),
				];
				if (errors.length) throw invalid(errors);
			} else {
				base = { ...((req as any).query ?? {}) };
			}
			for (const k of Object.keys(params)) delete params[k];
			Object.assign(params, base, path);
		},

		/**
		 * Key hash -> identity, cached briefly; revocations also arrive as events. One lookup per
		 * key at a time: when the entry expires under load, the requests in flight wait for the
		 * same answer instead of each asking clubs.
		 */
		async resolveKey(this: any, ctx: Context, hash: string): Promise<KeyIdentity | null> {
			const now = Date.now();
			const hit = this.keyCache.get(hash);
			if (hit && hit.expires > now) return hit.identity;
			const pending: Promise<KeyIdentity | null> | undefined = this.keyLookups.get(hash);
			if (pending) return pending;
			const lookup = (ctx.call("clubs.resolveKey", { keyHash: hash }) as Promise<KeyIdentity | null>).then(
				identity => {
					// Forgotten meanwhile (revoked): answer these requests, keep nothing.
					if (this.keyLookups.get(hash) === lookup) {
						if (this.keyCache.size > 10_000) this.keyCache.clear();
						this.keyCache.set(hash, { identity, expires: now + this.keyCacheMs });
					}
					return identity;
				},
			).finally(() => {
				if (this.keyLookups.get(hash) === lookup) this.keyLookups.delete(hash);
			});
			this.keyLookups.set(hash, lookup);
			return lookup;
		},

		forgetKeyHash(this: any, hash: string) {
			this.keyCache.delete(hash);
			this.keyLookups.delete(hash);
		},

		/** moleculer-web's rebuild from the live registry, keeping the routes of a service with no live node (503, not 404). */
		regenerateAutoAliases(this: any, route: any) {
			webRegenerateAutoAliases.call(this, route);
			keepKnownAliases(this, route);
			if (this.settings.optimizeOrder) this.optimizeAliasesOrder();
		},

		/** Every request enters here (http-edge.ts), then moleculer-web routes it. */
		httpHandler(this: any, req: Req, res: ServerResponse, next?: unknown) {
			if (atTheEdge(req, res)) return;
			return webHttpHandler.call(this, req, res, next);
		},

		/** moleculer-web's, without its stack-trace log of client errors (sendHttpError logs the 5xx). */
		errorHandler(this: any, req: Req, res: ServerResponse, err: any) {
			this.sendError(req, res, err);
		},

		sendHttpError(this: any, req: Req, res: ServerResponse, err: any) {
			let { status, body } = toHttpError(err);
			// No route matched while the routes were still being mounted: "try again", not "no such route".
			if (status === 404 && !req.$alias && String((req as any).originalUrl ?? req.url ?? "").startsWith(API_BASE) && !routesWarm(this, true)) {
				({ status, body } = toHttpError({ code: 503, type: "SERVICE_UNAVAILABLE" }));
				res.setHeader("Retry-After", "1");
			}
			if (status === 503) this.logger.warn(`${req.method} ${req.url}: ${err?.type ?? "SERVICE_UNAVAILABLE"} ${err?.message ?? ""}`);
			else if (status >= 500) this.logger.error(`${req.method} ${req.url} failed:`, err);
			if (res.headersSent) {
				res.end();
			} else {
				const retryAfter = err.retryAfter ?? err.data?.retryAfter;
				if (status === 429 && retryAfter) res.setHeader("Retry-After", String(retryAfter));
				this.sendJson(res, status, body);
			}
			this.accessLog(req, status);
		},

		sendJson(res: ServerResponse, status: number, body: unknown) {
			const text = JSON.stringify(body);
			res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
			res.end(text);
		},

		/**
		 * moleculer-web's callAction, except that a body streamed to another node goes through
		 * a credit window (lib/upload-flow.ts) instead of as fast as the client sends it.
		 */
		async callAction(this: any, route: any, actionName: string, req: Req, res: ServerResponse, params: unknown, isStream: boolean) {
			if (!isStream || !this.broker.transit || req.$endpoint?.local) return webCallAction.call(this, route, actionName, req, res, params, isStream);
			const ctx = req.$ctx!;
			const id = crypto.randomUUID();
			const paced = new PacedUpload();
			pipeline(req, paced, () => undefined);
			this.uploadFlows.set(id, paced);
			ctx.meta.upload = { ...ctx.meta.upload, flow: { id, nodeID: this.broker.nodeID } };
			try {
				const data = await ctx.call(req.$endpoint, params, { ...route.callOptions, stream: paced });
				this.sendResponse(req, res, data, req.$endpoint.action);
				return true;
			} finally {
				this.uploadFlows.delete(id);
				paced.release();
			}
		},

		/** moleculer-web calls this as a routed request starts: the clock for the access log. */
		logRequest(this: any, req: Req) {
			req.$startedAt = process.hrtime.bigint();
		},

		logOnFinish(this: any, req: Req, res: ServerResponse) {
			res.once("finish", () => this.accessLog(req, res.statusCode));
		},

		/** One line per request, with the key's id (never the key). */
		accessLog(this: any, req: Req, status: number) {
			if (req.$logged) return;
			req.$logged = true;
			const ms = req.$startedAt ? Number(process.hrtime.bigint() - req.$startedAt) / 1e6 : 0;
			this.logger.info(`${req.method} ${(req as any).originalUrl ?? req.url} ${status} ${ms.toFixed(1)}ms key=${req.$keyId ?? "-"}`);
		},

		/** Rebuilds the REST aliases now (moleculer-web does it debounced on service changes). */
		refreshAliases(this: any) {
			for (const route of this.routes) if (route.opts.autoAliases) this.regenerateAutoAliases(route);
		},

		async readiness(this: any) {
			const checks: Record<string, string> = {};
			try {
				await this.pgPool.query("SELECT 1");
				checks.database = "ok";
			} catch (err: any) {
				checks.database = "unreachable";
			}
			const transit = this.broker.transit;
			checks.transporter = !transit ? "none (single process)" : transit.connected ? "ok" : "disconnected";
			Object.assign(checks, routeChecks(this));
			const ready = checks.database === "ok" && checks.transporter !== "disconnected" && checks.services === "ok" && checks.routes === "ok";
			return { ready, checks };
		},

		openApiDocument(this: any) {
			const actions = new Map<string, RestAction>();
			for (const svc of this.broker.registry.getServiceList({ withActions: true })) {
				for (const a of Object.values<any>(svc.actions ?? {})) {
					if (a.rest && (a.visibility == null || a.visibility === "published")) actions.set(a.name, a);
				}
			}
			return buildOpenApi([...actions.values()], { basePath: API_BASE, version: this.version, extraPaths: OPS_PATHS });
		},
	},

	created(this: any) {
		const env = readEnv();
		this.keyCache = new Map();
		this.keyLookups = new Map();
		this.uploadFlows = new Map();
		this.keyCacheMs = env.keyCacheMs;
		this.rateLimit = this.settings.rateLimitPerMinute ?? env.rateLimitPerMinute;
		this.platformKeyHash = env.platformApiKey ? Buffer.from(sha256Hex(env.platformApiKey), "hex") : null;
		this.version = require("../../package.json").version;
		this.prometheus = new (InlinePrometheus as any)({});
		(this.prometheus as any).init(this.broker.metrics);
		this.pgPool = new pg.Pool({ connectionString: env.databaseUrl ?? undefined, max: 1, connectionTimeoutMillis: 2000 });
		this.pgPool.on("error", () => undefined);
		this.server?.on("clientError", onClientError);
		if (!this.platformKeyHash) this.logger.warn("PLATFORM_API_KEY is not set: clubs cannot be created through this gateway.");
	},

	async stopped(this: any) {
		await this.pgPool.end().catch(() => undefined);
	},
});

function hasBody(req: IncomingMessage): boolean {
	const len = req.headers["content-length"];
	return (len !== undefined && len !== "0") || req.headers["transfer-encoding"] !== undefined;
}

export default ApiService;
