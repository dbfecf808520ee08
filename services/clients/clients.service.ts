/**
 * The club's clients: identity (normalised once, lib/normalize/client.ts), group, tags,
 * categories, verified profiles of the booking platform, search, bulk moves and the CSV
 * export; plus the actions other services rely on (get, findByEmail, create, counts, moves).
 */
import { ref } from "../../lib/openapi";
import { CLIENT_INPUT_EXAMPLE } from "../../lib/openapi/schemas";
import crypto from "node:crypto";
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { defineService } from "../../lib/service";
import { DbMixin } from "../../mixins/db.mixin";
import { OutboxMixin, diffChanges } from "../../mixins/outbox.mixin";
import { IdempotencyMixin, type OnCommit } from "../../mixins/idempotency.mixin";
import { ConflictError, ForbiddenError, NotFoundError, invalid, type FieldError } from "../../lib/errors";
import { created, noContent, type HttpMeta } from "../../lib/http";
import { decodeCursor, encodeCursor, listParams, type Page } from "../../lib/pagination";
import { UUID_RE } from "../../lib/tenant.middleware";
import { IDENTITY_FIELDS, isCalendarDate, normalizeClientInput, normalizeEmail, normalizeTag, normalizeTags, type IdentityField, type NormalizedClient } from "../../lib/normalize/client";
import { ImportBatchMixin } from "./clients.import-batch";
import { StatisticsMixin } from "./clients.statistics";
import { PROFILE_ATTEMPTS, withProfileAttempt } from "./clients.profile-throttle";
import * as q from "./clients.queries";
import { ClientLoader } from "./clients.loader";
import { clientEntity, clientPage, profileEntity, toClient, toProfile, type Client } from "./clients.entity";
import { exportStream } from "./clients.export";
import { clubGroupId } from "../../lib/club-group";
import { DuplicatesMixin, findDuplicates, possibleDuplicates } from "./clients.duplicates";
import { MergeMixin } from "./clients.merge";
import { DataExportMixin } from "./clients.data-export";

export type { Client } from "./clients.entity";
import type { ClientFields, CreateClientParams } from "./clients.contract";

const SOURCES = ["staff", "online", "import"] as const;

export interface ListClientsParams extends q.ListFilters {
	limit?: number;
	cursor?: string;
}

export interface BulkParams {
	clientIds: string[];
	groupId?: string;
	addTags?: string[];
	removeTags?: string[];
}

// Shapes only; meaning (e-mail, E.164, country, gender, dates, tags) is checked by the normaliser.
const fieldRules = {
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

const optional = <T extends Record<string, any>>(rules: T) => Object.fromEntries(Object.entries(rules).map(([k, r]) => [k, { ...r, optional: true }])) as T;

const filterRules = {
	q: { type: "string", optional: true, max: 200, description: "Name substring (case- and accent-insensitive), e-mail prefix or phone digits (a run of 8 or more digits typed with a trunk or international prefix, 06… or 0034…, is looked for without its leading zeros)" },
	groupId: { type: "string", optional: true, max: 64 },
	tag: { type: "string", optional: true, max: 200 },
	categoryId: { type: "string", optional: true, max: 64 },
	verified: { type: "boolean", optional: true, convert: true },
} as const;

const idRule = { type: "string", min: 1, max: 200 } as const;

const notFound = () => new NotFoundError("Client");
const field = (f: string, type: string, message: string): FieldError => ({ field: f, type, message });

const ClientsService = defineService({
	name: "clients",
	mixins: [DbMixin({ schema: "clients" }), IdempotencyMixin(), ImportBatchMixin, StatisticsMixin, OutboxMixin(), DuplicatesMixin, MergeMixin, DataExportMixin],
	settings: {
		rest: "/",
		/** POST /clients answers `possibleDuplicates` (bench/clients turns it off for its baseline). */
		detectDuplicates: true,
	},

	created(this: any) {
		this.loader = new ClientLoader(() => this.db);
	},

	actions: {
		/** Adds a client: normalised, one per e-mail in the club, checked against verified profiles. */
		create: {
			rest: "POST /clients",
			auth: "staff",
			idempotency: "optional",
			params: {
				$$strict: true,
				...fieldRules,
				source: {
					type: "enum",
					values: [...SOURCES],
					optional: true,
					description: "Bus callers only (staff | online | import; online lands in the External group). Over REST the source is always staff and this field is refused.",
				},
			},
			openapi: {
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
			async handler(this: any, ctx: Context<CreateClientParams, HttpMeta>): Promise<Client & { possibleDuplicates: ReturnType<typeof possibleDuplicates> }> {
				const { source: askedSource, groupId, ...fields } = ctx.params;
				if (askedSource !== undefined && ctx.meta.keyId) {
					throw invalid(field("source", "unknownField", "The field 'source' is not allowed here (the server sets it)."));
				}
				const source: q.Source = askedSource ?? "staff";
				const norm = normalizeClientInput(fields as Record<string, unknown>);
				if ("errors" in norm) throw invalid(norm.errors);
				const value = norm.value as NormalizedClient;
				const clubId = ctx.meta.clubId;
				// A verified profile's e-mail: a counted attempt (clients.profile-throttle.ts).
				const client: Client & { possibleDuplicates: ReturnType<typeof possibleDuplicates> } = await withProfileAttempt(this.db, clubId, value.email, () => this.idempotent(ctx, async (trx: Knex.Transaction, onCommit: OnCommit) => {
					const existing = await q.findClientByEmail(trx, clubId, value.email);
					if (existing) throw this.clientExists(existing.id);
					const group = await this.resolveGroup(ctx, groupId, source);
					let identity = value;
					let verified = false;
					const profile = await q.findProfile(trx, value.email);
					if (profile) {
						const given = fields as Record<string, unknown>;
						const submitted = IDENTITY_FIELDS.filter(k => given[k] !== undefined && given[k] !== null && given[k] !== "");
						const mismatches = this.profileMismatches(profile, value, submitted);
						if (mismatches.length) throw this.profileMismatch(mismatches);
						// What was sent (equal to the profile); a field left out stays empty, never the profile's value.
						identity = value;
						verified = true;
					}
					const row = await q.insertClient(trx, {
						club_id: clubId,
						id: crypto.randomUUID(),
						full_name: identity.fullName,
						email: identity.email,
						phone: identity.phone,
						gender: identity.gender,
						country: identity.country,
						birth_date: identity.birthDate,
						notes: value.notes,
						group_id: group,
						tags: value.tags,
						verified,
						source,
					});
					if (!row) {
						const winner = await q.findClientByEmail(trx, clubId, value.email);
						throw this.clientExists(winner?.id ?? null);
					}
					if (verified) await trx("verified_links").insert({ email: row.email, club_id: clubId, client_id: row.id });
					const client = toClient(row);
					const duplicates = this.settings.detectDuplicates ? await findDuplicates(trx, clubId, { fullName: row.full_name, phone: row.phone, birthDate: row.birth_date }, row.id) : [];
					await this.recordChange(trx, ctx, { action: "clients.create", target: { type: "client", id: client.id }, changes: diffChanges(null, client), event: { type: "clients.created", data: client } });
					onCommit(() => ctx.emit("clients.created", { clubId, client }));
					return created(ctx, { ...client, possibleDuplicates: possibleDuplicates(duplicates) });
				}));
				// Also on a replay (the mixin restores the status, not the headers).
				if (ctx.meta.$statusCode === 201) ctx.meta.$location = `/api/v1/clients/${client.id}`;
				return client;
			},
		},

		/** The club's clients, newest first, with filters. */
		list: {
			rest: "GET /clients",
			auth: "viewer",
			params: { ...listParams, ...filterRules },
			openapi: { summary: "List and search clients", tags: ["clients"], responses: { "200": { description: "A page of clients", schema: clientPage } } },
			async handler(this: any, ctx: Context<ListClientsParams, HttpMeta>): Promise<Page<Client>> {
				const clubId = ctx.meta.clubId;
				const filters = this.filtersOf(ctx.params);
				const after = this.checkCursor(ctx.params.cursor);
				if (!filters) return { items: [], nextCursor: null };
				const limit = ctx.params.limit ?? 50;
				const rows = await q.listPage(this.db, clubId, filters, limit + 1, after);
				const pageRows = rows.slice(0, limit);
				const last = pageRows[pageRows.length - 1];
				const nextCursor = rows.length > limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last.id }) : null;
				return { items: pageRows.map(r => toClient(r, r.categories)), nextCursor };
			},
		},

		/** The clients as CSV (same filters as the list), streamed. */
		export: {
			rest: "GET /clients/export",
			auth: "viewer",
			params: { ...filterRules },
			openapi: {
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
			async handler(this: any, ctx: Context<q.ListFilters, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const filters = this.filtersOf(ctx.params);
				let groups: Map<string, string> | null = null;
				let categories: Map<string, string> | null = null;
				const stream = await exportStream(this.db, clubId, filters, {
					groupName: async (id: string) => {
						if (!groups || !groups.has(id)) {
							const res: { items: Array<{ id: string; name: string }> } = await ctx.call("groups.all", {});
							groups = new Map(res.items.map(g => [g.id, g.name]));
						}
						return groups.get(id) ?? "";
					},
					categoryName: async (id: string) => {
						if (!categories || !categories.has(id)) {
							const res: Array<{ id: string; name: string }> = await ctx.call("groups.getCategories", {});
							categories = new Map(res.map(c => [c.id, c.name]));
						}
						return categories.get(id) ?? "";
					},
				});
				ctx.meta.$responseType = "text/csv; charset=utf-8";
				ctx.meta.$responseHeaders = { "Content-Disposition": `attachment; filename="clients-${new Date().toISOString().slice(0, 10)}.csv"` };
				return stream;
			},
		},

		/** One client (404 when unknown, deleted or another club's). */
		get: {
			rest: "GET /clients/:id",
			auth: "viewer",
			params: { id: idRule },
			openapi: { summary: "Get a client", tags: ["clients"], responses: { "200": { description: "The client", schema: clientEntity } } },
			async handler(this: any, ctx: Context<{ id: string }, HttpMeta>): Promise<Client> {
				const row = UUID_RE.test(ctx.params.id) ? await (this.loader as ClientLoader).get(ctx.meta.clubId, ctx.params.id.toLowerCase()) : undefined;
				if (!row) throw notFound();
				return toClient(row, row.categories);
			},
		},

		/** Internal: the club's client with this e-mail (normalised), or null. */
		findByEmail: {
			params: { email: { type: "string", max: 1000 } },
			async handler(this: any, ctx: Context<{ email: string }, HttpMeta>): Promise<Client | null> {
				const email = normalizeEmail(ctx.params.email);
				if (!email) return null;
				const row = await q.findClientWithCategoriesByEmail(this.db, ctx.meta.clubId, email);
				return row ? toClient(row, row.categories) : null;
			},
		},

		/** Changes some fields; a verified client's identity fields are read-only. */
		update: {
			rest: "PATCH /clients/:id",
			auth: "staff",
			params: { $$strict: true, id: idRule, ...optional(fieldRules) },
			openapi: {
				summary: "Update a client",
				description:
					"Send only the fields to change (birthDate and notes accept null). tags replaces the list. Same e-mail as another client: 409 CLIENT_EXISTS. " +
					"Verified client: changing fullName, email, phone, gender, country or birthDate is 403 VERIFIED_CLIENT_READ_ONLY (sending the same value is fine). " +
					`A new e-mail of a verified profile is checked as on POST /clients (403 VERIFIED_PROFILE_MISMATCH naming fields; ${PROFILE_ATTEMPTS} mismatches per e-mail and hour, then 429 TOO_MANY_ATTEMPTS with Retry-After); the client keeps the birthDate it had (null stays null).`,
				tags: ["clients"],
				requestExample: { notes: "Prefers evening courts", tags: ["junior", "evening"] },
				responses: { "200": { description: "The client", schema: clientEntity } },
			},
			async handler(this: any, ctx: Context<ClientFields & { id: string }, HttpMeta>): Promise<Client> {
				const clubId = ctx.meta.clubId;
				const { id, groupId, ...fields } = ctx.params;
				const current: q.ClientRow = await this.findOr404(this.db, id, clubId);
				const norm = normalizeClientInput(fields as Record<string, unknown>, { partial: true, defaultCountry: current.country });
				if ("errors" in norm) throw invalid(norm.errors);
				if (groupId !== undefined && groupId !== current.group_id) await this.resolveGroup(ctx, groupId, "staff");
				const after: Array<() => unknown> = [];
				const newEmail = norm.value.email !== undefined && norm.value.email !== current.email ? norm.value.email : undefined;
				const client: Client = await withProfileAttempt(this.db, clubId, newEmail, () => this.db.transaction(async (trx: Knex.Transaction) => {
					const row: q.ClientRow | undefined = await q.liveClients(trx, clubId).where({ id: current.id }).forUpdate().first();
					if (!row) throw notFound();
					const patch = norm.value;
					const changed = (Object.keys(patch) as Array<keyof NormalizedClient>).filter(k => !this.sameValue(k, patch[k], row));
					if (!changed.length && (groupId === undefined || groupId === row.group_id)) return this.withCategories(trx, row);
					const identityChanged = changed.filter(k => (IDENTITY_FIELDS as readonly string[]).includes(k));
					if (row.verified && identityChanged.length) {
						throw new ForbiddenError("A verified client's identity fields are read-only", "VERIFIED_CLIENT_READ_ONLY", { fields: identityChanged });
					}
					const update: Record<string, unknown> = { updated_at: trx.raw(q.NOW) };
					for (const k of changed) update[COLUMN[k]] = k === "tags" ? trx.raw("?::text[]", [patch.tags ?? []]) : patch[k];
					if (groupId !== undefined) update.group_id = groupId;
					let link = false;
					if (changed.includes("email")) {
						const profile = await q.findProfile(trx, patch.email!);
						if (profile) {
							const result = { ...this.identityOfRow(row), ...patch } as NormalizedClient;
							const mismatches = this.profileMismatches(profile, result, [...IDENTITY_FIELDS].filter(f => f !== "birthDate" || result.birthDate !== null));
							if (mismatches.length) throw this.profileMismatch(mismatches);
							update.verified = true; // its birthDate stays what the club gave (checked), never the profile's
							link = true;
						}
					}
					let updated: q.ClientRow;
					try {
						[updated] = await trx.transaction(sp => q.liveClients(sp, clubId).where({ id: row.id }).update(update).returning("*"));
					} catch (err: any) {
						if (err?.code === "23505" && err?.constraint === "clients_club_email_uq") {
							const other = await q.findClientByEmail(trx, clubId, patch.email!);
							throw this.clientExists(other?.id ?? null);
						}
						throw err;
					}
					if (link) await trx("verified_links").insert({ email: updated.email, club_id: clubId, client_id: updated.id });
					const out = await this.withCategories(trx, updated);
					await this.recordChange(trx, ctx, { action: "clients.update", target: { type: "client", id: out.id }, changes: diffChanges({ ...toClient(row), categories: out.categories }, out), event: { type: "clients.updated", data: out } });
					after.push(() => ctx.emit("clients.updated", { clubId, client: out }));
					return out;
				}));
				for (const fn of after) await fn();
				return client;
			},
		},

		/** Deletes a client: refused while a wallet holds money; bookings cancelled; personal data erased. */
		remove: {
			rest: "DELETE /clients/:id",
			auth: "staff",
			params: { id: idRule },
			openapi: {
				summary: "Delete a client",
				description:
					"409 WALLET_NOT_EMPTY while a wallet has a balance. Future bookings are cancelled, personal data erased (the id stays as a tombstone; the wallet ledger is kept); the e-mail may be used again. " +
					"The client's wallets stay readable but are closed: a top-up or refund to one is 409 WALLET_CLOSED (decided under the wallet's lock, so a top-up racing the deletion either lands first and the deletion is refused, or is refused).",
				tags: ["clients"],
				responses: { "204": { description: "Deleted" } },
			},
			async handler(this: any, ctx: Context<{ id: string }, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const row: q.ClientRow = await this.findOr404(this.db, ctx.params.id, clubId);
				// Money is never lost: the wallets close first (409 WALLET_NOT_EMPTY when one holds
				// money), so no top-up can land between this check and the erasure.
				await ctx.call("wallets.closeClientWallets", { clientId: row.id });
				let erased: number;
				try {
					await ctx.call("booking-guard.cancelClientBookings", { clientId: row.id });
					erased = await this.db.transaction(async (trx: Knex.Transaction) => {
						await trx("client_categories").where({ club_id: clubId, client_id: row.id }).del();
						await trx("verified_links").where({ club_id: clubId, client_id: row.id }).del();
						await this.recordChange(trx, ctx, { action: "clients.delete", target: { type: "client", id: row.id }, event: { type: "clients.deleted", data: { clientId: row.id } } });
						return q
							.liveClients(trx, clubId)
							.where({ id: row.id })
							.update({ full_name: null, email: null, phone: null, notes: null, birth_date: null, tags: trx.raw("'{}'::text[]"), verified: false, deleted_at: trx.raw(q.NOW), updated_at: trx.raw(q.NOW) } as any);
					});
				} catch (err) {
					await ctx.call("wallets.reopenClientWallets", { clientId: row.id }).catch((e: unknown) => this.logger.error(`Client ${row.id}: its wallets stay closed after a failed deletion:`, e));
					throw err;
				}
				if (!erased) throw notFound();
				ctx.emit("clients.deleted", { clubId, clientId: row.id });
				return noContent(ctx);
			},
		},

		/** Moves many clients and/or changes their tags, all or nothing. */
		bulk: {
			rest: "POST /clients/bulk",
			auth: "staff",
			params: {
				$$strict: true,
				clientIds: { type: "array", min: 1, max: 1000, items: { type: "string", max: 200 } },
				groupId: { type: "string", optional: true, max: 64 },
				addTags: { type: "array", optional: true, max: 100, items: { type: "string", max: 200 } },
				removeTags: { type: "array", optional: true, max: 100, items: { type: "string", max: 200 } },
			},
			openapi: {
				summary: "Move clients to a group and/or add and remove tags, all or nothing",
				description: "Any unknown id (or another club's) is a 422 listing them, and nothing changes. addTags and removeTags follow the tag rules of POST /clients (no `,` `;` `|`: 422 on addTags[i] / removeTags[i]).",
				tags: ["clients"],
				responses: { "200": { description: "How many clients were updated", schema: { type: "object", properties: { updated: { type: "integer" } } } } },
			},
			async handler(this: any, ctx: Context<BulkParams, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const { clientIds, groupId } = ctx.params;
				const errors: FieldError[] = [];
				const add = ctx.params.addTags ? normalizeTags(ctx.params.addTags, "addTags") : { value: [] as string[] };
				const remove = ctx.params.removeTags ? normalizeTags(ctx.params.removeTags, "removeTags") : { value: [] as string[] };
				if ("errors" in add) errors.push(...add.errors);
				if ("errors" in remove) errors.push(...remove.errors);
				if (groupId === undefined && !ctx.params.addTags?.length && !ctx.params.removeTags?.length) {
					errors.push(field("groupId", "required", "Give groupId, addTags or removeTags."));
				}
				if (errors.length) throw invalid(errors);
				if (groupId !== undefined) await this.resolveGroup(ctx, groupId, "staff");
				const addTags = (add as { value: string[] }).value;
				const removeTags = (remove as { value: string[] }).value;
				const ids = [...new Set(clientIds)];
				const validIds = ids.filter(id => UUID_RE.test(id)).map(id => id.toLowerCase());
				let clients: Client[] = [];
				const rows: q.ClientRow[] = await this.db.transaction(async (trx: Knex.Transaction) => {
					const found: q.ClientRow[] = validIds.length ? await q.liveClients(trx, clubId).whereIn("id", validIds).orderBy("id").forUpdate() : [];
					const known = new Set(found.map(r => r.id));
					const unknown = clientIds.map((id, i) => ({ id, i })).filter(({ id }) => !known.has(id.toLowerCase()));
					if (unknown.length) {
						throw invalid(
							unknown.map(({ id, i }) => field(`clientIds[${i}]`, "clientNotFound", `Client '${id.slice(0, 64)}' not found.`)),
							`${unknown.length} client id(s) not found: nothing was changed`,
						);
					}
					const res = await trx.raw(
						`UPDATE clients SET
							group_id = coalesce(?::uuid, group_id),
							tags = ARRAY(SELECT u.t FROM unnest(tags || ?::text[]) WITH ORDINALITY AS u(t, n)
							             WHERE NOT (u.t = ANY(?::text[])) GROUP BY u.t ORDER BY min(u.n)),
							updated_at = ${q.NOW}
						 WHERE club_id = ? AND deleted_at IS NULL AND id = ANY(?::uuid[])
						 RETURNING *`,
						[groupId ?? null, addTags, removeTags, clubId, validIds],
					);
					const updated: q.ClientRow[] = res.rows;
					const tooMany = updated.filter(r => r.tags.length > 100);
					if (tooMany.length) throw invalid(field("addTags", "arrayMax", `A client has at most 100 tags (${tooMany.length} client(s) would have more).`));
					const cats = await q.categoriesOf(trx, clubId, updated.map(r => r.id));
					const before = new Map(found.map(r => [r.id, r]));
					const entries = updated.map(r => {
						const client = toClient(r, cats.get(r.id));
						const changes = diffChanges({ ...toClient(before.get(r.id)!, cats.get(r.id)) }, client);
						return changes && { action: "clients.bulk", target: { type: "client", id: r.id }, changes, event: { type: "clients.updated", data: client } };
					});
					await this.recordChange(trx, ctx, entries.filter(Boolean));
					clients = updated.map(r => toClient(r, cats.get(r.id)));
					return updated;
				});
				for (const client of clients) ctx.emit("clients.updated", { clubId, client });
				return { updated: rows.length };
			},
		},

		/** Gives a client a category of the club, optionally for a period (upsert). */
		putCategory: {
			rest: "PUT /clients/:id/categories/:categoryId",
			auth: "staff",
			params: {
				$$strict: true,
				id: idRule,
				categoryId: idRule,
				validFrom: { type: "string", optional: true, nullable: true, max: 20, description: "YYYY-MM-DD (inclusive)" },
				validUntil: { type: "string", optional: true, nullable: true, max: 20, description: "YYYY-MM-DD (inclusive)" },
			},
			openapi: { summary: "Give a client a category (optionally for a period)", tags: ["clients"], responses: { "200": { description: "The client", schema: clientEntity } } },
			async handler(this: any, ctx: Context<{ id: string; categoryId: string; validFrom?: string | null; validUntil?: string | null }, HttpMeta>): Promise<Client> {
				const clubId = ctx.meta.clubId;
				const { validFrom = null, validUntil = null } = ctx.params;
				const errors: FieldError[] = [];
				if (validFrom !== null && !isCalendarDate(validFrom)) errors.push(field("validFrom", "date", "The 'validFrom' must be a real date written YYYY-MM-DD."));
				if (validUntil !== null && !isCalendarDate(validUntil)) errors.push(field("validUntil", "date", "The 'validUntil' must be a real date written YYYY-MM-DD."));
				if (!errors.length && validFrom && validUntil && validFrom > validUntil) errors.push(field("validUntil", "dateMin", "The 'validUntil' must not be before 'validFrom'."));
				const row: q.ClientRow = await this.findOr404(this.db, ctx.params.id, clubId);
				if (errors.length) throw invalid(errors);
				const categoryId = ctx.params.categoryId.toLowerCase();
				if (!UUID_RE.test(categoryId)) throw new NotFoundError("Category");
				const found: Array<{ id: string }> = await ctx.call("groups.getCategories", { ids: [categoryId] });
				if (!found.some(c => c.id === categoryId)) throw new NotFoundError("Category");
				const client: Client = await this.db.transaction(async (trx: Knex.Transaction) => {
					const touched = await q.touch(trx, clubId, row.id);
					if (!touched) throw notFound();
					const before = await this.withCategories(trx, touched);
					await q.upsertCategory(trx, { club_id: clubId, client_id: row.id, category_id: categoryId, valid_from: validFrom, valid_until: validUntil });
					const out = await this.withCategories(trx, touched);
					await this.recordClientCategories(trx, ctx, "clients.putCategory", before, out);
					return out;
				});
				ctx.emit("clients.updated", { clubId, client });
				return client;
			},
		},

		/** Takes a category away from a client. */
		removeCategory: {
			rest: "DELETE /clients/:id/categories/:categoryId",
			auth: "staff",
			params: { id: idRule, categoryId: idRule },
			openapi: { summary: "Take a category away from a client", tags: ["clients"], responses: { "204": { description: "Removed" } } },
			async handler(this: any, ctx: Context<{ id: string; categoryId: string }, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const row: q.ClientRow = await this.findOr404(this.db, ctx.params.id, clubId);
				const categoryId = ctx.params.categoryId.toLowerCase();
				if (!UUID_RE.test(categoryId)) throw new NotFoundError("Client category");
				const client: Client = await this.db.transaction(async (trx: Knex.Transaction) => {
					const before = await this.withCategories(trx, row);
					const removed = await q.categoryLinks(trx, clubId, row.id).where({ category_id: categoryId }).del();
					if (!removed) throw new NotFoundError("Client category");
					const touched = await q.touch(trx, clubId, row.id);
					if (!touched) throw notFound();
					const out = await this.withCategories(trx, touched);
					await this.recordClientCategories(trx, ctx, "clients.removeCategory", before, out);
					return out;
				});
				ctx.emit("clients.updated", { clubId, client });
				return noContent(ctx);
			},
		},

		/** Every tag in use with its number of clients. */
		tags: {
			rest: "GET /tags",
			auth: "viewer",
			params: {},
			openapi: {
				summary: "Tags in use with their client counts",
				tags: ["tags"],
				responses: { "200": { description: "Tags, alphabetical", schema: { type: "array", items: ref("TagCount") } } },
			},
			async handler(this: any, ctx: Context<unknown, HttpMeta>) {
				return q.tagCounts(this.db, ctx.meta.clubId);
			},
		},

		/** Internal: number of live clients per group id. */
		countByGroup: {
			params: { groupIds: { type: "array", items: "string", optional: true, max: 1000 } },
			async handler(this: any, ctx: Context<{ groupIds?: string[] }, HttpMeta>): Promise<Record<string, number>> {
				const ids = ctx.params.groupIds?.filter(id => UUID_RE.test(id));
				if (ids && !ids.length) return {};
				return q.countByGroup(this.db, ctx.meta.clubId, ids);
			},
		},

		/** Internal: number of live clients holding each category (any period). */
		countByCategory: {
			params: { categoryIds: { type: "array", items: "string", optional: true, max: 1000 } },
			async handler(this: any, ctx: Context<{ categoryIds?: string[] }, HttpMeta>): Promise<Record<string, number>> {
				const ids = ctx.params.categoryIds?.filter(id => UUID_RE.test(id));
				if (ids && !ids.length) return {};
				return q.countByCategory(this.db, ctx.meta.clubId, ids);
			},
		},

		/** Internal: moves every client of a group to another (group deletion with moveClientsTo). */
		moveAllFromGroup: {
			params: { fromGroupId: "string", toGroupId: "string" },
			async handler(this: any, ctx: Context<{ fromGroupId: string; toGroupId: string }, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const { fromGroupId, toGroupId } = ctx.params;
				if (!UUID_RE.test(toGroupId)) throw invalid(field("toGroupId", "uuid", "The 'toGroupId' is not a group id."));
				if (!UUID_RE.test(fromGroupId) || fromGroupId === toGroupId) return { moved: 0 };
				// Tombstones move too, so no row points at a deleted group; only live clients count, are recorded and announced.
				const { live, cats } = await this.db.transaction(async (trx: Knex.Transaction) => {
					const rows: q.ClientRow[] = await trx("clients")
						.where({ club_id: clubId, group_id: fromGroupId })
						.update({ group_id: toGroupId, updated_at: trx.raw(q.NOW) })
						.returning("*");
					const live = rows.filter(r => !r.deleted_at);
					const cats: Map<string, q.CategoryLinkRow[]> = await q.categoriesOf(trx, clubId, live.map(r => r.id));
					await this.recordChange(
						trx,
						ctx,
						live.map(r => ({ action: "clients.moveGroup", target: { type: "client", id: r.id }, changes: { groupId: [fromGroupId, toGroupId] }, event: { type: "clients.updated", data: toClient(r, cats.get(r.id)) } })),
					);
					return { live, cats };
				});
				for (const r of live) ctx.emit("clients.updated", { clubId, client: toClient(r, cats.get(r.id)) });
				return { moved: live.length };
			},
		},

		/** Registers (or updates) a verified profile of the platform; linked clients in every club follow it. */
		registerProfile: {
			rest: "POST /verified-profiles",
			auth: "platform",
			tenant: false,
			params: {
				$$strict: true,
				email: fieldRules.email,
				fullName: fieldRules.fullName,
				phone: fieldRules.phone,
				gender: fieldRules.gender,
				country: fieldRules.country,
				birthDate: fieldRules.birthDate,
			},
			openapi: {
				summary: "Register or update a verified profile (platform key)",
				description: "Keyed by e-mail. Clients created with this e-mail are verified; when the profile changes, every linked client (in every club) follows it, except a birthDate its club never gave (it stays null).",
				tags: ["verified-profiles"],
				responses: { "200": { description: "The profile", schema: profileEntity } },
			},
			async handler(this: any, ctx: Context<ClientFields, HttpMeta>) {
				const norm = normalizeClientInput(ctx.params as Record<string, unknown>);
				if ("errors" in norm) throw invalid(norm.errors);
				const v = norm.value as NormalizedClient;
				const { profile, clients } = await this.db.transaction(async (trx: Knex.Transaction) => {
					const res = await trx.raw(
						`INSERT INTO verified_profiles (email, full_name, phone, gender, country, birth_date) VALUES (?, ?, ?, ?, ?, ?)
						 ON CONFLICT (email) DO UPDATE SET full_name = EXCLUDED.full_name, phone = EXCLUDED.phone, gender = EXCLUDED.gender,
						   country = EXCLUDED.country, birth_date = EXCLUDED.birth_date, updated_at = ${q.NOW}
						 RETURNING *`,
						[v.email, v.fullName, v.phone, v.gender, v.country, v.birthDate],
					);
					// "old" is the row as it was before this statement: the audit's "before".
					const linked = await trx.raw(
						// A birth date the club never gave stays null: the club learns only what it sent.
						`UPDATE clients c SET full_name = ?, phone = ?, gender = ?, country = ?,
						        birth_date = CASE WHEN c.birth_date IS NULL THEN NULL ELSE ?::date END, updated_at = ${q.NOW}
						   FROM verified_links l, clients old
						  WHERE l.email = ? AND c.club_id = l.club_id AND c.id = l.client_id AND c.deleted_at IS NULL
						    AND old.club_id = c.club_id AND old.id = c.id
						    AND (c.full_name, c.phone, c.gender, c.country, c.birth_date) IS DISTINCT FROM (?, ?, ?, ?, CASE WHEN c.birth_date IS NULL THEN NULL ELSE ?::date END)
						 RETURNING c.*, row_to_json(old) AS old_row`,
						[v.fullName, v.phone, v.gender, v.country, v.birthDate, v.email, v.fullName, v.phone, v.gender, v.country, v.birthDate],
					);
					const rows = linked.rows as Array<q.ClientRow & { old_row: Record<string, unknown> }>;
					const cats: Map<string, q.CategoryLinkRow[]> = new Map();
					for (const r of rows) cats.set(r.id, (await q.categoriesOf(trx, r.club_id, [r.id])).get(r.id) ?? []);
					const pick = (r: Record<string, any>) => ({ fullName: r.full_name, phone: r.phone, gender: r.gender, country: r.country, birthDate: r.birth_date });
					for (const r of rows) {
						const client = toClient(r, cats.get(r.id));
						await this.recordChange(trx, ctx, { clubId: r.club_id, action: "clients.followProfile", target: { type: "client", id: r.id }, changes: diffChanges(pick(r.old_row), pick(r)), event: { type: "clients.updated", data: client } });
					}
					return { profile: res.rows[0] as q.VerifiedProfileRow, clients: rows.map(({ old_row: _, ...r }) => r as q.ClientRow) };
				});
				for (const r of clients) {
					const cats = await q.categoriesOf(this.db, r.club_id, [r.id]);
					ctx.emit("clients.updated", { clubId: r.club_id, client: toClient(r, cats.get(r.id)) });
				}
				return { ...toProfile(profile), linkedClients: clients.length };
			},
		},
	},

	events: {
		/** A deleted category leaves no link behind (groups refuses deleting one in use; this is the safety net). */
		"categories.updated": {
			async handler(this: any, ctx: Context<{ clubId?: string; categoryId?: string; deleted?: boolean }>) {
				const { clubId, categoryId, deleted } = ctx.params ?? {};
				if (!deleted || typeof clubId !== "string" || !UUID_RE.test(clubId) || typeof categoryId !== "string" || !UUID_RE.test(categoryId)) return;
				const changed: Client[] = await this.db.transaction(async (trx: Knex.Transaction) => {
					const gone: Array<{ client_id: string }> = await trx("client_categories").where({ club_id: clubId, category_id: categoryId }).del().returning("client_id");
					const out: Client[] = [];
					for (const { client_id } of gone) {
						const row = await q.touch(trx, clubId, client_id);
						if (!row) continue;
						const after = await this.withCategories(trx, row);
						const removed = { categoryId, validFrom: null, validUntil: null };
						await this.recordChange(trx, ctx, { clubId, action: "clients.removeCategory", target: { type: "client", id: row.id }, changes: { categories: [[...after.categories, removed], after.categories] }, event: { type: "clients.updated", data: after } });
						out.push(after);
					}
					return out;
				});
				for (const client of changed) ctx.emit("clients.updated", { clubId, client });
			},
		},
	},

	methods: {
		/** The live client of the club, or 404 (also for non-UUID ids). */
		async findOr404(this: any, db: Knex, id: string, clubId: string): Promise<q.ClientRow> {
			const row = UUID_RE.test(id) ? await q.findClient(db, clubId, id.toLowerCase()) : undefined;
			if (!row) throw notFound();
			return row;
		},

		async withCategories(this: any, db: Knex, row: q.ClientRow): Promise<Client> {
			const cats = await q.categoriesOf(db, row.club_id, [row.id]);
			return toClient(row, cats.get(row.id));
		},

		/** The audit entry of a category given or taken (none when nothing changed). */
		async recordClientCategories(this: any, trx: Knex.Transaction, ctx: Context, action: string, before: Client, after: Client): Promise<void> {
			const changes = diffChanges({ categories: before.categories }, { categories: after.categories });
			if (changes) await this.recordChange(trx, ctx, { action, target: { type: "client", id: after.id }, changes, event: { type: "clients.updated", data: after } });
		},

		/**
		 * The group a client goes to: the given one (422 when it is not the club's), else the
		 * club's default group, or External for clients who came online.
		 */
		async resolveGroup(this: any, ctx: Context<unknown, HttpMeta>, groupId: string | undefined, source: q.Source): Promise<string> {
			if (groupId !== undefined) return clubGroupId(ctx, groupId);
			const d: { defaultGroupId: string; externalGroupId: string } = await ctx.call("groups.defaults", {});
			return source === "online" ? d.externalGroupId : d.defaultGroupId;
		},

		/** Submitted identity fields (normalised) that differ from the profile. */
		profileMismatches(this: any, profile: q.VerifiedProfileRow, value: NormalizedClient, submitted: IdentityField[]): IdentityField[] {
			const p = this.identityOf(profile);
			return submitted.filter(f => (value[f] ?? null) !== (p[f] ?? null));
		},

		profileMismatch(this: any, fields: IdentityField[]) {
			return new ForbiddenError("The identity fields do not match the verified profile of this e-mail", "VERIFIED_PROFILE_MISMATCH", { fields });
		},

		clientExists(this: any, clientId: string | null) {
			return new ConflictError("CLIENT_EXISTS", "A client with this e-mail already exists in the club", { clientId });
		},

		identityOf(this: any, p: q.VerifiedProfileRow): Pick<NormalizedClient, IdentityField> {
			return { fullName: p.full_name, email: p.email, phone: p.phone, gender: p.gender, country: p.country, birthDate: p.birth_date };
		},

		identityOfRow(this: any, r: q.ClientRow): Pick<NormalizedClient, IdentityField> {
			return { fullName: r.full_name, email: r.email, phone: r.phone, gender: r.gender, country: r.country, birthDate: r.birth_date };
		},

		sameValue(this: any, k: keyof NormalizedClient, v: unknown, row: q.ClientRow): boolean {
			const cur = (row as any)[COLUMN[k]];
			if (k === "tags") return JSON.stringify(cur) === JSON.stringify(v);
			return (cur ?? null) === (v ?? null);
		},

		/** Our cursors carry an ISO time and a UUID; anything else is a 422, never a Postgres cast error. */
		checkCursor(this: any, cursor: string | undefined): { at: string; id: string } | null {
			const pos = decodeCursor(cursor);
			if (!pos) return null;
			const ok = UUID_RE.test(pos.id) && /^\d{4}-\d{2}-\d{2}T/.test(pos.at) && new Date(pos.at).toISOString() === pos.at;
			if (!ok) throw invalid(field("cursor", "cursor", "The 'cursor' is not one this API gave out."));
			return pos;
		},

		/** Query filters, normalised; null when a filter can match nothing (an id that is not a UUID). */
		filtersOf(this: any, p: q.ListFilters): q.ListFilters | null {
			const f: q.ListFilters = {};
			if (p.q !== undefined && p.q.trim()) f.q = p.q.trim();
			if (p.verified !== undefined) f.verified = p.verified;
			if (p.groupId !== undefined) {
				if (!UUID_RE.test(p.groupId)) return null;
				f.groupId = p.groupId.toLowerCase();
			}
			if (p.categoryId !== undefined) {
				if (!UUID_RE.test(p.categoryId)) return null;
				f.categoryId = p.categoryId.toLowerCase();
			}
			if (p.tag !== undefined) {
				const tag = normalizeTag(p.tag);
				if (tag === null) return null;
				f.tag = tag;
			}
			return f;
		},
	},
});

const COLUMN: Record<keyof NormalizedClient, string> = {
	fullName: "full_name",
	email: "email",
	phone: "phone",
	gender: "gender",
	country: "country",
	birthDate: "birth_date",
	notes: "notes",
	tags: "tags",
};

export default ClientsService;
