/**
 * The clients service's request shapes (param rules, the OpenAPI text of its routes) and the
 * types of its params. Meaning (e-mail, E.164, country, gender, dates, tags) is checked by the
 * normaliser (lib/normalize/client.ts), not here.
 */
import { ref } from "../../lib/openapi";
import { CLIENT_INPUT_EXAMPLE } from "../../lib/openapi/schemas";
import type { ActionOpenApi } from "../../lib/openapi";
import { clientEntity, clientPage } from "./clients.entity";
import { PROFILE_ATTEMPTS } from "./clients.profile-throttle";
import type { ListFilters } from "./clients.queries";

export const SOURCES = ["staff", "online", "import"] as const;

export interface ListClientsParams extends ListFilters {
	limit?: number;
	cursor?: string;
}

export interface BulkParams {
	clientIds: string[];
	groupId?: string;
	addTags?: string[];
	removeTags?: string[];
}

export const fieldRules = {
	fullName: { type: "string", max: 1000 },
	email: { type: "string", max: 1000 },
	phone: { type: "string", max: 100 },
	gender: { type: "string", max: 100, description: "female | male | other (common spellings in EN/FR/ES/DE/IT are accepted)" },
	country: { type: "string", max: 100, description: "ISO 3166-1 alpha-2, alpha-3 or a country name" },
	birthDate: { type: "string", optional: true, nullable: true, max: 20, description: "YYYY-MM-DD" },
	notes: { type: "string", optional: true, nullable: true, max: 5000 },
	groupId: { type: "string", optional: true, max: 64 },
	tags: {
		type: "array",
		optional: true,
		max: 100,
		items: { type: "string", max: 200 },
		description: "Trimmed, lower-cased, deduplicated, 1..40 characters each. `,` `;` `|` separate tags in CSV files, so a tag holding one is a 422 (tags[i], tagSeparator).",
	},
} as const;

export const optional = <T extends Record<string, any>>(rules: T) => Object.fromEntries(Object.entries(rules).map(([k, r]) => [k, { ...r, optional: true }])) as T;

export const filterRules = {
	q: { type: "string", optional: true, max: 200, description: "Name substring (case- and accent-insensitive), e-mail prefix or phone digits (a run of 8 or more digits typed with a trunk or international prefix, 06… or 0034…, is looked for without its leading zeros)" },
	groupId: { type: "string", optional: true, max: 64 },
	tag: { type: "string", optional: true, max: 200 },
	categoryId: { type: "string", optional: true, max: 64 },
	verified: { type: "boolean", optional: true, convert: true },
} as const;

export const idRule = { type: "string", min: 1, max: 200 } as const;

/** The OpenAPI text of the service's own routes (the mixins keep theirs beside their actions). */
export const OPENAPI = {
	create: {
		summary: "Add a client",
		description:
			"Inputs are normalised: e-mail trimmed and lower-cased, phone to E.164 with the client's country as region, country to ISO alpha-2, gender to female|male|other. " +
			"Tags trimmed, lower-cased, deduplicated; a tag holding `,` `;` or `|` (the CSV tag separators) is a 422. " +
			"No groupId: the club's default group. Same e-mail in the club: 409 CLIENT_EXISTS (data.clientId). " +
			"E-mail of a verified profile: every identity field given must equal the profile, else 403 VERIFIED_PROFILE_MISMATCH (data.fields, never values); the client is then verified. " +
			`The created client shows only the values sent: a birthDate left out is null (never the profile's), and stays null when the profile changes. ` +
			`At most ${PROFILE_ATTEMPTS} mismatching attempts per e-mail per club and hour: then 429 TOO_MANY_ATTEMPTS with Retry-After for every attempt on that e-mail, right values included. ` +
			"The answer also carries `possibleDuplicates`: the club's clients this one looks like (same phone, same name and birth date, a similar name), as GET /clients/:id/duplicates ranks them; the client is created all the same.",
		tags: ["clients"],
		requestSchema: "ClientInput",
		requestExample: CLIENT_INPUT_EXAMPLE,
		responses: { "201": { description: "The client, with possibleDuplicates", schema: ref("ClientCreated") } },
	},
	list: { summary: "List and search clients", tags: ["clients"], responses: { "200": { description: "A page of clients", schema: clientPage } } },
	export: {
		summary: "Export clients as CSV",
		description:
			"UTF-8 with BOM, header id,full_name,email,phone,gender,country,birth_date,group,tags,categories,verified,created_at. " +
			"group and categories by name; tags and categories separated by |. Cells starting with = + - @ tab or CR are prefixed with ' (phones read '+33…). Newest first.",
		tags: ["clients"],
		responses: {
			"200": {
				description: "The CSV file",
				contentType: "text/csv",
				schema: { type: "string" },
				example: "\uFEFFid,full_name,email,phone,gender,country,birth_date,group,tags,categories,verified,created_at\n7d3c0f9e-2b1a-4c55-9a0e-3f1b2c4d5e6f,Ana García,ana.garcia@example.com,'+34612345678,female,ES,1990-04-12,Juniors,junior|morning,Students,false,2026-11-22T18:00:00.000Z\n",
			},
		},
	},
	get: { summary: "Get a client", tags: ["clients"], responses: { "200": { description: "The client", schema: clientEntity } } },
	update: {
		summary: "Update a client",
		description:
			"Send only the fields to change (birthDate and notes accept null). tags replaces the list. Same e-mail as another client: 409 CLIENT_EXISTS. " +
			"Verified client: changing fullName, email, phone, gender, country or birthDate is 403 VERIFIED_CLIENT_READ_ONLY (sending the same value is fine). " +
			`A new e-mail of a verified profile is checked as on POST /clients (403 VERIFIED_PROFILE_MISMATCH naming fields; ${PROFILE_ATTEMPTS} mismatches per e-mail and hour, then 429 TOO_MANY_ATTEMPTS with Retry-After); the client keeps the birthDate it had (null stays null).`,
		tags: ["clients"],
		requestExample: { notes: "Prefers evening courts", tags: ["junior", "evening"] },
		responses: { "200": { description: "The client", schema: clientEntity } },
	},
	remove: {
		summary: "Delete a client",
		description:
			"409 WALLET_NOT_EMPTY while a wallet has a balance. Future bookings are cancelled, personal data erased (the id stays as a tombstone; the wallet ledger is kept); the e-mail may be used again. " +
			"The client's wallets stay readable but are closed: a top-up or refund to one is 409 WALLET_CLOSED (decided under the wallet's lock, so a top-up racing the deletion either lands first and the deletion is refused, or is refused).",
		tags: ["clients"],
		responses: { "204": { description: "Deleted" } },
	},
	tags: {
		summary: "Tags in use with their client counts",
		tags: ["tags"],
		responses: { "200": { description: "Tags, alphabetical", schema: { type: "array", items: ref("TagCount") } } },
	},
} satisfies Record<string, ActionOpenApi>;
