/**
 * What the gateway checks of a /api/v1 request once it is authenticated (an unauthenticated
 * caller learns nothing): hostile bodies (body-guard.ts), the content type, and where each
 * param comes from.
 */
import type { IncomingMessage } from "node:http";
import { BadRequestError, invalid } from "../../lib/errors";
import { guardBody } from "./body-guard";
import type { Req } from "./gateway.types";

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

function hasBody(req: IncomingMessage): boolean {
	const len = req.headers["content-length"];
	return (len !== undefined && len !== "0") || req.headers["transfer-encoding"] !== undefined;
}

/** After auth: content type and where params come from. */
export function checkRequestShape(req: Req): void {
	guardBody(req.body);
	guardBody(req.query);
	const isStream = req.$alias?.type === "stream";
	const ct = String(req.headers["content-type"] ?? "");
	const isJson = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(ct);
	if (BODY_METHODS.has(req.method ?? "") && hasBody(req) && (isStream ? isJson : !isJson)) {
		throw Object.assign(new BadRequestError(isStream ? "Send the file as text/csv or multipart/form-data" : "Send the body as application/json", "UNSUPPORTED_MEDIA_TYPE"), { code: 415 });
	}
	if (!isStream && req.$params) separateParams(req);
	// Over REST the key travels only in the Idempotency-Key header (the param is for bus callers).
	if (req.$params && Object.prototype.hasOwnProperty.call(req.$params, "idempotencyKey")) {
		throw invalid({ field: "idempotencyKey", type: "unknownField", message: "Send the key in the Idempotency-Key header." });
	}
}

/**
 * moleculer-web merges body, query and path params into one object, so a query value
 * could overwrite a body field and a body `id` would be silently replaced by the path's.
 * Rebuild the params: reads take query + path, writes take the JSON body + path; a query
 * parameter on a write, or a body field named like a path parameter, is a 422.
 */
function separateParams(req: Req): void {
	const params = req.$params as Record<string, unknown>;
	const pathKeys: string[] = (req.$alias?.keys ?? []).map((k: { name: unknown }) => String(k.name));
	const path = Object.fromEntries(pathKeys.filter(k => k in params).map(k => [k, params[k]]));
	let base: Record<string, unknown>;
	if (BODY_METHODS.has(req.method ?? "")) {
		const body = req.body;
		if (body !== undefined && (body === null || typeof body !== "object" || Array.isArray(body))) {
			throw invalid({ field: "", type: "object", message: "The body must be a JSON object." });
		}
		base = (body ?? {}) as Record<string, unknown>;
		const errors = [
			...Object.keys(req.query ?? {}).map(k => ({ field: k, type: "unknownField", message: `The query parameter '${k}' is not accepted here: send it in the JSON body.` })),
			...pathKeys.filter(k => k in base).map(k => ({ field: k, type: "unknownField", message: `The field '${k}' is not allowed in the body.` })),
		];
		if (errors.length) throw invalid(errors);
	} else {
		base = { ...(req.query ?? {}) };
	}
	for (const k of Object.keys(params)) delete params[k];
	Object.assign(params, base, path);
}
