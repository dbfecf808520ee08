/**
 * Hostile JSON bodies, refused at the gateway before any service sees them:
 *
 * - nesting deeper than MAX_BODY_DEPTH (no route takes more than a few levels; thousands of
 *   levels overflowed the stack of recursive code behind the gateway: a 500) → 400
 *   `BODY_TOO_DEEP`;
 * - keys named `__proto__`, `constructor` or `prototype`, at any depth → 422 `unknownField`:
 *   JSON.parse makes `__proto__` an own key, and the first `Object.assign` of the params
 *   turned it into the prototype of the action's params (a body `{"__proto__":{"notes":"x"}}`
 *   changed the notes past `$$strict`);
 * - a body whose Content-Encoding (gzip, deflate, br) does not match its bytes → 400
 *   `INVALID_CONTENT_ENCODING` (zlib's errors reached the error mapper with a string code: a 500).
 *
 * The walk is iterative, so it cannot overflow whatever the body.
 */
import { BadRequestError, invalid } from "../../lib/errors";

/** The deepest nesting a body may have (the API's deepest body has 3 levels). */
const MAX_BODY_DEPTH = 32;
const PROTO_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Throws the 400/422 for a body that is too deep or holds a prototype key; otherwise nothing. */
export function guardBody(body: unknown): void {
	if (body === null || typeof body !== "object") return;
	const stack: Array<[unknown, string, number]> = [[body, "", 1]];
	const bad: string[] = [];
	while (stack.length) {
		const [value, path, depth] = stack.pop()!;
		if (depth > MAX_BODY_DEPTH) throw new BadRequestError(`The JSON body nests deeper than ${MAX_BODY_DEPTH} levels.`, "BODY_TOO_DEEP");
		if (Array.isArray(value)) {
			value.forEach((child, i) => {
				if (child !== null && typeof child === "object") stack.push([child, `${path}[${i}]`, depth + 1]);
			});
			continue;
		}
		for (const key of Object.keys(value as object)) {
			const field = path ? `${path}.${key}` : key;
			if (PROTO_KEYS.has(key)) bad.push(field);
			const child = (value as Record<string, unknown>)[key];
			if (child !== null && typeof child === "object") stack.push([child, field, depth + 1]);
		}
	}
	if (bad.length) throw invalid(bad.sort().map(field => ({ field, type: "unknownField", message: `The field '${field}' is not allowed here.` })));
}

/** zlib's and brotli's error codes, as they reach the error mapper from the body parser. */
const DECODE_CODE = /^(Z_[A-Z_]+|ERR__[A-Z0-9_]+|ERR_BROTLI[A-Z0-9_]*|ERR_ZLIB[A-Z0-9_]*)$/;

/** True when `err` is the body parser failing to decompress the body. */
export function isDecodeFailure(err: unknown): boolean {
	const code = (err as { code?: unknown })?.code;
	return typeof code === "string" && DECODE_CODE.test(code);
}
