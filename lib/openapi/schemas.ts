/**
 * The named schemas of the OpenAPI document (components/schemas), each with an example.
 * Actions point at them with `ref("Client")` / `pageOf("Client")` in their `openapi`
 * notes; the document builder derives every operation's examples from these, so a
 * schema's example is written once. A new entity: `defineSchema(name, schema, example)`
 * here (or in the service's own module) and `ref(name)` in the notes.
 */

export type JsonSchema = Record<string, any>;

export interface NamedSchema {
	schema: JsonSchema;
	example: unknown;
}

export const SCHEMAS: Record<string, NamedSchema> = {};

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** Registers a named schema (with its example) and gives its $ref. */
export function defineSchema(name: string, schema: JsonSchema, example: unknown): JsonSchema {
	SCHEMAS[name] = { schema, example };
	return ref(name);
}

/** An object schema whose every listed property is always present in answers. */
export function entity(properties: Record<string, JsonSchema>, description?: string): JsonSchema {
	return { type: "object", ...(description ? { description } : {}), required: Object.keys(properties), properties };
}

/** `<Name>Page`: a page of `Name`s (see `Page`), registered on first use. */
export function pageOf(name: string): JsonSchema {
	const pageName = `${name}Page`;
	if (!SCHEMAS[pageName]) {
		const item = SCHEMAS[name];
		if (!item) throw new Error(`pageOf('${name}'): define the schema '${name}' first`);
		defineSchema(
			pageName,
			{ allOf: [ref("Page"), { type: "object", required: ["items"], properties: { items: { type: "array", items: ref(name) } } }], description: `A page of ${name}s.` },
			{ items: [item.example], nextCursor: "eyJpZCI6IjdkM2MwZjllIn0" },
		);
	}
	return ref(pageName);
}

// ------------------------------------------------------------------ building blocks

const id = { type: "string", format: "uuid" };
const time = { type: "string", format: "date-time" };
const nullableTime = { type: ["string", "null"], format: "date-time" };
const date = { type: ["string", "null"], format: "date" };
const role = { type: "string", enum: ["admin", "staff", "viewer"] };
const gender = { type: "string", enum: ["female", "male", "other"] };
const country = { type: "string", pattern: "^[A-Z]{2}$", description: "ISO 3166-1 alpha-2" };
const currency = { type: "string", pattern: "^[A-Z]{3}$", description: "ISO 4217" };
const minor = (description: string) => ({ type: "integer", description: `${description}, in minor units (5000 = 50.00)` });

export const IDS = {
	club: "5f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
	client: "7d3c0f9e-2b1a-4c55-9a0e-3f1b2c4d5e6f",
	client2: "8e4d1a0f-3c2b-4d66-8b1f-4a2c3d5e6f70",
	group: "2a6b8c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d",
	category: "3b7c9d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e",
	wallet: "9b2f4e1a-6c3d-4a8b-b1e2-7f6a5d4c3b2a",
	transaction: "c4e5f6a7-8b9c-4d0e-a1f2-b3c4d5e6f7a8",
	booking: "d5f6a7b8-9c0d-4e1f-b2a3-c4d5e6f7a8b9",
	series: "e6a7b8c9-0d1e-4f2a-83b4-d5e6f7a8b9c0",
	import: "f7b8c9d0-1e2f-4a3b-94c5-e6f7a8b9c0d1",
	apiKey: "0a1b2c3d-4e5f-4a6b-87c8-d9e0f1a2b3c4",
	staff: "1b2c3d4e-5f6a-4b7c-98d9-e0f1a2b3c4d5",
	audit: "2c3d4e5f-6a7b-4c8d-a9e0-f1a2b3c4d5e6",
	webhook: "3d4e5f6a-7b8c-4d9e-b0f1-a2b3c4d5e6f7",
	delivery: "4e5f6a7b-8c9d-4e0f-81a2-b3c4d5e6f7a8",
	event: "5f6a7b8c-9d0e-4f1a-92b3-c4d5e6f7a8b9",
};
const AT = "2026-11-22T18:00:00.000Z";
const AT2 = "2026-11-23T09:30:00.000Z";

// ------------------------------------------------------------------ shared

defineSchema(
	"Error",
	{
		type: "object",
		description: "Every 4xx and 5xx answer. Branch on `type` (stable); `message` is for people.",
		required: ["name", "message", "code", "type"],
		properties: {
			name: { type: "string", description: "The error class" },
			message: { type: "string" },
			code: { type: "integer", description: "The HTTP status" },
			type: { type: "string", description: "Stable machine-readable reason, e.g. NOT_FOUND, NAME_TAKEN" },
			data: { description: "Details, depending on `type`" },
		},
	},
	{ name: "NotFoundError", message: "Client not found", code: 404, type: "NOT_FOUND" },
);

defineSchema(
	"FieldError",
	entity({ field: { type: "string", description: "The parameter, dotted for nested ones (`price.amount`)" }, type: { type: "string", description: "What is wrong: required, email, stringMax, unknownField..." }, message: { type: "string" } }),
	{ field: "email", type: "email", message: "The 'email' field must be a valid e-mail." },
);

defineSchema(
	"ValidationError",
	{
		allOf: [ref("Error"), { type: "object", required: ["data"], properties: { data: { type: "array", items: ref("FieldError") } } }],
		description: "422: each invalid or unknown field, with the reason.",
	},
	{ name: "ValidationError", message: "Parameters validation error!", code: 422, type: "VALIDATION_ERROR", data: [{ field: "email", type: "email", message: "The 'email' field must be a valid e-mail." }] },
);

defineSchema(
	"Page",
	{
		type: "object",
		description: "Every list: `limit` (1..500, default 50) and `cursor` in; follow `nextCursor` until it is null.",
		required: ["items", "nextCursor"],
		properties: { items: { type: "array", items: {} }, nextCursor: { type: ["string", "null"], description: "Pass as `cursor` for the next page; null on the last page" } },
	},
	{ items: [], nextCursor: null },
);


// ------------------------------------------------------------------ clubs and keys

const clubExample = { id: IDS.club, name: "My Padel Club", country: "ES", currency: "EUR", timezone: "Europe/Madrid", createdAt: AT, updatedAt: AT };
defineSchema(
	"Club",
	entity({ id, name: { type: "string" }, country, currency, timezone: { type: "string", description: "IANA time zone" }, createdAt: time, updatedAt: time }),
	clubExample,
);

const keyExample = { id: IDS.apiKey, name: "Booking system", role: "staff", prefix: "chk_3kT9qLm2", createdAt: AT };
defineSchema(
	"ApiKey",
	entity({ id, name: { type: "string" }, role, prefix: { type: "string", description: "The key's first characters, to recognise it" }, createdAt: time }, "An API key, without its secret."),
	keyExample,
);
const { prefix: _prefix, ...createdKeyExample } = keyExample;
defineSchema(
	"ApiKeyCreated",
	entity({ id, name: { type: "string" }, role, key: { type: "string", description: "The secret: shown once, stored only as a hash" }, createdAt: time }, "A new API key with its secret."),
	{ ...createdKeyExample, key: "chk_3kT9qLm2vX8pR4sW7yZ1aB5cD6eF0gH" },
);
defineSchema(
	"ClubCreated",
	entity({
		club: ref("Club"),
		apiKey: entity({ id, name: { type: "string" }, role: { type: "string", const: "admin" }, key: { type: "string", description: "The secret: shown once, stored only as a hash" } }, "The club's first admin key."),
	}),
	{ club: clubExample, apiKey: { id: IDS.apiKey, name: "admin", role: "admin", key: "chk_9fJ2kL4mN6pQ8rS0tU2vW4xY6zA8bC0" } },
);

// ------------------------------------------------------------------ clients

const clientExample = {
	id: IDS.client,
	fullName: "Ana García",
	email: "ana.garcia@example.com",
	phone: "+34612345678",
	gender: "female",
	country: "ES",
	birthDate: "1990-04-12",
	notes: null,
	groupId: IDS.group,
	tags: ["junior", "morning"],
	categories: [{ categoryId: IDS.category, validFrom: "2026-09-01", validUntil: null }],
	verified: false,
	source: "staff",
	createdAt: AT,
	updatedAt: AT,
};
defineSchema(
	"ClientCategory",
	entity({ categoryId: id, validFrom: { ...date, description: "First day it applies; null: always" }, validUntil: { ...date, description: "Last day it applies; null: no end" } }),
	clientExample.categories[0],
);
defineSchema(
	"Client",
	entity({
		id,
		fullName: { type: "string" },
		email: { type: "string", format: "email", description: "Lower-cased; unique in the club" },
		phone: { type: "string", description: "E.164" },
		gender,
		country,
		birthDate: date,
		notes: { type: ["string", "null"] },
		groupId: id,
		tags: { type: "array", items: { type: "string" }, description: "Trimmed, lower-cased, deduplicated" },
		categories: { type: "array", items: ref("ClientCategory") },
		verified: { type: "boolean", description: "Linked to a verified profile: identity fields are read-only" },
		source: { type: "string", enum: ["staff", "import", "online"] },
		createdAt: time,
		updatedAt: time,
	}),
	clientExample,
);
/** The request body of POST /clients (generated from the action's params; this is its example). */
export const CLIENT_INPUT_EXAMPLE = { fullName: "Ana García", email: "ana.garcia@example.com", phone: "+34 612 34 56 78", gender: "female", country: "ES", birthDate: "1990-04-12", tags: ["junior"] };

const DUPLICATE_REASONS = ["SAME_PHONE", "SAME_NAME_AND_BIRTH_DATE", "SIMILAR_NAME"];
defineSchema(
	"PossibleDuplicate",
	entity({ clientId: id, reasons: { type: "array", items: { type: "string", enum: DUPLICATE_REASONS } } }),
	{ clientId: IDS.client2, reasons: ["SAME_PHONE"] },
);
defineSchema(
	"ClientCreated",
	{
		allOf: [
			ref("Client"),
			{
				type: "object",
				required: ["possibleDuplicates"],
				properties: {
					possibleDuplicates: {
						type: "array",
						items: ref("PossibleDuplicate"),
						description: "Likely duplicates among the club's clients, best first (empty when none); the client is created all the same.",
					},
				},
			},
		],
	},
	{ ...clientExample, possibleDuplicates: [{ clientId: IDS.client2, reasons: ["SAME_PHONE"] }] },
);

defineSchema("TagCount", entity({ tag: { type: "string" }, clientCount: { type: "integer" } }), { tag: "junior", clientCount: 42 });

defineSchema(
	"VerifiedProfile",
	entity({
		email: { type: "string", format: "email" },
		fullName: { type: "string" },
		phone: { type: "string", description: "E.164" },
		gender,
		country,
		birthDate: date,
		createdAt: time,
		updatedAt: time,
		linkedClients: { type: "integer", description: "Clients (in any club) updated to follow this profile" },
	}),
	{ email: "ana.garcia@example.com", fullName: "Ana García", phone: "+34612345678", gender: "female", country: "ES", birthDate: "1990-04-12", createdAt: AT, updatedAt: AT, linkedClients: 1 },
);

// ------------------------------------------------------------------ groups, categories, product access

const PAYMENT_METHODS = ["card", "wallet", "sepa_debit", "paypal", "apple_pay", "google_pay", "ideal", "bancontact", "twint"];
defineSchema(
	"Group",
	entity({
		id,
		name: { type: "string" },
		system: { type: "boolean", description: "The External group: cannot be renamed or deleted" },
		isDefault: { type: "boolean", description: "New clients without a groupId land here" },
		clientCount: { type: "integer" },
		maxFutureBookings: { type: ["integer", "null"], minimum: 0, description: "Confirmed future bookings a client may hold; null: no limit" },
		paymentMethods: { type: "array", items: { type: "string", enum: PAYMENT_METHODS } },
		vatRate: { type: ["integer", "null"], description: "Basis points (2100 = 21 %); null: none" },
		createdAt: time,
		updatedAt: time,
	}),
	{ id: IDS.group, name: "Juniors", system: false, isDefault: false, clientCount: 12, maxFutureBookings: 4, paymentMethods: ["card", "wallet"], vatRate: 2100, createdAt: AT, updatedAt: AT },
);
defineSchema(
	"Category",
	entity({
		id,
		name: { type: "string" },
		description: { type: ["string", "null"] },
		discountPercent: { type: "number", minimum: 0, maximum: 100, description: "0..100, at most 2 decimals" },
		clientCount: { type: "integer" },
		createdAt: time,
		updatedAt: time,
	}),
	{ id: IDS.category, name: "Students", description: "Under 26 with a student card", discountPercent: 20, clientCount: 8, createdAt: AT, updatedAt: AT },
);
defineSchema(
	"ProductAccess",
	entity({
		productId: { type: "string", description: "The booking system's id" },
		kind: { type: "string", enum: ["product", "activity"], description: "product: only these groups see and book it; activity: everyone sees it, only these groups book it" },
		groupIds: { type: "array", items: id },
		createdAt: time,
		updatedAt: time,
	}),
	{ productId: "court-1", kind: "product", groupIds: [IDS.group], createdAt: AT, updatedAt: AT },
);

// ------------------------------------------------------------------ booking guard

defineSchema("BookingReason", entity({ code: { type: "string", enum: ["PRODUCT_NOT_VISIBLE", "GROUP_NOT_ALLOWED", "FUTURE_BOOKING_LIMIT", "PAYMENT_METHOD_NOT_ALLOWED", "STARTS_IN_PAST", "INSUFFICIENT_WALLET_BALANCE"] }, message: { type: "string" } }), {
	code: "FUTURE_BOOKING_LIMIT",
	message: "The client already has 4 future bookings (the group allows 4).",
});
defineSchema(
	"BookingPrice",
	entity(
		{
			base: minor("The price asked"),
			discountPercent: { type: "number" },
			categoryId: { type: ["string", "null"], description: "The category giving the discount" },
			discount: minor("The discount"),
			final: minor("base - discount (VAT included)"),
			vatRate: { type: ["integer", "null"], description: "Basis points" },
			vatAmount: minor("round(final * vatRate / (10000 + vatRate))"),
			currency,
		},
		"VAT-inclusive price after the client's best category discount.",
	),
	{ base: 2000, discountPercent: 20, categoryId: IDS.category, discount: 400, final: 1600, vatRate: 2100, vatAmount: 278, currency: "EUR" },
);
defineSchema(
	"BookingCheck",
	{
		type: "object",
		description: "The guard's answer: may this client book this product then, and at what price.",
		required: ["allowed", "visible", "reasons", "paymentMethods"],
		properties: {
			allowed: { type: "boolean" },
			visible: { type: "boolean", description: "The client may see the product" },
			reasons: { type: "array", items: ref("BookingReason"), description: "Why not (empty when allowed)" },
			paymentMethods: { type: "array", items: { type: "string", enum: PAYMENT_METHODS } },
			price: ref("BookingPrice"),
		},
	},
	{ allowed: true, visible: true, reasons: [], paymentMethods: ["card", "wallet"], price: { base: 2000, discountPercent: 20, categoryId: IDS.category, discount: 400, final: 1600, vatRate: 2100, vatAmount: 278, currency: "EUR" } },
);
const bookingExample = {
	id: IDS.booking,
	clientId: IDS.client,
	productId: "court-1",
	startsAt: "2026-11-28T18:00:00.000Z",
	endsAt: "2026-11-28T19:30:00.000Z",
	status: "confirmed",
	seriesId: null,
	reference: "resa-4411",
	channel: "online",
	createdAt: AT,
	cancelledAt: null,
};
defineSchema(
	"Booking",
	entity({
		id,
		clientId: id,
		productId: { type: "string" },
		startsAt: time,
		endsAt: time,
		status: { type: "string", enum: ["confirmed", "cancelled"] },
		seriesId: { type: ["string", "null"], description: "Set on every occurrence of a series" },
		reference: { type: ["string", "null"], description: "The booking system's own reference" },
		channel: { type: "string", enum: ["online", "staff"] },
		createdAt: time,
		cancelledAt: nullableTime,
	}),
	bookingExample,
);
defineSchema("BookingList", entity({ bookings: { type: "array", items: ref("Booking") } }, "The bookings made or cancelled: one, or the occurrences of a series."), { bookings: [bookingExample] });

// ------------------------------------------------------------------ wallets

const walletExample = { id: IDS.wallet, clientId: IDS.client, currency: "EUR", balance: 5000, createdAt: AT, updatedAt: AT2 };
const transactionExample = { id: IDS.transaction, walletId: IDS.wallet, type: "top_up", amount: 5000, balanceAfter: 5000, reference: "front-desk", refundOf: null, createdAt: AT2 };
defineSchema("Wallet", entity({ id, clientId: id, currency, balance: minor("The balance"), createdAt: time, updatedAt: time }), walletExample);
defineSchema(
	"Transaction",
	entity(
		{
			id,
			walletId: id,
			type: { type: "string", enum: ["top_up", "debit", "refund", "transfer_in", "transfer_out"] },
			amount: { type: "integer", minimum: 1, description: "Always positive, in minor units (5000 = 50.00); at most 1 000 000 000, except a transfer_out / transfer_in (a merge carrying a whole balance over)" },
			balanceAfter: minor("The balance right after this entry"),
			reference: { type: ["string", "null"] },
			refundOf: { type: ["string", "null"], description: "The debit a refund gives back" },
			createdAt: time,
		},
		"One immutable ledger entry.",
	),
	transactionExample,
);
defineSchema(
	"ClientWallet",
	{ allOf: [ref("Wallet"), { type: "object", required: ["recentTransactions"], properties: { recentTransactions: { type: "array", items: ref("Transaction"), description: "Newest 10" } } }] },
	{ ...walletExample, recentTransactions: [transactionExample] },
);

// ------------------------------------------------------------------ imports

defineSchema(
	"ImportJob",
	entity({
		id,
		status: { type: "string", enum: ["queued", "running", "completed", "failed", "cancelled"] },
		fileName: { type: ["string", "null"] },
		totalRows: { type: "integer", description: "Data rows read so far (final once the file is read)" },
		processedRows: { type: "integer", description: "Rows applied; never goes back" },
		created: { type: "integer" },
		updated: { type: "integer" },
		skipped: { type: "integer" },
		failed: { type: "integer" },
		possibleDuplicates: { type: "integer", description: "Rows imported that look like clients the club already had (same phone, same name and birth date, or a similar name): never refused, each on the errors download with code POSSIBLE_DUPLICATE, and counted in a warning" },
		warnings: { type: "array", items: { type: "string" } },
		error: { type: ["string", "null"], description: "Why the job failed (e.g. missing required columns)" },
		startedAt: nullableTime,
		finishedAt: nullableTime,
		rowsPerSecond: { type: "integer" },
		options: {
			type: "object",
			properties: {
				onDuplicate: { type: "string", enum: ["skip", "update"] },
				dryRun: { type: "boolean" },
				groupId: { type: ["string", "null"] },
				tags: { type: "array", items: { type: "string" } },
				delimiter: { type: "string", enum: ["auto", ",", ";", "tab"] },
				encoding: { type: "string", enum: ["auto", "utf-8", "windows-1252"] },
			},
		},
		createdAt: time,
	}),
	{
		id: IDS.import,
		status: "completed",
		fileName: "clients.csv",
		totalRows: 1200,
		processedRows: 1200,
		created: 1150,
		updated: 0,
		skipped: 38,
		failed: 12,
		possibleDuplicates: 3,
		warnings: ["Column 'Member since' is not recognised: ignored.", "3 row(s) look like clients the club already had (same phone, same name and birth date, or a similar name): imported all the same, listed on the errors download with code POSSIBLE_DUPLICATE."],
		error: null,
		startedAt: AT,
		finishedAt: "2026-11-22T18:00:04.000Z",
		rowsPerSecond: 300,
		options: { onDuplicate: "skip", dryRun: false, groupId: null, tags: [], delimiter: "auto", encoding: "auto" },
		createdAt: AT,
	},
);
defineSchema(
	"ImportError",
	entity({ line: { type: "integer", description: "Physical line in the file (the header is line 1)" }, field: { type: "string" }, code: { type: "string" }, message: { type: "string" } }, "A row that was not imported."),
	{ line: 7, field: "email", code: "DUPLICATE_IN_FILE", message: "An earlier row of the file has this e-mail." },
);

// ------------------------------------------------------------------ staff, audit, webhooks (API.md)

const actor = entity({ type: { type: "string", enum: ["staff", "key", "platform", "service"] }, id: { type: "string" }, name: { type: "string" } }, "Who did it.");
defineSchema("Actor", actor, { type: "key", id: IDS.apiKey, name: "Booking system" });
defineSchema(
	"StaffMember",
	entity({ id, name: { type: "string" }, email: { type: "string", format: "email" }, role, status: { type: "string", enum: ["invited", "active", "disabled"] }, lastSignInAt: nullableTime, createdAt: time, updatedAt: time }),
	{ id: IDS.staff, name: "Marta López", email: "marta@mypadelclub.example", role: "staff", status: "active", lastSignInAt: AT2, createdAt: AT, updatedAt: AT2 },
);
defineSchema("Invitation", entity({ token: { type: "string", description: "Shown once; valid 7 days" }, expiresAt: time }), { token: "inv_Yc8r2LkQ0pW5tZ3nB7vX1mJ4", expiresAt: "2026-11-29T18:00:00.000Z" });
defineSchema(
	"StaffInvited",
	{ allOf: [ref("StaffMember"), { type: "object", required: ["invitation"], properties: { invitation: ref("Invitation") } }] },
	{ id: IDS.staff, name: "Marta López", email: "marta@mypadelclub.example", role: "staff", status: "invited", lastSignInAt: null, createdAt: AT, updatedAt: AT, invitation: { token: "inv_Yc8r2LkQ0pW5tZ3nB7vX1mJ4", expiresAt: "2026-11-29T18:00:00.000Z" } },
);
defineSchema(
	"Session",
	entity({ club: ref("Club"), role, actor: ref("Actor"), expiresAt: { ...nullableTime, description: "null for an API key sent as Bearer" } }),
	{ club: clubExample, role: "staff", actor: { type: "staff", id: IDS.staff, name: "Marta López" }, expiresAt: "2026-11-23T06:00:00.000Z" },
);
defineSchema(
	"AuditEntry",
	entity({
		id,
		at: time,
		actor: entity({ type: { type: "string", enum: ["staff", "key", "platform", "service"] }, id: { type: "string" }, name: { type: ["string", "null"] } }, "Who did it (name null once erased)."),
		action: { type: "string", description: "`<service>.<verb>`, e.g. `clients.update`" },
		target: entity({ type: { type: "string", description: "e.g. client, group, category, product, wallet, booking, series, import, club, apiKey, staff, webhook" }, id: { type: "string" } }),
		changes: {
			type: ["object", "null"],
			additionalProperties: { type: "array", minItems: 2, maxItems: 2, items: {} },
			description: "Updates: `{ field: [before, after] }`; null when the change has no field values (a delete)",
		},
		requestId: { type: ["string", "null"] },
	}),
	{ id: IDS.audit, at: AT2, actor: { type: "staff", id: IDS.staff, name: "Marta López" }, action: "clients.update", target: { type: "client", id: IDS.client }, changes: { phone: ["+34612345678", "+34699887766"] }, requestId: "a1b2c3d4" },
);
export const WEBHOOK_EVENTS = ["clients.created", "clients.updated", "clients.deleted", "clients.merged", "groups.created", "groups.updated", "groups.deleted", "wallets.transacted", "bookings.confirmed", "bookings.cancelled", "imports.finished"];
const endpointExample = { id: IDS.webhook, url: "https://hooks.example.com/clubhouse", events: ["clients.created", "wallets.transacted"], description: "Accounting sync", status: "active", createdAt: AT, updatedAt: AT };
defineSchema(
	"WebhookEndpoint",
	entity({
		id,
		url: { type: "string", format: "uri" },
		events: { type: "array", items: { type: "string", enum: [...WEBHOOK_EVENTS, "*"] }, description: "Event types delivered; [\"*\"]: all" },
		description: { type: ["string", "null"] },
		status: { type: "string", enum: ["active", "paused"] },
		createdAt: time,
		updatedAt: time,
	}),
	endpointExample,
);
defineSchema(
	"WebhookEndpointCreated",
	{ allOf: [ref("WebhookEndpoint"), { type: "object", required: ["secret"], properties: { secret: { type: "string", description: "whsec_ + base64 of 32 random bytes; shown only in this answer. Verify deliveries with it (Standard Webhooks)." } } }] },
	{ ...endpointExample, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwQ1x2Y3z4A5b=" },
);
defineSchema(
	"WebhookSecretRotated",
	{
		allOf: [
			ref("WebhookEndpointCreated"),
			{ type: "object", required: ["previousSecretExpiresAt"], properties: { previousSecretExpiresAt: { ...time, description: "Until then the previous secret signs beside the new one" } } },
		],
	},
	{ ...endpointExample, secret: "whsec_Zq3n8Lk2Pw9Rt5Yv1Xc7Bm4Nj6Hg0Fd2Sa8Qe3We5Rt=", previousSecretExpiresAt: "2026-11-23T18:00:00.000Z" },
);
defineSchema(
	"Delivery",
	entity({
		id: { ...id, description: "Also the webhook-id header, the same on every attempt" },
		eventId: { type: "string", description: "The domain event delivered" },
		type: { type: "string", description: "The event type, or webhook.test" },
		status: { type: "string", enum: ["pending", "delivered", "failed"] },
		attempts: { type: "integer" },
		lastStatus: { type: ["integer", "null"], description: "HTTP status of the last attempt" },
		lastError: { type: ["string", "null"] },
		nextAttemptAt: nullableTime,
		createdAt: time,
	}),
	{ id: IDS.delivery, eventId: IDS.event, type: "clients.created", status: "delivered", attempts: 1, lastStatus: 200, lastError: null, nextAttemptAt: null, createdAt: AT },
);

// ------------------------------------------------------------------ merge and a client's data (API.md)

const count = (description: string) => ({ type: "integer", minimum: 0, description });
defineSchema(
	"ClientMergeResult",
	entity({
		target: ref("Client"),
		moved: entity({
			bookings: count("The source's bookings, every status, now the target's"),
			tags: count("Tags of the source the target did not have"),
			categories: count("Categories of the source the target did not have (one both hold keeps the widest validity)"),
			wallets: count("Wallets of the source in currencies the target had none in: they change owner, ledger and all"),
			transferred: {
				type: "array",
				description: "Balances carried into the target's wallet of the same currency (transfer_out / transfer_in, reference merge:<sourceId>); those source wallets are closed",
				items: entity({ currency, amount: minor("The amount carried over") }),
			},
		}),
		dryRun: { type: "boolean", description: "true: nothing changed, this is what would move" },
		warnings: {
			type: "array",
			description: "FUTURE_BOOKING_LIMIT_EXCEEDED: the target now holds more future bookings than its group's maxFutureBookings (the limit is not enforced retroactively)",
			items: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" }, data: { type: "object" } } },
		},
	}),
	{ target: clientExample, moved: { bookings: 3, tags: 1, categories: 0, wallets: 0, transferred: [{ currency: "EUR", amount: 1200 }] }, dryRun: false, warnings: [] },
);
defineSchema(
	"ClientDataExport",
	entity(
		{
			client: ref("Client"),
			categories: {
				type: "array",
				items: {
					allOf: [
						ref("ClientCategory"),
						{ type: "object", required: ["name", "description", "discountPercent"], properties: { name: { type: ["string", "null"] }, description: { type: ["string", "null"] }, discountPercent: { type: ["number", "null"] } } },
					],
				},
			},
			bookings: { type: "array", items: ref("Booking"), description: "Every booking, every status" },
			wallets: {
				type: "array",
				items: { allOf: [ref("Wallet"), { type: "object", required: ["transactions"], properties: { transactions: { type: "array", items: ref("Transaction"), description: "The whole ledger, oldest first" } } }] },
			},
			history: { type: "array", items: ref("AuditEntry"), description: "The client's audit history, oldest first" },
			exportedAt: time,
		},
		"Everything kept about one person (GET /clients/{id}/export).",
	),
	{
		client: clientExample,
		categories: [{ ...clientExample.categories[0], name: "Students", description: "Under 26 with a student card", discountPercent: 20 }],
		bookings: [bookingExample],
		wallets: [{ ...walletExample, transactions: [transactionExample] }],
		history: [],
		exportedAt: AT2,
	},
);
