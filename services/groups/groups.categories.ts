/**
 * The groups service's categories (a discount its clients get): the REST routes, the internal
 * `groups.getCategories`, and their client counts (clients.countByCategory). A mixin of
 * groups.service.ts, like clients.import-batch.ts is of clients.
 */
import crypto from "node:crypto";
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { pageOf } from "../../lib/openapi";
import { defineMixin } from "../../lib/service";
import { diffChanges } from "../../mixins/outbox.mixin";
import { ConflictError, NotFoundError, rejectNulls } from "../../lib/errors";
import { created, noContent, type HttpMeta } from "../../lib/http";
import { listParams, paginate, type Page } from "../../lib/pagination";
import type { CountByCategoryParams, CountsAnswer } from "../clients/clients.contract";
import * as q from "./groups.queries";
import type { Category, GetCategoriesParams } from "./groups.contract";
import {
	ID,
	NAME,
	categoryEntity,
	categoryFieldParams,
	discountText,
	isUuid,
	nameTaken,
	toCategory,
	type CreateCategoryParams,
	type GroupsCtx,
	type GroupsThis,
	type UpdateCategoryParams,
} from "./groups.entity";

/** A category's fields in its audit entries (its client count is not a change of it). */
const NOT_CHANGES = ["id", "clientCount", "createdAt", "updatedAt"];

export const CategoriesMixin = defineMixin<GroupsThis>({
	actions: {
		/** Internal: the club's categories (only the given ids when `ids` is set; unknown ids are left out). */
		getCategories: {
			params: { ids: { type: "array", items: "string", max: 1000, optional: true } },
			async handler(ctx: Context<GetCategoriesParams, HttpMeta>): Promise<Category[]> {
				const ids = ctx.params.ids ? [...new Set(ctx.params.ids.filter(isUuid).map(i => i.toLowerCase()))] : undefined;
				if (ids && ids.length === 0) return [];
				const rows: q.CategoryRow[] = await q.listCategories(this.db, ctx.meta.clubId, ids);
				if (!rows.length) return [];
				const counts = await this.categoryCounts(ctx, rows.map(r => r.id));
				return rows.map(r => toCategory(r, counts[r.id] ?? 0));
			},
		},

		/** The club's categories with their client counts, a page at a time, oldest first. */
		listCategories: {
			rest: "GET /categories",
			auth: "viewer",
			params: { ...listParams },
			openapi: {
				summary: "List categories with their client counts",
				description:
					"Paged like every list: `?limit=` 1..500 (default 50), `?cursor=` from the previous page's `nextCursor` (null on the last page). " +
					"Oldest first. A service that needs every category at once calls the internal action `groups.getCategories`.",
				tags: ["categories"],
				responses: { "200": { description: "A page of the club's categories", schema: pageOf("Category") } },
			},
			async handler(ctx: Context<{ limit?: number; cursor?: string }, HttpMeta>): Promise<Page<Category>> {
				const page: Page<q.CategoryRow> = await paginate(q.categoriesOfClub(this.db, ctx.meta.clubId), { limit: ctx.params.limit, cursor: ctx.params.cursor, order: "asc" }, (r: q.CategoryRow) => r);
				const counts: Record<string, number> = page.items.length ? await this.categoryCounts(ctx, page.items.map(r => r.id)) : {};
				return { items: page.items.map(r => toCategory(r, counts[r.id] ?? 0)), nextCursor: page.nextCursor };
			},
		},

		/** One category. */
		getCategory: {
			rest: "GET /categories/:id",
			auth: "viewer",
			params: { id: ID },
			openapi: { summary: "Get a category", tags: ["categories"], responses: { "200": { description: "The category", schema: categoryEntity } } },
			async handler(ctx: Context<{ id: string }, HttpMeta>): Promise<Category> {
				const row = isUuid(ctx.params.id) ? await q.findCategory(this.db, ctx.meta.clubId, ctx.params.id) : undefined;
				if (!row) throw new NotFoundError("Category");
				const counts = await this.categoryCounts(ctx, [row.id]);
				return toCategory(row, counts[row.id] ?? 0);
			},
		},

		/** Creates a category (a discount that clients holding it get). */
		createCategory: {
			rest: "POST /categories",
			auth: "admin",
			params: { $$strict: true, name: NAME, ...categoryFieldParams },
			openapi: {
				summary: "Create a category",
				description: "`discountPercent` 0..100 with at most 2 decimals (default 0). Names are unique per club, case-insensitively (409 `NAME_TAKEN`).",
				tags: ["categories"],
				responses: { "201": { description: "The new category", schema: categoryEntity }, "409": { description: "NAME_TAKEN" } },
			},
			async handler(ctx: Context<CreateCategoryParams, HttpMeta>): Promise<Category> {
				const p = ctx.params;
				rejectNulls(p as any, ["discountPercent"]);
				const discount = discountText(p.discountPercent ?? 0);
				let row: q.CategoryRow;
				try {
					row = await this.db.transaction(async (trx: Knex.Transaction) => {
						const r = await q.insertCategory(trx, { id: crypto.randomUUID(), club_id: ctx.meta.clubId, name: p.name, description: p.description || null, discount_percent: discount });
						await this.recordChange(trx, ctx, { action: "categories.create", target: { type: "category", id: r.id }, changes: diffChanges(null, toCategory(r, 0), NOT_CHANGES) });
						return r;
					});
				} catch (err) {
					if (q.isUniqueViolation(err, "categories_club_name_uq")) throw nameTaken("category", p.name);
					throw err;
				}
				const category = toCategory(row, 0);
				ctx.emit("categories.updated", { clubId: ctx.meta.clubId, category });
				return created(ctx, category, `/api/v1/categories/${row.id}`);
			},
		},

		/** Renames a category or changes its description or discount. */
		updateCategory: {
			rest: "PATCH /categories/:id",
			auth: "admin",
			params: { $$strict: true, id: ID, name: { ...NAME, optional: true }, ...categoryFieldParams },
			openapi: {
				summary: "Update a category",
				tags: ["categories"],
				responses: { "200": { description: "The category", schema: categoryEntity }, "409": { description: "NAME_TAKEN" } },
			},
			async handler(ctx: Context<UpdateCategoryParams, HttpMeta>): Promise<Category> {
				const p = ctx.params;
				const clubId = ctx.meta.clubId;
				if (!isUuid(p.id)) throw new NotFoundError("Category");
				rejectNulls(p as any, ["name", "discountPercent"]);
				const changes: q.CategoryChanges = {};
				if (p.name !== undefined) changes.name = p.name;
				if (p.description !== undefined) changes.description = p.description || null;
				if (p.discountPercent !== undefined) changes.discount_percent = discountText(p.discountPercent);
				let row: q.CategoryRow | undefined;
				try {
					row = !Object.keys(changes).length
						? await q.findCategory(this.db, clubId, p.id)
						: await this.db.transaction(async (trx: Knex.Transaction) => {
								const before = await q.lockCategory(trx, clubId, p.id);
								if (!before) return undefined;
								const after = await q.updateCategory(trx, clubId, p.id, changes);
								const diff = after && diffChanges(toCategory(before, 0), toCategory(after, 0), NOT_CHANGES);
								if (diff) await this.recordChange(trx, ctx, { action: "categories.update", target: { type: "category", id: after!.id }, changes: diff });
								return after;
							});
				} catch (err) {
					if (q.isUniqueViolation(err, "categories_club_name_uq")) throw nameTaken("category", p.name!);
					throw err;
				}
				if (!row) throw new NotFoundError("Category");
				const counts = await this.categoryCounts(ctx, [row.id]);
				const category = toCategory(row, counts[row.id] ?? 0);
				if (Object.keys(changes).length) ctx.emit("categories.updated", { clubId, category });
				return category;
			},
		},

		/** Deletes a category no client holds (409 CATEGORY_IN_USE otherwise). */
		removeCategory: {
			rest: "DELETE /categories/:id",
			auth: "admin",
			params: { $$strict: true, id: ID },
			openapi: {
				summary: "Delete a category",
				description: "409 `CATEGORY_IN_USE` (data: `{ clientCount }`) while clients hold it: remove it from them first.",
				tags: ["categories"],
				responses: { "204": { description: "Deleted" }, "409": { description: "CATEGORY_IN_USE" } },
			},
			async handler(ctx: Context<{ id: string }, HttpMeta>) {
				const id = ctx.params.id.toLowerCase();
				const clubId = ctx.meta.clubId;
				if (!isUuid(id) || !(await q.findCategory(this.db, clubId, id))) throw new NotFoundError("Category");
				// Counted before the transaction: no bus call while we hold a lock. Our row lock never
				// kept a client from taking the category (clients checks it with groups.getCategories,
				// a plain read), so counting under it decided nothing more than counting before it.
				const counts = await this.categoryCounts(ctx, [id]);
				const clientCount = counts[id] ?? 0;
				if (clientCount > 0) throw new ConflictError("CATEGORY_IN_USE", `${clientCount} client(s) hold this category`, { clientCount });
				await this.db.transaction(async (trx: Knex.Transaction) => {
					const row = await q.lockCategory(trx, clubId, id);
					if (!row) throw new NotFoundError("Category"); // deleted meanwhile
					await q.deleteCategory(trx, clubId, id);
					await this.recordChange(trx, ctx, { action: "categories.delete", target: { type: "category", id } });
				});
				ctx.emit("categories.updated", { clubId, categoryId: id, deleted: true });
				return noContent(ctx);
			},
		},
	},

	methods: {
		/** Client counts per category (all categories of the club when `ids` is omitted). */
		async categoryCounts(ctx: GroupsCtx, ids?: string[]): Promise<Record<string, number>> {
			return ctx.call<CountsAnswer, CountByCategoryParams>("clients.countByCategory", ids ? { categoryIds: ids } : {});
		},
	},
});
