import type { JsonSchema } from "./registry";

/**
 * What the document lacks, one line each: an operation without a request or response
 * example, an error status without its types, an error type not registered.
 */
export function checkDocument(doc: JsonSchema): string[] {
	const problems: string[] = [];
	for (const [p, ops] of Object.entries<any>(doc.paths ?? {})) {
		for (const [method, op] of Object.entries<any>(ops)) {
			const where = `${method.toUpperCase()} ${p}`;
			for (const [ct, media] of Object.entries<any>(op.requestBody?.content ?? {})) {
				if (ct.startsWith("multipart/")) continue;
				if (media.example === undefined && !media.examples) problems.push(`${where}: the ${ct} request has no example (add requestExample, or the field to FIELD_EXAMPLES in lib/openapi/examples.ts)`);
			}
			for (const t of op["x-unregistered-error-types"] ?? []) problems.push(`${where}: error type ${t} is not in lib/openapi/errors.ts`);
			for (const [status, r] of Object.entries<any>(op.responses ?? {})) {
				const isError = /^4/.test(status);
				if (isError && status !== "4XX" && !(r["x-error-types"]?.length)) problems.push(`${where}: the ${status} answer names no error type (list it in openapi.errors)`);
				for (const [ct, media] of Object.entries<any>(r.content ?? {})) {
					if (media.example === undefined && !media.examples) problems.push(`${where}: the ${status} ${ct} answer has no example (give it a schema with a known example, or an example)`);
				}
			}
		}
	}
	return problems;
}
