/**
 * Every error `type` the REST API can answer, with its status and an example body. An
 * action lists the business errors it can answer in `openapi.errors` (["NAME_TAKEN"]);
 * the generic ones (auth, validation, JSON, idempotency, not found) are added by the
 * document builder from the route's shape. A type thrown in code but missing here fails
 * test/foundation/openapi.spec.ts: register it here and list it on its operations.
 */

export interface ErrorDoc {
	status: number;
	/** The `name` the body carries (the error class). */
	name: string;
	/** When the client sees it (goes into the document). */
	when: string;
	/** An example `message`. */
	message: string;
	/** An example `data`, when the type carries one. */
	data?: unknown;
}

const fieldErrors = (field: string, type: string, message: string) => [{ field, type, message }];

export const ERROR_TYPES: Record<string, ErrorDoc> = {
	// ---- the gateway, every route
	BAD_REQUEST: { status: 400, name: "BadRequestError", when: "The request could not be read.", message: "The body's size does not match Content-Length." },
	INVALID_JSON: { status: 400, name: "BadRequestError", when: "The body is not valid JSON.", message: "The body is not valid JSON." },
	BODY_TOO_DEEP: { status: 400, name: "BadRequestError", when: "The JSON body is nested deeper than 32 levels.", message: "The body is nested too deeply" },
	INVALID_CONTENT_ENCODING: { status: 400, name: "BadRequestError", when: "The body's bytes do not match its Content-Encoding.", message: "The body does not match its Content-Encoding" },
	IDEMPOTENCY_KEY_REQUIRED: { status: 400, name: "BadRequestError", when: "A money-moving POST came without an Idempotency-Key header.", message: "This request moves money: send an Idempotency-Key header" },
	IDEMPOTENCY_KEY_INVALID: { status: 400, name: "BadRequestError", when: "The Idempotency-Key header is empty or longer than 255 characters.", message: "Idempotency-Key must be 1 to 255 characters" },
	UNAUTHORIZED: { status: 401, name: "UnauthorizedError", when: "No API key, or an unknown or revoked one.", message: "Unknown or revoked API key" },
	FORBIDDEN: { status: 403, name: "ForbiddenError", when: "The key's role may not do this (viewer: GET only; admin-only routes), or the platform key outside its two routes.", message: "Role 'viewer' may not do this" },
	NOT_FOUND: { status: 404, name: "NotFoundError", when: "No such id in the caller's club (another club's id reads the same).", message: "Client not found" },
	IDEMPOTENCY_IN_PROGRESS: { status: 409, name: "ConflictError", when: "A request with the same Idempotency-Key is still running: retry shortly.", message: "A request with this Idempotency-Key is still running; retry shortly" },
	PAYLOAD_TOO_LARGE: { status: 413, name: "PayloadTooLarge", when: "A JSON body over 1 MiB (or an upload over its limit).", message: "The body is larger than the limit." },
	UNSUPPORTED_MEDIA_TYPE: { status: 415, name: "BadRequestError", when: "The body is not sent as the route's content type.", message: "Send the body as application/json" },
	VALIDATION_ERROR: {
		status: 422,
		name: "ValidationError",
		when: "A parameter is missing, malformed or unknown: `data` lists each `{ field, type, message }`.",
		message: "Parameters validation error!",
		data: fieldErrors("email", "email", "The 'email' field must be a valid e-mail."),
	},
	IDEMPOTENCY_KEY_REUSED: {
		status: 422,
		name: "MoleculerClientError",
		when: "The Idempotency-Key was already used with another body.",
		message: "The Idempotency-Key was already used with a different request",
		data: fieldErrors("Idempotency-Key", "IDEMPOTENCY_KEY_REUSED", "This key was used with another request."),
	},
	RATE_LIMITED: { status: 429, name: "TooManyRequestsError", when: "Over the key's requests per minute (see Retry-After).", message: "Too many requests for this API key; retry in 12 s", data: { retryAfter: 12 } },

	// ---- clients
	CLIENT_EXISTS: { status: 409, name: "ConflictError", when: "A client of the club has this e-mail.", message: "A client with this e-mail already exists in the club", data: { clientId: "7d3c0f9e-2b1a-4c55-9a0e-3f1b2c4d5e6f" } },
	VERIFIED_PROFILE_MISMATCH: { status: 403, name: "ForbiddenError", when: "The e-mail is a verified profile's and a submitted identity field differs from it (values are never echoed).", message: "The identity fields do not match the verified profile of this e-mail", data: { fields: ["phone"] } },
	VERIFIED_CLIENT_READ_ONLY: { status: 403, name: "ForbiddenError", when: "A verified client's identity field (fullName, email, phone, gender, country, birthDate) was changed.", message: "A verified client's identity fields are read-only", data: { fields: ["fullName"] } },
	WALLET_NOT_EMPTY: { status: 409, name: "ConflictError", when: "The client still has money in a wallet.", message: "The client's wallet is not empty: refund or spend it first", data: { clientId: "7d3c0f9e-2b1a-4c55-9a0e-3f1b2c4d5e6f" } },
	SOURCE_VERIFIED: { status: 409, name: "ConflictError", when: "The merge's source client is verified.", message: "A verified client cannot be merged into another" },
	MERGE_PENDING: { status: 409, name: "ConflictError", when: "An earlier merge of one of the two clients is still being settled (a node went away mid-merge): retry in a few seconds.", message: "An earlier merge of one of these clients is being settled: try again in a few seconds", data: { mergeId: "3c9d2e7f-1a4b-4c6d-8e0f-2b3a4c5d6e7f" } },
	MERGE_ABORTED: { status: 409, name: "ConflictError", when: "The merge was called off while it ran (its wallet step refused for good): nothing was moved.", message: "This merge was called off: nothing was moved", data: { mergeId: "3c9d2e7f-1a4b-4c6d-8e0f-2b3a4c5d6e7f" } },
	MERGE_INTERRUPTED: { status: 503, name: "MoleculerRetryableError", when: "A service went away mid-merge: the merge is settled by the cluster within seconds (completed if the wallets applied their step, otherwise called off with both clients as they were).", message: "The wallets went away mid-merge: nothing was merged, try again", data: { mergeId: "3c9d2e7f-1a4b-4c6d-8e0f-2b3a4c5d6e7f" } },

	// ---- groups and categories
	NAME_TAKEN: { status: 409, name: "ConflictError", when: "The club has a group (or category) of this name, case-insensitively.", message: "A group named 'Juniors' already exists in this club", data: { field: "name" } },
	SYSTEM_GROUP: { status: 409, name: "ConflictError", when: "The External group cannot be renamed or deleted (its policies are editable).", message: "The system group External cannot be deleted" },
	DEFAULT_GROUP: { status: 409, name: "ConflictError", when: "The club's default group cannot be deleted: make another group the default first.", message: "The default group cannot be deleted" },
	GROUP_NOT_EMPTY: { status: 409, name: "ConflictError", when: "The group has clients and no `moveClientsTo` was given.", message: "The group has 12 client(s): give moveClientsTo", data: { clientCount: 12 } },
	CATEGORY_IN_USE: { status: 409, name: "ConflictError", when: "Clients hold the category.", message: "3 client(s) hold this category", data: { clientCount: 3 } },

	// ---- bookings
	BOOKING_REJECTED: {
		status: 409,
		name: "ConflictError",
		when: "The guard refused the booking (or an occurrence of the series): `data.reasons` says why.",
		message: "The booking was refused: FUTURE_BOOKING_LIMIT",
		data: { reasons: [{ code: "FUTURE_BOOKING_LIMIT", message: "The client already has 4 future bookings (the group allows 4)." }] },
	},

	// ---- wallets
	WALLET_EXISTS: { status: 409, name: "ConflictError", when: "The client already has a wallet in this currency.", message: "The client already has a EUR wallet", data: { walletId: "9b2f4e1a-6c3d-4a8b-b1e2-7f6a5d4c3b2a", currency: "EUR" } },
	INSUFFICIENT_FUNDS: { status: 409, name: "ConflictError", when: "The balance is lower than the amount.", message: "The wallet's balance is lower than the amount", data: { walletId: "9b2f4e1a-6c3d-4a8b-b1e2-7f6a5d4c3b2a", balance: 1200, amount: 5000 } },
	REFUND_EXCEEDS_DEBIT: {
		status: 409,
		name: "ConflictError",
		when: "The refunds of a debit would add up to more than the debit.",
		message: "At most 1000 of this debit can still be refunded",
		data: { transactionId: "c4e5f6a7-8b9c-4d0e-a1f2-b3c4d5e6f7a8", debitAmount: 2500, refunded: 1500, refundable: 1000, amount: 2000 },
	},
	BALANCE_LIMIT_EXCEEDED: { status: 409, name: "ConflictError", when: "The balance would pass 2^53 - 1 minor units.", message: "The wallet's balance would exceed the largest exact amount (2^53 - 1)", data: { walletId: "9b2f4e1a-6c3d-4a8b-b1e2-7f6a5d4c3b2a" } },
	WALLET_CLOSED: { status: 409, name: "ConflictError", when: "The wallet's client was deleted: money may still go out (refunds), never in.", message: "The wallet's client was deleted: no money can go into it", data: { walletId: "9b2f4e1a-6c3d-4a8b-b1e2-7f6a5d4c3b2a" } },

	// ---- imports
	IMPORT_FINISHED: { status: 409, name: "ConflictError", when: "The import has already ended.", message: "The import has already ended (completed)", data: { status: "completed" } },

	UPLOAD_INCOMPLETE: { status: 400, name: "BadRequestError", when: "The upload could not be read to its end (the client went away, a multipart body without its closing boundary); the job is failed.", message: "The upload ended before the end of the file" },

	// ---- staff members and sessions
	STAFF_EXISTS: { status: 409, name: "ConflictError", when: "A staff member of the club has this e-mail, case-insensitively.", message: "A staff member with this e-mail already exists in the club" },
	LAST_ADMIN: { status: 409, name: "ConflictError", when: "The change would leave the club with neither an admin API key nor an active admin staff member.", message: "The club must keep an admin" },
	WEAK_PASSWORD: {
		status: 422,
		name: "ValidationError",
		when: "The password is too short, too long, or a common password.",
		message: "The password is too common",
		data: fieldErrors("password", "WEAK_PASSWORD", "This password is too common: choose another."),
	},
	CLUB_REQUIRED: { status: 409, name: "ConflictError", when: "The e-mail signs in to several clubs: send `club` (one of `data.clubs`).", message: "This e-mail belongs to several clubs: choose one", data: { clubs: [{ id: "5f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", name: "My Padel Club" }] } },
	INVALID_CREDENTIALS: { status: 401, name: "UnauthorizedError", when: "Wrong e-mail or password (the same answer for both).", message: "Wrong e-mail or password" },
	TOO_MANY_ATTEMPTS: { status: 429, name: "TooManyRequestsError", when: "5 failed sign-ins for this e-mail within 15 minutes, or 5 identity mismatches against this e-mail's verified profile by the club within an hour (see Retry-After).", message: "Too many failed sign-ins; retry later", data: { retryAfter: 600 } },
	SESSION_EXPIRED: { status: 401, name: "UnauthorizedError", when: "The session cookie has ended (idle too long, signed out, member disabled or changed): sign in again.", message: "The session has ended: sign in again" },
	CSRF: { status: 403, name: "ForbiddenError", when: "A cookie-authenticated write whose Origin is not this server's.", message: "Cross-site request refused" },

	// ---- webhooks
	DELIVERY_IN_FLIGHT: { status: 409, name: "ConflictError", when: "A node is sending this delivery right now: retry once the attempt has ended.", message: "The delivery is being sent right now; retry it once this attempt has ended" },
	URL_NOT_ALLOWED: {
		status: 422,
		name: "ValidationError",
		when: "The endpoint URL is not https (unless allowed) or resolves to a loopback, private, link-local or unspecified address.",
		message: "The URL is not allowed",
		data: fieldErrors("url", "URL_NOT_ALLOWED", "The URL resolves to a private address."),
	},
};

/** The example body of an error type. */
export function errorExample(type: string): Record<string, unknown> {
	const e = ERROR_TYPES[type];
	if (!e) throw new Error(`Unknown error type '${type}': add it to lib/openapi/errors.ts`);
	const body: Record<string, unknown> = { name: e.name, message: e.message, code: e.status, type };
	if (e.data !== undefined) body.data = e.data;
	return body;
}
