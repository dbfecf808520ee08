/**
 * Builds the OpenAPI 3.1 document from the live service registry: every action with a
 * `rest` alias, its fastest-validator `params`, its `auth` role and its `openapi` notes.
 * One source of truth: the routes the gateway serves are exactly the routes documented.
 */

export type JsonSchema = Record<string, any>;

export interface ActionOpenApi {
	summary?: string;
	description?: string;
	tags?: string[];
	/** status -> { description, schema?, contentType? } */
	responses?: Record<string, { description: string; schema?: JsonSchema; contentType?: string }>;
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

const ERROR_REF = { $ref: "#/components/schemas/Error" };

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
	audit: "The audit trail: who changed what, when (read-only).",
	staff: "Staff members: the people of a club, invited by an admin, who sign in with e-mail and password.",
	session: "Sign-in sessions: a cookie that authenticates like a key of the session's role.",
	webhooks: "Signed event deliveries (Standard Webhooks) to the club's HTTPS endpoints, retried with backoff, logged and re-sendable.",
	ops: "Health, readiness, metrics and this document.",
};

/** Converts one fastest-validator rule into a JSON Schema. */
export function ruleToSchema(rule: any): { schema: JsonSchema; optional: boolean } {
	if (typeof rule === "string") return ruleToSchema(parseShorthand(rule));
	if (Array.isArray(rule)) {
		const alts = rule.map(r => ruleToSchema(r));
		return { schema: { oneOf: alts.map(a => a.schema) }, optional: alts.every(a => a.optional) };
	}
	if (rule == null || typeof rule !== "object") return { schema: {}, optional: true };
	const optional = rule.optional === true || rule.default !== undefined;
	let s: JsonSchema;
	switch (rule.type) {
		case "string":
			s = { type: "string" };
			if (rule.min != null) s.minLength = rule.min;
			if (rule.max != null) s.maxLength = rule.max;
			if (rule.length != null) s.minLength = s.maxLength = rule.length;
			if (rule.pattern) s.pattern = rule.pattern instanceof RegExp ? rule.pattern.source : String(rule.pattern);
			if (rule.enum) s.enum = rule.enum;
			if (rule.numeric) s.pattern = "^[0-9]+$";
			break;
		case "email":
			s = { type: "string", format: "email" };
			if (rule.max != null) s.maxLength = rule.max;
			break;
		case "uuid":
			s = { type: "string", format: "uuid" };
			break;
		case "url":
			s = { type: "string", format: "uri" };
			break;
		case "number":
			s = { type: rule.integer ? "integer" : "number" };
			if (rule.min != null) s.minimum = rule.min;
			if (rule.max != null) s.maximum = rule.max;
			if (rule.positive) s.exclusiveMinimum = 0;
			break;
		case "boolean":
			s = { type: "boolean" };
			break;
		case "date":
			s = { type: "string", format: "date-time" };
			break;
		case "enum":
			s = { enum: rule.values };
			break;
		case "equal":
			s = { const: rule.value };
			break;
		case "array": {
			s = { type: "array" };
			if (rule.items) s.items = ruleToSchema(rule.items).schema;
			if (rule.min != null) s.minItems = rule.min;
			if (rule.max != null) s.maxItems = rule.max;
			if (rule.unique) s.uniqueItems = true;
			break;
		}
		case "object": {
			const props = rule.props ?? rule.properties;
			s = props ? objectSchema(props, rule.strict === true || rule.strict === "remove") : { type: "object" };
			break;
		}
		case "multi":
			s = { oneOf: (rule.rules ?? []).map((r: any) => ruleToSchema(r).schema) };
			break;
		default:
			s = {};
	}
	if (rule.nullable) {
		if (typeof s.type === "string") s.type = [s.type, "null"];
		else if (s.enum) s.enum = [...s.enum, null];
		else s = { oneOf: [s, { type: "null" }] };
	}
	if (rule.default !== undefined && typeof rule.default !== "function") s.default = rule.default;
	if (rule.description) s.description = rule.description;
	return { schema: s, optional };
}

function parseShorthand(text: string): any {
	const [type, ...flags] = text.split("|");
	const rule: any = { type };
	for (const f of flags) {
		const [k, v] = f.split(":");
		rule[k] = v === undefined ? true : v === "true" ? true : v === "false" ? false : Number.isNaN(Number(v)) ? v : Number(v);
	}
	return rule;
}

/** Converts an action's `params` (a map of rules) into an object schema. */
export function objectSchema(params: Record<string, any>, strict = false): JsonSchema {
	const properties: Record<string, JsonSchema> = {};
	const required: string[] = [];
	for (const [key, rule] of Object.entries(params)) {
		if (key.startsWith("$$")) continue;
		const { schema, optional } = ruleToSchema(rule);
		properties[key] = schema;
		if (!optional) required.push(key);
	}
	const s: JsonSchema = { type: "object", properties };
	if (required.length) s.required = required;
	if (strict || params.$$strict) s.additionalProperties = false;
	return s;
}

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
			if (name.startsWith("$$")) continue;
			const { schema, optional } = ruleToSchema(rule);
			if (pathParams.includes(name)) {
				parameters.push({ name, in: "path", required: true, schema });
			} else if (method === "GET" || method === "DELETE" || stream) {
				parameters.push({ name, in: "query", required: !optional, schema });
			} else {
				bodyParams[name] = rule;
			}
		}
		for (const p of pathParams) {
			if (!parameters.some(x => x.name === p && x.in === "path")) {
				parameters.push({ name: p, in: "path", required: true, schema: { type: "string" } });
			}
		}
		const doc = action.openapi ?? {};
		const auth = action.auth ?? "admin";
		if (action.idempotency) {
			parameters.push({
				name: "Idempotency-Key",
				in: "header",
				required: action.idempotency === "required",
				description: "Retries with the same key and body replay the first response; another body is a 422.",
				schema: { type: "string", minLength: 1, maxLength: 255 },
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
				content: Object.fromEntries(types.map(t => [t, { schema: { type: "string", format: "binary" } }])),
			};
		} else if (Object.keys(bodyParams).length) {
			op.requestBody = {
				required: Object.values(bodyParams).some(r => !ruleToSchema(r).optional),
				content: { "application/json": { schema: objectSchema(bodyParams, params.$$strict === true) } },
			};
		}
		const responses = doc.responses ?? { [method === "POST" ? "201" : "200"]: { description: "OK" } };
		for (const [status, r] of Object.entries(responses)) {
			op.responses[status] = { description: r.description };
			if (r.schema || status !== "204") {
				op.responses[status].content = { [r.contentType ?? "application/json"]: { schema: r.schema ?? { type: "object" } } };
			}
		}
		const errors: Record<string, string> = {};
		if (auth !== "public") {
			errors["401"] = "Missing, unknown or revoked API key";
			errors["403"] = "The key's role may not do this";
		}
		if (pathParams.length) errors["404"] = "Not found (or it belongs to another club)";
		if (op.requestBody || parameters.length) errors["422"] = "Invalid parameters: data lists { field, type, message }";
		if (op.requestBody && !stream) {
			errors["400"] = "Malformed JSON, nested deeper than 32 levels (BODY_TOO_DEEP), or bytes that do not match the Content-Encoding (INVALID_CONTENT_ENCODING)";
			errors["413"] = "Body over 1 MiB";
			errors["415"] = "Body is not application/json";
		}
		if (action.idempotency === "required") errors["400"] = `${errors["400"] ?? "Malformed JSON"}, or Idempotency-Key missing`;
		if (action.idempotency) errors["409"] = errors["409"] ?? "Conflict (see the error type), or the same Idempotency-Key still in flight";
		for (const [status, description] of Object.entries(errors)) {
			if (!op.responses[status]) {
				op.responses[status] = { description, content: { "application/json": { schema: ERROR_REF } } };
			}
		}
		paths[oasPath] = paths[oasPath] ?? {};
		paths[oasPath][method.toLowerCase()] = op;
	}
	return {
		openapi: "3.1.0",
		info: {
			title: "Clubhouse API",
			version: opts.version,
			description:
				"Client management for sports clubs: clients, groups, categories, product access, wallets, booking guard and CSV import.\n\n" +
				"Authenticate with `Authorization: Bearer <api key>`. Lists take `limit` (1..500, default 50) and an opaque `cursor`, and answer `{ items, nextCursor }`. " +
				"Times are ISO 8601 UTC, dates YYYY-MM-DD, money integer minor units with an ISO 4217 currency. " +
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
			schemas: {
				Error: {
					type: "object",
					required: ["name", "message", "code"],
					properties: {
						name: { type: "string" },
						message: { type: "string" },
						code: { type: "integer" },
						type: { type: "string" },
						data: {},
					},
				},
			},
		},
	};
}
