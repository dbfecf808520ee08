/**
 * The gateway: REST under /api/v1 as aliases of actions (each action declares its own
 * `rest`, `auth` role and `openapi` notes), and the unauthenticated ops routes (/health,
 * /ready, /metrics, /api/openapi.json, /api/docs). This file wires the routes to moleculer-web;
 * the work is in its mixins and modules:
 *   key-auth.ts       API-key auth through `clubs`, roles, the tenant from the key only, rate limits
 *   session-auth.ts   the staff session cookie, CSRF
 *   request-shape.ts  after auth: content type, body vs query vs path params (body-guard.ts)
 *   http-answers.ts   errors mapped in one place (http-errors.ts), JSON, the access log
 *   ops-routes.ts     /ready (readiness.ts), /metrics (ops-privacy.ts), the OpenAPI document
 *   http-edge.ts      before routing: HEAD, 414, unparseable requests
 *   known-routes.ts   routes of a service with no live node answer 503, not 404
 *   console-static.ts the staff console at / for what no route answers; docs-page.ts /api/docs
 */
import crypto from "node:crypto";
import type { ServerResponse } from "node:http";
import { pipeline } from "node:stream";
import ApiGateway from "moleculer-web";
import type { Context } from "moleculer";
import { defineService } from "../../lib/service";
import { readEnv } from "../../moleculer.config";
import { PacedUpload } from "../../lib/upload-flow";
import { atTheEdge, onClientError } from "./http-edge";
import { keepKnownAliases } from "./known-routes";
import { renderDocsPage, sendDocsBundle } from "./docs-page";
import { ConsoleStaticMixin } from "./console-static";
import { SessionAuthMixin } from "./session-auth";
import { KeyAuthMixin } from "./key-auth";
import { HttpAnswersMixin } from "./http-answers";
import { OpsMixin } from "./ops-routes";
import { API_BASE, type GatewayThis, type Req } from "./gateway.types";

/** moleculer-web's own methods, which ours wrap (its typings declare none of them). */
const web = (ApiGateway as unknown as { methods: Record<string, (this: GatewayThis, ...args: any[]) => any> }).methods;
/** moleculer-web's own callAction, which ours wraps for streamed uploads. */
const webCallAction = web.callAction;
/** moleculer-web's own httpHandler, behind our edge (http-edge.ts: HEAD, 414). */
const webHttpHandler = web.httpHandler;
/** moleculer-web's alias rebuild, after which the routes of services gone quiet are kept (known-routes.ts). */
const webRegenerateAutoAliases = web.regenerateAutoAliases;

const ApiService = defineService<GatewayThis>({
	name: "api",
	// ApiGateway first: its methods win over the mixins' (ours that replace one of its methods are below).
	mixins: [ApiGateway, KeyAuthMixin, SessionAuthMixin, HttpAnswersMixin, OpsMixin, ConsoleStaticMixin],
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
				// key-auth.ts `authorize`: the key or session, the role, the tenant, then the request's shape.
				authorization: true,
				mergeParams: true,
				bodyParsers: { json: { limit: "1mb", strict: true }, urlencoded: false },
				// No per-call timeout: the broker's requestTimeout (REQUEST_TIMEOUT_MS) applies unless an
				// action declares its own (the CSV upload streams for longer).
				callOptions: {},
				async onBeforeCall(this: GatewayThis, ctx: Context<any, any>, _route: unknown, req: Req, res: ServerResponse) {
					this.logOnFinish(req, res);
					// A streamed body's headers, for the action (which may run on another node).
					if (req.$alias?.type === "stream") {
						const len = req.headers["content-length"];
						ctx.meta.upload = { contentType: String(req.headers["content-type"] ?? ""), contentLength: len !== undefined && /^\d+$/.test(len) ? Number(len) : null };
					}
				},
				onError(this: GatewayThis, req: Req, res: ServerResponse, err: unknown) {
					this.sendHttpError(req, res, err);
				},
			},
			{
				path: "/",
				mappingPolicy: "restrict",
				authorization: false,
				bodyParsers: false,
				onBeforeCall(this: GatewayThis, _ctx: Context, _route: unknown, req: Req, res: ServerResponse) {
					this.logOnFinish(req, res);
				},
				// ops-routes.ts; what they may tell: ops-privacy.ts.
				aliases: {
					"GET /health"(this: GatewayThis, _req: Req, res: ServerResponse) {
						// No node id: by default it is `<hostname>-<pid>` (ops-privacy.ts).
						this.sendJson(res, 200, { status: "ok" });
					},
					async "GET /ready"(this: GatewayThis, _req: Req, res: ServerResponse) {
						const report = await this.readiness();
						this.sendJson(res, report.ready ? 200 : 503, report);
					},
					"GET /metrics"(this: GatewayThis, _req: Req, res: ServerResponse) {
						res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
						res.end(this.prometheus.generatePrometheusResponse());
					},
					"GET /api/openapi.json"(this: GatewayThis, _req: Req, res: ServerResponse) {
						this.sendJson(res, 200, this.openApiDocument());
					},
					"GET /api/docs"(_req: Req, res: ServerResponse) {
						res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
						res.end(renderDocsPage());
					},
					"GET /api/docs/scalar.js"(req: Req, res: ServerResponse) {
						sendDocsBundle(req, res);
					},
				},
				onError(this: GatewayThis, req: Req, res: ServerResponse, err: unknown) {
					this.sendHttpError(req, res, err);
				},
			},
		],
		onError(this: GatewayThis, req: Req, res: ServerResponse, err: unknown) {
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
			handler(ctx: Context<{ id: string; consumed: number }>) {
				this.uploadFlows.get(ctx.params.id)?.credit(ctx.params.consumed);
				return true;
			},
		},
		/** Internal: drop a revoked key from this gateway's cache now (clubs calls every gateway). */
		forgetKey: {
			tenant: false,
			visibility: "public",
			params: { keyHash: { type: "string", length: 64 } },
			handler(ctx: Context<{ keyHash: string }>) {
				this.forgetKeyHash(ctx.params.keyHash);
				return true;
			},
		},
	},

	events: {
		/** A revoked key is refused at once on every gateway node. */
		"clubs.apiKeyRevoked": {
			params: { keyHash: "string" },
			handler(ctx: Context<{ keyHash: string }>) {
				this.forgetKeyHash(ctx.params.keyHash);
			},
		},
	},

	// moleculer-web's methods, wrapped or replaced (a mixin's would lose to ApiGateway's).
	methods: {
		/** moleculer-web's rebuild from the live registry, keeping the routes of a service with no live node (503, not 404). */
		regenerateAutoAliases(route: unknown) {
			webRegenerateAutoAliases.call(this, route);
			keepKnownAliases(this, route);
			if (this.settings.optimizeOrder) this.optimizeAliasesOrder();
		},

		/** Rebuilds the REST aliases now (moleculer-web does it debounced on service changes). */
		refreshAliases() {
			for (const route of this.routes) if (route.opts.autoAliases) this.regenerateAutoAliases(route);
		},

		/** Every request enters here (http-edge.ts), then moleculer-web routes it. */
		httpHandler(req: Req, res: ServerResponse, next?: unknown) {
			if (atTheEdge(req, res)) return;
			return webHttpHandler.call(this, req, res, next);
		},

		/** moleculer-web's, without its stack-trace log of client errors (sendHttpError logs the 5xx). */
		errorHandler(req: Req, res: ServerResponse, err: unknown) {
			this.sendError(req, res, err);
		},

		/**
		 * moleculer-web's callAction, except that a body streamed to another node goes through
		 * a credit window (lib/upload-flow.ts) instead of as fast as the client sends it.
		 */
		async callAction(route: any, actionName: string, req: Req, res: ServerResponse, params: unknown, isStream: boolean) {
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
		logRequest(req: Req) {
			req.$startedAt = process.hrtime.bigint();
		},
	},

	created() {
		this.uploadFlows = new Map();
		this.server?.on("clientError", onClientError);
	},
});

export default ApiService;
