/** The errors and the stored error shape shared by IdempotencyMixin, its claims and the wallets' debit batcher. */
import { Errors } from "moleculer";

export function keyReusedError(): Errors.MoleculerClientError {
	return new Errors.MoleculerClientError("The Idempotency-Key was already used with a different request", 422, "IDEMPOTENCY_KEY_REUSED", [
		{ field: "Idempotency-Key", type: "IDEMPOTENCY_KEY_REUSED", message: "This key was used with another request." },
	]);
}

/** What is kept of a refused request under its key, so a replay answers the same body. */
export function storedError(err: any): { name: string; message: string; code: number; type: string; data: unknown } {
	return { name: err.name, message: err.message, code: err.code, type: err.type, data: err.data ?? null };
}

export function rebuildError(stored: any): Error {
	const err = new Errors.MoleculerClientError(stored.message, stored.code, stored.type, stored.data);
	if (stored.name) err.name = stored.name; // the replay is the same body, name included
	return err;
}
