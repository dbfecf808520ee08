/**
 * Builds the OpenAPI 3.1 document from the live service registry: every action with a
 * `rest` alias, its fastest-validator `params`, its `auth` role and its `openapi` notes.
 * One source of truth: the routes the gateway serves are exactly the routes documented.
 *
 * Named schemas and their examples live in lib/openapi/schemas.ts (`ref`, `pageOf`), error
 * types in lib/openapi/errors.ts; every request and response gets an example derived from
 * them (lib/openapi/examples.ts), every error status its types with an example each.
 * `checkDocument` (lib/openapi/check.ts) lists what an operation lacks (test/foundation/openapi.spec.ts
 * runs it); lib/openapi/rules.ts turns fastest-validator rules into JSON Schema.
 */
import { ERROR_TYPES, errorExample } from "./openapi/errors";
import { exampleFor } from "./openapi/examples";
import { SCHEMAS, ref, type JsonSchema } from "./openapi/schemas";
import { objectSchema, ruleToSchema } from "./openapi/rules";

export { ref, pageOf, defineSchema, entity, type JsonSchema } from "./openapi/schemas";
export { objectSchema, ruleToSchema } from "./openapi/rules";
export { checkDocument } from "./openapi/check";

export interface ActionOpenApi {
	summary?: string;
	description?: string;
	tags?: string[];
	/**
	 * Success answers: status -> { description, schema?, contentType?, example? }. The example
	 * defaults to the schema's (a `ref("Client")` brings the Client example).
	 */
	responses?: Record<string, { description: string; schema?: JsonSchema; contentType?: string; example?: unknown }>;
	/**
	 * The business error types this operation can answer (lib/openapi/errors.ts), e.g.
	 * ["NAME_TAKEN"]. Auth, validation, JSON, idempotency and path 404s are added from the
	 * route's shape. (A 4xx in `responses` whose description names registered types counts too.)
	 */
	errors?: string[];
	/** Publish the JSON body (generated from `params`) as this named schema, e.g. "ClientInput". */
	requestSchema?: string;
	/** The request body's example, when the one derived from the params' names is not right. */
	requestExample?: unknown;
	/** A non-JSON request body (CSV upload). */
	requestContentTypes?: string[];
}

export interface RestAction {
	name: string;
	rest: string | { method: string; path: string; type?: string };
	params?: Record<string, any>;
	auth?: string;
	idempotency?: "required" | "optional";
	openapi?: ActionOpenApi;
}

const TAG_TEXT: Record<string, string> = {
	clubs: "Tenants: the platform creates clubs; a key reads its own club.",
	"api-keys": "Staff access: API keys with a role (admin > staff > viewer), shown once.",
	groups: "Client groups and their booking policies.",
	categories: "Categories with reduced prices.",
	clients: "The club's clients, their tags, categories and export.",
	tags: "Free tags for segmentation.",
	"verified-profiles": "Verified profiles of the booking platform (platform key).",
	products: "Product and activity access rules per group.",
	settings: "Club settings.",
	wallets: "Club wallets: an idempotent, immutable ledger.",
	"booking-guard": "The booking system's check before every booking.",
	bookings: "Bookings and series recorded by the guard.",
	imports: "CSV import jobs.",
	staff: "Staff members: the people of a club, invited by an admin, who sign in with e-mail and password.",
	session: "Sign-in sessions: a cookie that authenticates like a key of the session's role.",
	webhooks: "Signed event deliveries (Standard Webhooks) to the club's HTTPS endpoints, retried with backoff, logged and re-sendable.",
	audit: "The trail of every committed change.",
	ops: "Health, readiness, metrics and this document.",
};

function parseRest(rest: RestAction["rest"]): { method: string; path: string; stream: boolean } {
	if (typeof rest === "string") {
		const [method, p] = rest.trim().split(/\s+/);
		return { method: method.toUpperCase(), path: p, stream: false };
	}
	return { method: rest.method.toUpperCase(), path: rest.path, stream: rest.type === "stream" };
}

const ROLE_TEXT: Record<string, string> = {
	public: "No key needed.",
	platform: "Platform key only.",
	viewer: "Any club key (viewer, staff, admin).",
	staff: "Club key with role staff or admin.",
	admin: "Club key with role admin.",
};

/** The whole document. `basePath` is the REST prefix (/api/v1). */
export function buildOpenApi(actions: RestAction[], opts: { basePath: string; version: string; extraPaths?: Record<string, any> }): JsonSchema {
	const paths: Record<string, any> = {};
	const generated: Record<string, JsonSchema> = {};
	const seen = new Set<string>();
	const sorted = [...actions].sort((a, b) => a.name.localeCompare(b.name));
	for (const action of sorted) {
		const { method, path: restPath, stream } = parseRest(action.rest);
		const key = `${method} ${restPath}`;
		if (seen.has(key)) continue;
		seen.add(key);
		const oasPath = opts.basePath + restPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
		const pathParams = [...restPath.matchAll(/:([A-Za-z0-9_]+)/g)].map(m => m[1]);
		const params = action.params ?? {};
		const parameters: any[] = [];
		const bodyParams: Record<string, any> = {};
		for (const [name, rule] of Object.entries(params)) {
			if (name.startsWith("$$") || busOnly(name, rule)) continue;
			const { schema, optional } = ruleToSchema(rule);
			if (pathParams.includes(name)) {
				parameters.push(withExample({ name, in: "path", required: true, schema }));
			} else if (method === "GET" || method === "DELETE" || stream) {
				parameters.push(withExample({ name, in: "query", required: !optional, schema }));
			} else {
				bodyParams[name] = rule;
			}
		}
		for (const p of pathParams) {
			if (!parameters.some(x => x.name === p && x.in === "path")) {
				parameters.push(withExample({ name: p, in: "path", required: true, schema: { type: "string" } }));
			}
		}
		const doc = action.openapi ?? {};
		const auth = action.auth ?? "admin";
		if (action.idempotency) {
			parameters.push({
				name: "Idempotency-Key",
				in: "header",
				required: action.idempotency === "required",
				description: "Scoped to the club across every route: retries with the same key and body replay the first response; the same key with another body, or already used on another route, is 422 IDEMPOTENCY_KEY_REUSED.",
				schema: { type: "string", minLength: 1, maxLength: 255 },
				example: "6f1c2a9e-top-up-0001",
			});
		}
		const op: any = {
			operationId: action.name.replace(/[^A-Za-z0-9]+(.)/g, (_m, c: string) => c.toUpperCase()),
			summary: doc.summary ?? action.name,
			description: [doc.description, ROLE_TEXT[auth]].filter(Boolean).join("\n\n"),
			tags: doc.tags ?? [action.name.split(".")[0]],
			"x-required-role": auth,
			"x-action": action.name,
			parameters,
			responses: {} as Record<string, any>,
		};
		if (auth === "public") op.security = [];
		if (stream) {
			const types = doc.requestContentTypes ?? ["application/octet-stream"];
			op.requestBody = {
				required: true,
				content: Object.fromEntries(types.map(t => [t, { schema: { type: "string", format: "binary" }, ...(doc.requestExample !== undefined && !t.startsWith("multipart/") ? { example: doc.requestExample } : {}) }])),
			};
		} else if (Object.keys(bodyParams).length) {
			let schema = objectSchema(bodyParams, params.$$strict === true);
			const example = doc.requestExample !== undefined ? doc.requestExample : exampleFor(schema);
			if (doc.requestSchema) {
				generated[doc.requestSchema] = { ...schema, ...(example !== undefined ? { examples: [example] } : {}) };
				schema = ref(doc.requestSchema);
			}
			op.requestBody = {
				required: Object.values(bodyParams).some(r => !ruleToSchema(r).optional),
				content: { "application/json": { schema, ...(example !== undefined ? { example } : {}) } },
			};
		}
		const responses = doc.responses ?? { [method === "POST" ? "201" : "200"]: { description: "OK" } };
		const errorTypes = new Set<string>(doc.errors ?? []);
		// Types the description names ("Same e-mail: 409 CLIENT_EXISTS") are answers of this operation.
		for (const t of doc.description?.match(/\b[A-Z][A-Z0-9_]{2,}\b/g) ?? []) if (ERROR_TYPES[t]) errorTypes.add(t);
		// An id in the body names a record of the club: unknown (or another club's) is a 404.
		if (Object.keys(bodyParams).some(k => /Id$/.test(k))) errorTypes.add("NOT_FOUND");
		const loose: Record<string, string> = {};
		for (const [status, r] of Object.entries(responses)) {
			if (/^4/.test(status)) {
				// An error noted by description ("409": { description: "NAME_TAKEN or SYSTEM_GROUP" }).
				const named = (r.description.match(/\b[A-Z][A-Z0-9_]{2,}\b/g) ?? []).filter(t => ERROR_TYPES[t]);
				if (named.length) named.forEach(t => errorTypes.add(t));
				else loose[status] = r.description;
				continue;
			}
			op.responses[status] = { description: r.description };
			if (r.schema || status !== "204") {
				const schema = r.schema ?? { type: "object" };
				const example = r.example !== undefined ? r.example : exampleFor(schema);
				op.responses[status].content = { [r.contentType ?? "application/json"]: { schema, ...(example !== undefined ? { example } : {}) } };
			}
		}
		if (auth !== "public") {
			errorTypes.add("UNAUTHORIZED").add("SESSION_EXPIRED").add("FORBIDDEN").add("RATE_LIMITED");
			// A cookie-authenticated write from another origin.
			if (method !== "GET") errorTypes.add("CSRF");
		}
		if (pathParams.length) errorTypes.add("NOT_FOUND");
		if (op.requestBody || parameters.some(p => p.in !== "header")) errorTypes.add("VALIDATION_ERROR");
		if (op.requestBody && !stream) errorTypes.add("INVALID_JSON").add("BODY_TOO_DEEP").add("INVALID_CONTENT_ENCODING").add("PAYLOAD_TOO_LARGE").add("UNSUPPORTED_MEDIA_TYPE");
		if (stream) errorTypes.add("UNSUPPORTED_MEDIA_TYPE");
		if (action.idempotency) {
			errorTypes.add("IDEMPOTENCY_KEY_INVALID").add("IDEMPOTENCY_IN_PROGRESS").add("IDEMPOTENCY_KEY_REUSED");
			if (action.idempotency === "required") errorTypes.add("IDEMPOTENCY_KEY_REQUIRED");
		}
		const byStatus = new Map<string, string[]>();
		const unknown: string[] = [];
		for (const t of errorTypes) {
			const e = ERROR_TYPES[t];
			if (!e) {
				unknown.push(t);
				continue;
			}
			byStatus.set(String(e.status), [...(byStatus.get(String(e.status)) ?? []), t]);
		}
		if (unknown.length) op["x-unregistered-error-types"] = unknown;
		for (const [status, types] of [...byStatus.entries()].sort()) op.responses[status] = errorResponse(types);
		for (const [status, description] of Object.entries(loose)) {
			if (!op.responses[status]) op.responses[status] = { description, content: { "application/json": { schema: ref("Error") } } };
		}
		paths[oasPath] = paths[oasPath] ?? {};
		paths[oasPath][method.toLowerCase()] = op;
	}
	const schemas: Record<string, JsonSchema> = {};
	for (const [name, s] of Object.entries(SCHEMAS)) schemas[name] = { ...s.schema, examples: [s.example] };
	Object.assign(schemas, generated);
	return {
		openapi: "3.1.0",
		info: {
			title: "Clubhouse API",
			version: opts.version,
			description:
				"Client management for sports clubs: clients, groups, categories, product access, wallets, booking guard and CSV import.\n\n" +
				"Authenticate with `Authorization: Bearer <api key>`. Lists take `limit` (1..500, default 50) and an opaque `cursor`, and answer `{ items, nextCursor }`. " +
				"Times are ISO 8601 UTC, dates YYYY-MM-DD. **Money is an integer number of minor units** with an ISO 4217 currency: 50.00 EUR is `amount: 5000`. " +
				"Money-moving POSTs (wallet top-up, debit, refund) need an `Idempotency-Key` header; `POST /clients` and `POST /bookings` accept one. " +
				"Errors answer `{ name, message, code, type, data? }`: branch on `type`. " +
				"An id of another club is answered as an unknown id: 404. " +
				"Body keys named `__proto__`, `constructor` or `prototype` are unknown fields (422) at any depth. `HEAD` on a GET route answers as GET without a body. " +
				"A URL over 8192 characters is a 414 `URI_TOO_LONG`. A route whose service has no live node answers 503 `SERVICE_UNAVAILABLE`.",
			license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
		},
		servers: [{ url: "/" }],
		security: [{ apiKey: [] }, { session: [] }],
		tags: [...new Set(Object.values(paths).flatMap((p: any) => Object.values(p).flatMap((o: any) => o.tags)))]
			.sort()
			.map(name => ({ name, description: TAG_TEXT[name] ?? `Routes of ${name}.` })),
		paths: { ...paths, ...(opts.extraPaths ?? {}) },
		components: {
			securitySchemes: {
				apiKey: { type: "http", scheme: "bearer", description: "A club API key, or the platform key where stated." },
				session: { type: "apiKey", in: "cookie", name: "clubhouse_session", description: "The cookie POST /session sets; a Bearer key sent with it wins." },
			},
			schemas,
		},
	};
}

/**
 * A param REST never takes: `idempotencyKey` (REST sends the Idempotency-Key header), or a
 * rule whose description starts "Bus only" / "Bus callers" (the gateway refuses it).
 */
function busOnly(name: string, rule: any): boolean {
	return name === "idempotencyKey" || (typeof rule === "object" && rule !== null && /^Bus (only|callers)\b/i.test(String(rule.description ?? "")));
}

function withExample(param: { name: string; in: string; required: boolean; schema: JsonSchema }): JsonSchema {
	const example = exampleFor(param.schema, param.name);
	return example === undefined ? param : { ...param, example };
}

/** One error status: its types (as an enum on `type`), what each means, an example of each. */
function errorResponse(types: string[]): JsonSchema {
	const base = types.some(t => Array.isArray(ERROR_TYPES[t].data) && ERROR_TYPES[t].status === 422) ? "ValidationError" : "Error";
	return {
		description: types.map(t => `\`${t}\`: ${ERROR_TYPES[t].when}`).join("\n\n"),
		"x-error-types": types,
		content: {
			"application/json": {
				schema: { allOf: [ref(base), { type: "object", properties: { type: { type: "string", enum: types } } }] },
				examples: Object.fromEntries(types.map(t => [t, { summary: ERROR_TYPES[t].when.replace(/`/g, ""), value: errorExample(t) }])),
			},
		},
	};
}
