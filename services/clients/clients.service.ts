/**
 * The club's clients: identity (normalised once, lib/normalize/client.ts), group, tags,
 * categories, verified profiles of the booking platform, search, bulk moves and the CSV
 * export; plus the actions other services rely on (clients.contract.ts).
 *
 * This file holds the client's own actions; the rest is in mixins, one job each:
 *   clients.categories.ts    putCategory, removeCategory, countByCategory, categories.updated
 *   clients.bulk.ts          bulk, moveAllFromGroup
 *   clients.profiles.ts      registerProfile (POST /verified-profiles)
 *   clients.import-batch.ts  importBatch (the import workers' write path)
 *   clients.merge.ts         merge;  clients.duplicates.ts  duplicates
 *   clients.data-export.ts   exportData (GDPR);  clients.statistics.ts  refreshStatistics
 * The verified-profile rule is clients.verified.ts; shapes are clients.schemas.ts.
 */
import crypto from "node:crypto";
import type { Context } from "moleculer";
import { defineService, type AppService } from "../../lib/service";
import { DbMixin, type DbMembers } from "../../mixins/db.mixin";
import { OutboxMixin, diffChanges, type OutboxMembers } from "../../mixins/outbox.mixin";
import { IdempotencyMixin, type IdempotencyMembers } from "../../mixins/idempotency.mixin";
import { invalid } from "../../lib/errors";
import { created, noContent, type HttpMeta } from "../../lib/http";
import { listParams, type Page } from "../../lib/pagination";
import { UUID_RE } from "../../lib/tenant.middleware";
import { normalizeClientInput, normalizeEmail, type NormalizedClient } from "../../lib/normalize/client";
import type { ClientFields, CountByGroupParams, CountsAnswer, CreateClientParams, FindClientByEmailParams, GetClientParams } from "./clients.contract";
import { ImportBatchMixin, type ImportBatchMethods } from "./clients.import-batch";
import { StatisticsMixin } from "./clients.statistics";
import { withProfileAttempt } from "./clients.profile-throttle";
import * as q from "./clients.queries";
import { findProfile, linkVerified } from "./clients.verified.queries";
import { identityOfRow, profileMismatchError, profileMismatches, readOnlyChanges, readOnlyError } from "./clients.verified";
import { ClientLoader } from "./clients.loader";
import { findOr404, notFound, toClient, withCategories, type Client } from "./clients.entity";
import { exportStream } from "./clients.export";
import { DuplicatesMixin, findDuplicates, possibleDuplicates } from "./clients.duplicates";
import { MergeMixin, type MergeMethods, type MergeSettings, type MergeState } from "./clients.merge";
import { DataExportMixin, type DataExportMethods } from "./clients.data-export";
import { CategoriesMixin, type CategoriesMethods } from "./clients.categories";
import { BulkMixin } from "./clients.bulk";
import { ProfilesMixin } from "./clients.profiles";
import { checkCursor, clientExists, cursorAfter, field, filtersOf, resolveGroup } from "./clients.input";
import { OPENAPI, SOURCES, fieldRules, filterRules, idRule, optional, type ListClientsParams } from "./clients.schemas";

interface ClientsSettings extends MergeSettings {
	rest: string;
	/** POST /clients answers `possibleDuplicates` (bench/clients turns it off for its baseline). */
	detectDuplicates: boolean;
}

interface ClientsState extends MergeState {
	loader: ClientLoader;
}

type ClientsThis = AppService<ClientsSettings> & DbMembers & OutboxMembers & IdempotencyMembers & ClientsState & ImportBatchMethods & MergeMethods & DataExportMethods & CategoriesMethods;

type Created = Client & { possibleDuplicates: ReturnType<typeof possibleDuplicates> };

/** The column of each normalised field (PATCH writes the changed ones). */
const COLUMN = { fullName: "full_name", email: "email", phone: "phone", gender: "gender", country: "country", birthDate: "birth_date", notes: "notes", tags: "tags" } as const satisfies Record<keyof NormalizedClient, keyof q.ClientColumns>;

/** Does the row already hold this value of the field? */
function sameValue(k: keyof NormalizedClient, v: unknown, row: q.ClientRow): boolean {
	const cur = row[COLUMN[k]];
	if (k === "tags") return JSON.stringify(cur) === JSON.stringify(v);
	return (cur ?? null) === (v ?? null);
}

const ClientsService = defineService<ClientsThis>({
	name: "clients",
	mixins: [DbMixin({ schema: "clients" }), IdempotencyMixin(), ImportBatchMixin, StatisticsMixin, OutboxMixin(), DuplicatesMixin, MergeMixin, DataExportMixin, CategoriesMixin, BulkMixin, ProfilesMixin],
	settings: {
		rest: "/",
		detectDuplicates: true,
	},

	created() {
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
			openapi: OPENAPI.create,
			async handler(ctx: Context<CreateClientParams, HttpMeta>): Promise<Created> {
				const { source: askedSource, groupId, ...fields } = ctx.params;
				if (askedSource !== undefined && ctx.meta.keyId) {
					throw invalid(field("source", "unknownField", "The field 'source' is not allowed here (the server sets it)."));
				}
				const source: q.Source = askedSource ?? "staff";
				const norm = normalizeClientInput(fields as Record<string, unknown>);
				if ("errors" in norm) throw invalid(norm.errors);
				const value = norm.value as NormalizedClient;
				const clubId = ctx.meta.clubId;
				// The groups service is asked before the transaction; its answer (or refusal) counts where it always did, after CLIENT_EXISTS.
				const group = await resolveGroup(ctx, groupId, source).then(
					id => ({ id }),
					(err: unknown) => ({ err }),
				);
				// A verified profile's e-mail: a counted attempt (clients.profile-throttle.ts).
				const client: Created = await withProfileAttempt(this.db, clubId, value.email, () => this.idempotent(ctx, async (trx, onCommit) => {
					const existing = await q.findClientByEmail(trx, clubId, value.email);
					if (existing) throw clientExists(existing.id);
					if ("err" in group) throw group.err;
					const profile = await findProfile(trx, value.email);
					const mismatches = profile ? profileMismatches(profile, value) : [];
					if (mismatches.length) throw profileMismatchError(mismatches);
					// What was sent (equal to the profile); a field left out stays empty, never the profile's value.
					const verified = !!profile;
					const row = await q.insertClient(trx, {
						club_id: clubId,
						id: crypto.randomUUID(),
						full_name: value.fullName,
						email: value.email,
						phone: value.phone,
						gender: value.gender,
						country: value.country,
						birth_date: value.birthDate,
						notes: value.notes,
						group_id: group.id,
						tags: value.tags,
						verified,
						source,
					});
					if (!row) {
						const winner = await q.findClientByEmail(trx, clubId, value.email);
						throw clientExists(winner?.id ?? null);
					}
					if (verified) await linkVerified(trx, { email: row.email, club_id: clubId, client_id: row.id });
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
			openapi: OPENAPI.list,
			async handler(ctx: Context<ListClientsParams, HttpMeta>): Promise<Page<Client>> {
				const clubId = ctx.meta.clubId;
				const filters = filtersOf(ctx.params);
				const after = checkCursor(ctx.params.cursor);
				if (!filters) return { items: [], nextCursor: null };
				const limit = ctx.params.limit ?? 50;
				const rows = await q.listPage(this.db, clubId, filters, limit + 1, after);
				const pageRows = rows.slice(0, limit);
				const last = pageRows[pageRows.length - 1];
				const nextCursor = rows.length > limit && last ? cursorAfter(last) : null;
				return { items: pageRows.map(r => toClient(r, r.categories)), nextCursor };
			},
		},

		/** The clients as CSV (same filters as the list), streamed. */
		export: {
			rest: "GET /clients/export",
			auth: "viewer",
			params: { ...filterRules },
			openapi: OPENAPI.export,
			async handler(ctx: Context<q.ListFilters, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const filters = filtersOf(ctx.params);
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
			openapi: OPENAPI.get,
			async handler(ctx: Context<GetClientParams, HttpMeta>): Promise<Client> {
				const row = UUID_RE.test(ctx.params.id) ? await this.loader.get(ctx.meta.clubId, ctx.params.id.toLowerCase()) : undefined;
				if (!row) throw notFound();
				return toClient(row, row.categories);
			},
		},

		/** Internal: the club's client with this e-mail (normalised), or null. */
		findByEmail: {
			params: { email: { type: "string", max: 1000 } },
			async handler(ctx: Context<FindClientByEmailParams, HttpMeta>): Promise<Client | null> {
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
			openapi: OPENAPI.update,
			async handler(ctx: Context<ClientFields & { id: string }, HttpMeta>): Promise<Client> {
				const clubId = ctx.meta.clubId;
				const { id, groupId, ...fields } = ctx.params;
				const current = await findOr404(this.db, id, clubId);
				const norm = normalizeClientInput(fields as Record<string, unknown>, { partial: true, defaultCountry: current.country });
				if ("errors" in norm) throw invalid(norm.errors);
				if (groupId !== undefined && groupId !== current.group_id) await resolveGroup(ctx, groupId, "staff");
				const after: Array<() => unknown> = [];
				const newEmail = norm.value.email !== undefined && norm.value.email !== current.email ? norm.value.email : undefined;
				const client: Client = await withProfileAttempt(this.db, clubId, newEmail, () => this.db.transaction(async trx => {
					const row = await q.lockClient(trx, clubId, current.id);
					if (!row) throw notFound();
					const patch = norm.value;
					const changed = (Object.keys(patch) as Array<keyof NormalizedClient>).filter(k => !sameValue(k, patch[k], row));
					if (!changed.length && (groupId === undefined || groupId === row.group_id)) return withCategories(trx, row);
					const readOnly = readOnlyChanges(row, changed);
					if (readOnly.length) throw readOnlyError(readOnly);
					const update: q.ClientColumns = {};
					for (const k of changed) (update as Record<string, unknown>)[COLUMN[k]] = patch[k];
					if (groupId !== undefined) update.group_id = groupId;
					let link = false;
					if (changed.includes("email")) {
						const profile = await findProfile(trx, patch.email!);
						if (profile) {
							// The identity the client will hold: its own, with the patch.
							const mismatches = profileMismatches(profile, { ...identityOfRow(row), ...patch });
							if (mismatches.length) throw profileMismatchError(mismatches);
							update.verified = true; // its birthDate stays what the club gave (checked), never the profile's
							link = true;
						}
					}
					let updated: q.ClientRow;
					try {
						updated = (await q.updateClient(trx, clubId, row.id, update))!;
					} catch (err: any) {
						if (err?.code === "23505" && err?.constraint === "clients_club_email_uq") {
							const other = await q.findClientByEmail(trx, clubId, patch.email!);
							throw clientExists(other?.id ?? null);
						}
						throw err;
					}
					if (link) await linkVerified(trx, { email: updated.email, club_id: clubId, client_id: updated.id });
					const out = await withCategories(trx, updated);
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
			openapi: OPENAPI.remove,
			async handler(ctx: Context<GetClientParams, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const row = await findOr404(this.db, ctx.params.id, clubId);
				// Money is never lost: the wallets close first (409 WALLET_NOT_EMPTY when one holds
				// money), so no top-up can land between this check and the erasure.
				await ctx.call("wallets.closeClientWallets", { clientId: row.id });
				let erased: number;
				try {
					await ctx.call("booking-guard.cancelClientBookings", { clientId: row.id });
					erased = await this.db.transaction(async trx => {
						await this.recordChange(trx, ctx, { action: "clients.delete", target: { type: "client", id: row.id }, event: { type: "clients.deleted", data: { clientId: row.id } } });
						return q.eraseClient(trx, clubId, row.id);
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

		/** Every tag in use with its number of clients. */
		tags: {
			rest: "GET /tags",
			auth: "viewer",
			params: {},
			openapi: OPENAPI.tags,
			async handler(ctx: Context<unknown, HttpMeta>) {
				return q.tagCounts(this.db, ctx.meta.clubId);
			},
		},

		/** Internal: number of live clients per group id. */
		countByGroup: {
			params: { groupIds: { type: "array", items: "string", optional: true, max: 1000 } },
			async handler(ctx: Context<CountByGroupParams, HttpMeta>): Promise<CountsAnswer> {
				const ids = ctx.params.groupIds?.filter(id => UUID_RE.test(id));
				if (ids && !ids.length) return {};
				return q.countByGroup(this.db, ctx.meta.clubId, ids);
			},
		},
	},
});

export default ClientsService;
