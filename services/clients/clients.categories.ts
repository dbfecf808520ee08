/**
 * A client's categories (reduced prices, optionally for a period): given and taken over REST,
 * counted for the groups service, and dropped when the groups service deletes a category.
 */
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { NotFoundError, invalid, type FieldError } from "../../lib/errors";
import { noContent, type HttpMeta } from "../../lib/http";
import { isCalendarDate } from "../../lib/normalize/client";
import { defineMixin, type AppService } from "../../lib/service";
import { UUID_RE } from "../../lib/tenant.middleware";
import type { DbMembers } from "../../mixins/db.mixin";
import { diffChanges, type OutboxMembers } from "../../mixins/outbox.mixin";
import type { CountByCategoryParams, CountsAnswer } from "./clients.contract";
import { clientEntity, findOr404, notFound, withCategories, type Client } from "./clients.entity";
import { field } from "./clients.input";
import { idRule } from "./clients.schemas";
import * as q from "./clients.queries";

export interface CategoriesMethods {
	/** The audit entry of a category given or taken (none when nothing changed). */
	recordClientCategories(trx: Knex.Transaction, ctx: Context, action: string, before: Client, after: Client): Promise<void>;
}

type CategoriesThis = AppService & DbMembers & OutboxMembers & CategoriesMethods;

interface PutCategoryParams {
	id: string;
	categoryId: string;
	validFrom?: string | null;
	validUntil?: string | null;
}

export const CategoriesMixin = defineMixin<CategoriesThis>({
	actions: {
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
			async handler(ctx: Context<PutCategoryParams, HttpMeta>): Promise<Client> {
				const clubId = ctx.meta.clubId;
				const { validFrom = null, validUntil = null } = ctx.params;
				const errors: FieldError[] = [];
				if (validFrom !== null && !isCalendarDate(validFrom)) errors.push(field("validFrom", "date", "The 'validFrom' must be a real date written YYYY-MM-DD."));
				if (validUntil !== null && !isCalendarDate(validUntil)) errors.push(field("validUntil", "date", "The 'validUntil' must be a real date written YYYY-MM-DD."));
				if (!errors.length && validFrom && validUntil && validFrom > validUntil) errors.push(field("validUntil", "dateMin", "The 'validUntil' must not be before 'validFrom'."));
				const row = await findOr404(this.db, ctx.params.id, clubId);
				if (errors.length) throw invalid(errors);
				const categoryId = ctx.params.categoryId.toLowerCase();
				if (!UUID_RE.test(categoryId)) throw new NotFoundError("Category");
				const found: Array<{ id: string }> = await ctx.call("groups.getCategories", { ids: [categoryId] });
				if (!found.some(c => c.id === categoryId)) throw new NotFoundError("Category");
				const client: Client = await this.db.transaction(async trx => {
					const touched = await q.touch(trx, clubId, row.id);
					if (!touched) throw notFound();
					const before = await withCategories(trx, touched);
					await q.upsertCategory(trx, { club_id: clubId, client_id: row.id, category_id: categoryId, valid_from: validFrom, valid_until: validUntil });
					const out = await withCategories(trx, touched);
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
			async handler(ctx: Context<{ id: string; categoryId: string }, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const row = await findOr404(this.db, ctx.params.id, clubId);
				const categoryId = ctx.params.categoryId.toLowerCase();
				if (!UUID_RE.test(categoryId)) throw new NotFoundError("Client category");
				const client: Client = await this.db.transaction(async trx => {
					const before = await withCategories(trx, row);
					const removed = await q.removeCategoryLink(trx, clubId, row.id, categoryId);
					if (!removed) throw new NotFoundError("Client category");
					const touched = await q.touch(trx, clubId, row.id);
					if (!touched) throw notFound();
					const out = await withCategories(trx, touched);
					await this.recordClientCategories(trx, ctx, "clients.removeCategory", before, out);
					return out;
				});
				ctx.emit("clients.updated", { clubId, client });
				return noContent(ctx);
			},
		},

		/** Internal: number of live clients holding each category (any period). */
		countByCategory: {
			params: { categoryIds: { type: "array", items: "string", optional: true, max: 1000 } },
			async handler(ctx: Context<CountByCategoryParams, HttpMeta>): Promise<CountsAnswer> {
				const ids = ctx.params.categoryIds?.filter(id => UUID_RE.test(id));
				if (ids && !ids.length) return {};
				return q.countByCategory(this.db, ctx.meta.clubId, ids);
			},
		},
	},

	events: {
		/** A deleted category leaves no link behind (groups refuses deleting one in use; this is the safety net). */
		"categories.updated": {
			async handler(ctx: Context<{ clubId?: string; categoryId?: string; deleted?: boolean }>) {
				const { clubId, categoryId, deleted } = ctx.params ?? {};
				if (!deleted || typeof clubId !== "string" || !UUID_RE.test(clubId) || typeof categoryId !== "string" || !UUID_RE.test(categoryId)) return;
				const changed: Client[] = await this.db.transaction(async trx => {
					const gone = await q.deleteCategoryLinks(trx, clubId, categoryId);
					const out: Client[] = [];
					for (const { client_id } of gone) {
						const row = await q.touch(trx, clubId, client_id);
						if (!row) continue;
						const after = await withCategories(trx, row);
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
		async recordClientCategories(trx: Knex.Transaction, ctx: Context, action: string, before: Client, after: Client): Promise<void> {
			const changes = diffChanges({ categories: before.categories }, { categories: after.categories });
			if (changes) await this.recordChange(trx, ctx, { action, target: { type: "client", id: after.id }, changes, event: { type: "clients.updated", data: after } });
		},
	},
});
