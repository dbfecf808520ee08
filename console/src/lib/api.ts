/**
 * The generated API client (src/api/generated), set up for the console: same origin, the
 * session cookie (never a key in storage), and every failure turned into an ApiError that
 * carries the API's status, error type and data.
 */
import { client } from "../api/generated/client.gen";

export interface FieldProblem {
	field: string;
	type: string;
	message: string;
}

export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly type: string | undefined,
		message: string,
		readonly data: unknown,
	) {
		super(message);
		this.name = "ApiError";
	}

	/** A 422's per-field problems. */
	get fields(): FieldProblem[] {
		return this.status === 422 && Array.isArray(this.data) ? (this.data as FieldProblem[]) : [];
	}
}

client.setConfig({ baseUrl: "", credentials: "same-origin", throwOnError: true });

client.interceptors.error.use((error: any, response: Response | undefined) => {
	if (error instanceof ApiError) return error;
	if (!response) return new ApiError(0, "NETWORK", String(error?.message ?? error), null);
	const body = error && typeof error === "object" ? error : {};
	return new ApiError(response.status, body.type, String(body.message ?? response.statusText), body.data);
});

/** Listeners told when a call answers 401 (the session ended). */
const unauthorized = new Set<() => void>();
client.interceptors.response.use(response => {
	if (response.status === 401 && !response.url.endsWith("/api/v1/session")) for (const fn of unauthorized) fn();
	return response;
});
export function onUnauthorized(fn: () => void): () => void {
	unauthorized.add(fn);
	return () => unauthorized.delete(fn);
}

/** Every call of the generated SDK with this: it throws ApiError and answers the data. */
export const THROW = { throwOnError: true } as const;

export async function data<T>(call: Promise<{ data: T }>): Promise<T> {
	return (await call).data;
}

export { client };

/** A fresh Idempotency-Key for one money-moving intent (reused on retries of that intent). */
export function idempotencyKey(): string {
	return crypto.randomUUID();
}

/** A URL under /api/v1 with a query (for downloads the browser fetches itself). */
export function apiUrl(path: string, query: Record<string, string | number | boolean | undefined | null> = {}): string {
	const qs = new URLSearchParams();
	for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") qs.set(k, String(v));
	const s = qs.toString();
	return `/api/v1${path}${s ? `?${s}` : ""}`;
}
