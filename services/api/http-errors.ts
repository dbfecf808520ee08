/**
 * One function maps any error to the HTTP answer. Client errors (4xx) keep their
 * name/message/type/data; anything else becomes a bare 500 (or 503/504) with no stack,
 * SQL or internal message: those are logged, never sent.
 */
import { isDecodeFailure } from "./body-guard";

export interface HttpError {
	status: number;
	body: { name: string; message: string; code: number; type: string; data?: unknown };
}

const BODY_PARSER: Record<string, [number, string, string]> = {
	"entity.parse.failed": [400, "INVALID_JSON", "The body is not valid JSON."],
	"entity.too.large": [413, "PAYLOAD_TOO_LARGE", "The body is larger than the limit."],
	"encoding.unsupported": [415, "UNSUPPORTED_MEDIA_TYPE", "The body's content encoding is not supported."],
	"charset.unsupported": [415, "UNSUPPORTED_MEDIA_TYPE", "The body's charset is not supported."],
	"request.aborted": [400, "REQUEST_ABORTED", "The request was aborted."],
	"request.size.invalid": [400, "BAD_REQUEST", "The body's size does not match Content-Length."],
	"stream.encoding.set": [400, "BAD_REQUEST", "The body could not be read."],
};

/** What was sent, short: JSON, cut at 60 characters. */
function shownValue(value: unknown): string {
	const text = value === undefined ? "undefined" : (JSON.stringify(value) ?? String(value));
	return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** fastest-validator's entries as { field, type, message }; an unknown-fields entry becomes one per field. */
function cleanValidationData(data: unknown): unknown {
	if (!Array.isArray(data)) return data;
	return data.flatMap((d: any) => {
		if (d?.type === "objectStrict" && typeof d.actual === "string") {
			const parent = d.field ? `${d.field}.` : "";
			return d.actual.split(",").map((k: string) => k.trim()).filter(Boolean).map((k: string) => ({
				field: parent + k,
				type: "unknownField",
				message: `The field '${parent + k}' is not allowed here.`,
			}));
		}
		// fastest-validator's enum message puts the allowed list where the value goes ("field value 'skip, update'").
		if (d?.type === "enumValue") {
			return [{ field: String(d.field ?? ""), type: "enumValue", message: `The '${d.field}' field must be one of: ${d.expected}; it was ${shownValue(d.actual)}.` }];
		}
		return [{ field: String(d?.field ?? ""), type: String(d?.type ?? "invalid"), message: String(d?.message ?? "Invalid value") }];
	});
}

export function toHttpError(err: any): HttpError {
	if (isDecodeFailure(err)) {
		return { status: 400, body: { name: "BadRequestError", message: "The body could not be decoded with its Content-Encoding.", code: 400, type: "INVALID_CONTENT_ENCODING" } };
	}
	const parser = typeof err?.type === "string" ? BODY_PARSER[err.type] : undefined;
	if (parser) {
		const [status, type, message] = parser;
		return { status, body: { name: status === 413 ? "PayloadTooLarge" : "BadRequestError", message, code: status, type } };
	}
	const code = typeof err?.code === "number" ? err.code : typeof err?.status === "number" ? err.status : 500;
	if (code >= 400 && code < 500) {
		const body: HttpError["body"] = {
			name: String(err.name ?? "Error"),
			message: String(err.message ?? "Request refused"),
			code,
			type: String(err.type ?? (code === 404 ? "NOT_FOUND" : "BAD_REQUEST")),
		};
		if (err.data !== undefined) body.data = body.type === "VALIDATION_ERROR" ? cleanValidationData(err.data) : err.data;
		// The bus's "no such service" / "no live node for it" (both 404 in moleculer) must not read as
		// "no such record" nor leak action names.
		if (body.type === "SERVICE_NOT_FOUND" || body.type === "SERVICE_NOT_AVAILABLE") {
			return { status: 503, body: { name: "ServiceUnavailableError", message: "Service unavailable", code: 503, type: "SERVICE_UNAVAILABLE" } };
		}
		return { status: code, body };
	}
	if (code === 503 || err?.type === "SERVICE_NOT_AVAILABLE" || err?.type === "SERVICE_UNAVAILABLE") {
		return { status: 503, body: { name: "ServiceUnavailableError", message: "Service unavailable, try again", code: 503, type: "SERVICE_UNAVAILABLE" } };
	}
	if (code === 504 || err?.type === "REQUEST_TIMEOUT") {
		return { status: 504, body: { name: "GatewayTimeoutError", message: "The request timed out", code: 504, type: "REQUEST_TIMEOUT" } };
	}
	return { status: 500, body: { name: "InternalServerError", message: "Internal server error", code: 500, type: "INTERNAL_ERROR" } };
}
