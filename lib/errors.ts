/**
 * Typed errors with stable `type`s. Classes do not survive the transporter, so callers
 * branch on `err.type`; the gateway maps `err.code` to the HTTP status.
 */
import { Errors } from "moleculer";

const { MoleculerClientError, ValidationError } = Errors;

export interface FieldError {
	field: string;
	type: string;
	message: string;
}

export class NotFoundError extends MoleculerClientError {
	constructor(what = "Resource", data?: unknown) {
		super(`${what} not found`, 404, "NOT_FOUND", data);
		this.name = "NotFoundError";
	}
}

export class ConflictError extends MoleculerClientError {
	constructor(type: string, message: string, data?: unknown) {
		super(message, 409, type, data);
		this.name = "ConflictError";
	}
}

export class ForbiddenError extends MoleculerClientError {
	constructor(message = "Not allowed", type = "FORBIDDEN", data?: unknown) {
		super(message, 403, type, data);
		this.name = "ForbiddenError";
	}
}

export class UnauthorizedError extends MoleculerClientError {
	constructor(message = "A valid API key is required", type = "UNAUTHORIZED") {
		super(message, 401, type);
		this.name = "UnauthorizedError";
	}
}

export class BadRequestError extends MoleculerClientError {
	constructor(message: string, type = "BAD_REQUEST", data?: unknown) {
		super(message, 400, type, data);
		this.name = "BadRequestError";
	}
}

export class TooManyRequestsError extends MoleculerClientError {
	constructor(public readonly retryAfter: number) {
		super(`Too many requests for this API key; retry in ${retryAfter} s`, 429, "RATE_LIMITED", { retryAfter });
		this.name = "TooManyRequestsError";
	}
}

/** The tenant is missing from ctx.meta: a bus caller forgot `meta: { clubId }`. */
export class ClubRequiredError extends MoleculerClientError {
	constructor(action: string) {
		super(`Action '${action}' needs the club in ctx.meta.clubId`, 400, "CLUB_REQUIRED");
		this.name = "ClubRequiredError";
	}
}

/** 422 with the same shape as fastest-validator's errors: data = [{ field, type, message }]. */
export function invalid(errors: FieldError[] | FieldError, message = "Parameters validation error!"): Errors.ValidationError {
	return new ValidationError(message, "VALIDATION_ERROR", Array.isArray(errors) ? errors : [errors]);
}

/**
 * fastest-validator lets null through an optional rule; for fields with no "null" meaning
 * (optional means "leave as is"), null is a 422 naming the field.
 */
export function rejectNulls(params: Record<string, unknown>, names: string[]): void {
	const errors = names.filter(n => params[n] === null).map(field => ({ field, type: "notNullable", message: `The '${field}' field may not be null.` }));
	if (errors.length) throw invalid(errors);
}

/** True for errors a caller caused (4xx): safe to show, never retried. */
export function isClientError(err: unknown): boolean {
	const code = (err as { code?: unknown })?.code;
	return typeof code === "number" && code >= 400 && code < 500;
}
