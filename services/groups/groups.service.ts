/**
 * Client groups and their booking policies (future-bookings limit, payment methods, VAT),
 * the club's default group, categories and product access rules.
 *
 * Client counts live in `clients` (clients.countByGroup / countByCategory); this service
 * never reads its tables. Every change is announced after commit (groups.updated,
 * groups.deleted, groups.defaultChanged, categories.updated, groups.productAccessUpdated)
 * so the booking guard can drop its caches.
 */
import { pageOf, ref } from "../../lib/openapi";
import crypto from "node:crypto";
import { defineService } from "../../lib/service";
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { DbMixin } from "../../mixins/db.mixin";
import { OutboxMixin, diffChanges } from "../../mixins/outbox.mixin";
import { ConflictError, NotFoundError, invalid, rejectNulls, type FieldError } from "../../lib/errors";
import { created, noContent, type HttpMeta } from "../../lib/http";
import { UUID_RE } from "../../lib/tenant.middleware";
import { listParams, paginate, type Page } from "../../lib/pagination";
import * as q from "./groups.queries";

// ---------------------------------------------------------------- entities

export interface Group {
	id: string;
	name: string;
	system: boolean;
	isDefault: boolean;
	clientCount: number;
	maxFutureBookings: number | null;
	paymentMethods: q.PaymentMethod[];
	vatRate: number | null;
	createdAt: string;
	updatedAt: string;
}

/** A group's policies without its (costly) client count: what groups.snapshot carries. */
export type GroupPolicy = Omit<Group, "clientCount">;

export interface Category {
	id: string;
	name: string;
	description: string | null;
	discountPercent: number;
	clientCount: number;
	createdAt: string;
	updatedAt: string;
}

export interface ProductAccess {
	productId: string;
	kind: q.ProductKind;
	groupIds: string[];
	createdAt: string;
	updatedAt: string;
}

export interface GroupsSnapshot {
	groups: GroupPolicy[];
	categories: Omit<Category, "clientCount">[];
	defaultGroupId: string | null;
	externalGroupId: string | null;
}

export interface CreateGroupParams {
	name: string;
	maxFutureBookings?: number | null;
	paymentMethods?: q.PaymentMethod[];
	vatRate?: number | null;
}

export interface UpdateGroupParams extends Partial<CreateGroupParams> {
	id: string;
}

export interface CreateCategoryParams {
	name: string;
	description?: string | null;
	discountPercent?: number;
}

export interface UpdateCategoryParams extends Partial<CreateCategoryParams> {
	id: string;
}

export interface PutProductAccessParams {
	productId: string;
	kind: q.ProductKind;
	groupIds: string[];
}

const policyOf = (r: q.GroupRow): GroupPolicy => ({
	id: r.id,
	name: r.name,
	system: r.system,
	isDefault: r.is_default,
	maxFutureBookings: r.max_future_bookings,
	paymentMethods: r.payment_methods,
	vatRate: r.vat_rate,
	createdAt: r.created_at.toISOString(),
	updatedAt: r.updated_at.toISOString(),
});

export const toGroup = (r: q.GroupRow, clientCount = 0): Group => {
	const p = policyOf(r);
	return { id: p.id, name: p.name, system: p.system, isDefault: p.isDefault, clientCount, maxFutureBookings: p.maxFutureBookings, paymentMethods: p.paymentMethods, vatRate: p.vatRate, createdAt: p.createdAt, updatedAt: p.updatedAt };
};

const categoryOf = (r: q.CategoryRow): Omit<Category, "clientCount"> => ({
	id: r.id,
	name: r.name,
	description: r.description,
	discountPercent: Number(r.discount_percent),
	createdAt: r.created_at.toISOString(),
	updatedAt: r.updated_at.toISOString(),
});

export const toCategory = (r: q.CategoryRow, clientCount = 0): Category => {
	const c = categoryOf(r);
	return { id: c.id, name: c.name, description: c.description, discountPercent: c.discountPercent, clientCount, createdAt: c.createdAt, updatedAt: c.updatedAt };
};

const toAccess = (r: q.ProductRuleRow): ProductAccess => ({
	productId: r.product_id,
	kind: r.kind,
	groupIds: [...r.group_ids].sort(),
	createdAt: r.created_at.toISOString(),
	updatedAt: r.updated_at.toISOString(),
});

// ---------------------------------------------------------------- validation rules

/** No control characters (Postgres text cannot hold NUL; a name is one line). */
const ONE_LINE = /^[^\u0000-\u001F\u007F]*$/;
const MULTI_LINE = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/;
const NAME = { type: "string", trim: true, min: 1, max: 100, pattern: ONE_LINE } as const;
const ID = { type: "string", min: 1, max: 64 } as const;
/** The booking system's product id, also a path segment. */
export const PRODUCT_ID_RE = /^[A-Za-z0-9_.:-]{1,100}$/;
const PRODUCT_ID = { type: "string", min: 1, max: 100, pattern: PRODUCT_ID_RE } as const;

const groupPolicyParams = {
	maxFutureBookings: { type: "number", integer: true, min: 0, max: 100_000, nullable: true, optional: true, description: "Most future bookings a client of the group may hold; null = no limit." },
	paymentMethods: {
		type: "array",
		items: { type: "enum", values: [...q.PAYMENT_METHODS] },
		max: 50,
		optional: true,
		description: "Online payment methods the group's clients may use (duplicates are dropped; [] = none online).",
	},
	vatRate: { type: "number", integer: true, min: 0, max: 10_000, nullable: true, optional: true, description: "VAT rate in basis points (2100 = 21 %); null = none." },
} as const;

const categoryFieldParams = {
	description: { type: "string", trim: true, max: 1000, pattern: MULTI_LINE, nullable: true, optional: true },
	discountPercent: { type: "number", min: 0, max: 100, optional: true, description: "0..100 with at most 2 decimals (default 0)." },
} as const;

// ---------------------------------------------------------------- OpenAPI shapes

export const groupEntity = ref("Group");

export const categoryEntity = ref("Category");

const accessEntity = ref("ProductAccess");


// ---------------------------------------------------------------- helpers

const isUuid = (id: unknown): id is string => typeof id === "string" && UUID_RE.test(id);

/** Payment methods deduplicated, in the canonical order. */
const canonicalMethods = (methods: readonly string[]): q.PaymentMethod[] => q.PAYMENT_METHODS.filter(m => methods.includes(m));

/** discountPercent with at most two decimals, as the exact decimal text Postgres stores. */
function discountText(value: number, field = "discountPercent"): string {
	const hundredths = Math.round(value * 100);
	if (Math.abs(hundredths - value * 100) > 1e-6) {
		throw invalid({ field, type: "numberDecimals", message: `The '${field}' field may have at most 2 decimals.` });
	}
	return (hundredths / 100).toFixed(2);
}


const nameTaken = (what: string, name: string) => new ConflictError("NAME_TAKEN", `A ${what} named '${name}' already exists in this club`, { field: "name" });

const GroupsService = defineService({
	name: "groups",
	mixins: [DbMixin({ schema: "groups" }), OutboxMixin()],
	settings: { rest: "/" },

	actions: {
		// ------------------------------------------------------------ internal

		/** Internal: gives a new club its Default and External groups (idempotent). */
		seedClub: {
			params: {},
			async handler(this: any, ctx: Context<unknown, HttpMeta>) {
				await q.seedClubGroups(this.db, ctx.meta.clubId, { defaultId: crypto.randomUUID(), externalId: crypto.randomUUID() }, (trx, rows) =>
					this.recordChange(trx, ctx, rows.map(r => this.groupEntry("groups.create", null, toGroup(r, 0)))),
				);
				return { ok: true };
			},
		},

		/** Internal: the club's default group and its system group (External). */
		defaults: {
			params: {},
			async handler(this: any, ctx: Context<unknown, HttpMeta>) {
				const rows: q.GroupRow[] = await q.groupsOfClub(this.db, ctx.meta.clubId).where(b => b.where("is_default", true).orWhere("system", true));
				const def = rows.find(r => r.is_default);
				const ext = rows.find(r => r.system);
				if (!def || !ext) throw new NotFoundError("Club groups");
				return { defaultGroupId: def.id, externalGroupId: ext.id };
			},
		},

		/** Internal: a group by name, case-insensitively (the import maps CSV group names with it). */
		findByName: {
			params: { name: { type: "string", trim: true, min: 1, max: 200, pattern: ONE_LINE } },
			async handler(this: any, ctx: Context<{ name: string }, HttpMeta>): Promise<Group | null> {
				const row: q.GroupRow | undefined = await q.findGroupByName(this.db, ctx.meta.clubId, ctx.params.name);
				if (!row) return null;
				const counts = await this.groupCounts(ctx, [row.id]);
				return toGroup(row, counts[row.id] ?? 0);
			},
		},

		/** Internal: the club's categories (only the given ids when `ids` is set; unknown ids are left out). */
		getCategories: {
			params: { ids: { type: "array", items: "string", max: 1000, optional: true } },
			async handler(this: any, ctx: Context<{ ids?: string[] }, HttpMeta>): Promise<Category[]> {
				const ids = ctx.params.ids ? [...new Set(ctx.params.ids.filter(isUuid).map(i => i.toLowerCase()))] : undefined;
				if (ids && ids.length === 0) return [];
				const rows: q.CategoryRow[] = await q.listCategories(this.db, ctx.meta.clubId, ids);
				if (!rows.length) return [];
				const counts = await this.categoryCounts(ctx, rows.map(r => r.id));
				return rows.map(r => toCategory(r, counts[r.id] ?? 0));
			},
		},

		/** Internal: access rules of the given products; products without a rule are absent (open to all). */
		productRules: {
			params: { productIds: { type: "array", items: "string", max: 1000 } },
			async handler(this: any, ctx: Context<{ productIds: string[] }, HttpMeta>): Promise<Record<string, { kind: q.ProductKind; groupIds: string[] }>> {
				const ids = [...new Set(ctx.params.productIds.filter(p => PRODUCT_ID_RE.test(p)))];
				const out: Record<string, { kind: q.ProductKind; groupIds: string[] }> = {};
				if (!ids.length) return out;
				for (const r of await q.productRules(this.db, ctx.meta.clubId, ids)) out[r.product_id] = { kind: r.kind, groupIds: [...r.group_ids].sort() };
				return out;
			},
		},

		/**
		 * Internal: everything the booking guard decides with, in one cheap read (no client
		 * counts): every group's policies, every category, the default and External ids.
		 * Cache it per club and drop it on groups.* / categories.updated events.
		 */
		snapshot: {
			params: {},
			async handler(this: any, ctx: Context<unknown, HttpMeta>): Promise<GroupsSnapshot> {
				const [groups, categories] = await Promise.all([q.listGroups(this.db, ctx.meta.clubId), q.listCategories(this.db, ctx.meta.clubId)]);
				return {
					groups: groups.map(policyOf),
					categories: categories.map(categoryOf),
					defaultGroupId: groups.find(g => g.is_default)?.id ?? null,
					externalGroupId: groups.find(g => g.system)?.id ?? null,
				};
			},
		},

		// ------------------------------------------------------------ groups

		/**
		 * Internal: EVERY group of the club with its client count, oldest first, in one answer
		 * (`{ items }`). For services that need the whole set (the clients export maps group
		 * ids to names); `groups.list` is the paged list of the REST API.
		 */
		all: {
			params: {},
			async handler(this: any, ctx: Context<unknown, HttpMeta>): Promise<{ items: Group[] }> {
				const rows = await q.listGroups(this.db, ctx.meta.clubId);
				const counts = await this.groupCounts(ctx);
				return { items: rows.map(r => toGroup(r, counts[r.id] ?? 0)) };
			},
		},

		/** The club's groups with live client counts, a page at a time, oldest first. */
		list: {
			rest: "GET /groups",
			auth: "viewer",
			params: { ...listParams },
			openapi: {
				summary: "List groups with their client counts",
				description:
					"Paged like every list: `?limit=` 1..500 (default 50), `?cursor=` from the previous page's `nextCursor` (null on the last page). " +
					"Oldest first, so a club's Default and External groups lead. On the bus, `groups.list` answers the same pages; a service that needs every group at once calls the internal action `groups.all` (`{ items }`, no paging).",
				tags: ["groups"],
				responses: { "200": { description: "A page of the club's groups", schema: pageOf("Group") } },
			},
			async handler(this: any, ctx: Context<{ limit?: number; cursor?: string }, HttpMeta>): Promise<Page<Group>> {
				const page: Page<q.GroupRow> = await paginate(q.groupsOfClub(this.db, ctx.meta.clubId), { limit: ctx.params.limit, cursor: ctx.params.cursor, order: "asc" }, (r: q.GroupRow) => r);
				const counts: Record<string, number> = page.items.length ? await this.groupCounts(ctx, page.items.map(r => r.id)) : {};
				return { items: page.items.map(r => toGroup(r, counts[r.id] ?? 0)), nextCursor: page.nextCursor };
			},
		},

		/** One group. */
		get: {
			rest: "GET /groups/:id",
			auth: "viewer",
			params: { id: ID },
			openapi: { summary: "Get a group", tags: ["groups"], responses: { "200": { description: "The group", schema: groupEntity } } },
			async handler(this: any, ctx: Context<{ id: string }, HttpMeta>): Promise<Group> {
				const row = isUuid(ctx.params.id) ? await q.findGroup(this.db, ctx.meta.clubId, ctx.params.id) : undefined;
				if (!row) throw new NotFoundError("Group");
				return this.withCount(ctx, row);
			},
		},

		/** Creates a group; without policies it has no booking limit, every payment method and no VAT rate. */
		create: {
			rest: "POST /groups",
			auth: "admin",
			params: { $$strict: true, name: NAME, ...groupPolicyParams },
			openapi: {
				summary: "Create a group",
				description: "Omitted policies: `maxFutureBookings` null (no limit), every payment method, `vatRate` null. Names are unique per club, case-insensitively (409 `NAME_TAKEN`).",
				tags: ["groups"],
				responses: { "201": { description: "The new group", schema: groupEntity }, "409": { description: "NAME_TAKEN" } },
			},
			async handler(this: any, ctx: Context<CreateGroupParams, HttpMeta>): Promise<Group> {
				const p = ctx.params;
				rejectNulls(p as any, ["paymentMethods"]);
				let row: q.GroupRow;
				try {
					row = await this.db.transaction(async (trx: Knex.Transaction) => {
						const r = await q.insertGroup(trx, {
							id: crypto.randomUUID(),
							club_id: ctx.meta.clubId,
							name: p.name,
							max_future_bookings: p.maxFutureBookings ?? null,
							payment_methods: p.paymentMethods ? canonicalMethods(p.paymentMethods) : [...q.PAYMENT_METHODS],
							vat_rate: p.vatRate ?? null,
						});
						await this.recordChange(trx, ctx, this.groupEntry("groups.create", null, toGroup(r, 0)));
						return r;
					});
				} catch (err) {
					if (q.isUniqueViolation(err, "groups_club_name_uq")) throw nameTaken("group", p.name);
					throw err;
				}
				const group = toGroup(row, 0);
				ctx.emit("groups.updated", { clubId: ctx.meta.clubId, group });
				return created(ctx, group, `/api/v1/groups/${row.id}`);
			},
		},

		/** Renames a group or changes its policies (External: policies only). */
		update: {
			rest: "PATCH /groups/:id",
			auth: "admin",
			params: { $$strict: true, id: ID, name: { ...NAME, optional: true }, ...groupPolicyParams },
			openapi: {
				summary: "Update a group's name or policies",
				description: "The system group External cannot be renamed (409 `SYSTEM_GROUP`); its policies are editable. 409 `NAME_TAKEN` when another group has the name.",
				tags: ["groups"],
				responses: { "200": { description: "The group", schema: groupEntity }, "409": { description: "NAME_TAKEN or SYSTEM_GROUP" } },
			},
			async handler(this: any, ctx: Context<UpdateGroupParams, HttpMeta>): Promise<Group> {
				const p = ctx.params;
				const clubId = ctx.meta.clubId;
				if (!isUuid(p.id)) throw new NotFoundError("Group");
				rejectNulls(p as any, ["name", "paymentMethods"]);
				const row: q.GroupRow = await this.db.transaction(async (trx: Knex.Transaction) => {
					const [current] = await q.lockGroups(trx, clubId, [p.id]);
					if (!current) throw new NotFoundError("Group");
					const changes: q.GroupChanges = {};
					if (p.name !== undefined && p.name !== current.name) {
						if (current.system) throw new ConflictError("SYSTEM_GROUP", "The system group External cannot be renamed");
						changes.name = p.name;
					}
					if (p.maxFutureBookings !== undefined) changes.max_future_bookings = p.maxFutureBookings;
					if (p.paymentMethods !== undefined) changes.payment_methods = canonicalMethods(p.paymentMethods);
					if (p.vatRate !== undefined) changes.vat_rate = p.vatRate;
					if (!Object.keys(changes).length) return current;
					let updated: q.GroupRow;
					try {
						updated = (await q.updateGroup(trx, clubId, p.id, changes))!;
					} catch (err) {
						if (q.isUniqueViolation(err, "groups_club_name_uq")) throw nameTaken("group", p.name!);
						throw err;
					}
					const entry = this.groupEntry("groups.update", toGroup(current, 0), await this.withCount(ctx, updated));
					if (entry.changes) await this.recordChange(trx, ctx, entry);
					return updated;
				});
				const group: Group = await this.withCount(ctx, row);
				ctx.emit("groups.updated", { clubId, group });
				return group;
			},
		},

		/** Deletes a group; its clients move to `moveClientsTo` (required when it has clients). */
		remove: {
			rest: "DELETE /groups/:id",
			auth: "admin",
			params: { $$strict: true, id: ID, moveClientsTo: { type: "string", min: 1, max: 64, optional: true, description: "Another group of the club that receives the deleted group's clients." } },
			openapi: {
				summary: "Delete a group",
				description:
					"409 `SYSTEM_GROUP` for External, 409 `DEFAULT_GROUP` for the default group (change the default first), 409 `GROUP_NOT_EMPTY` (data: `{ clientCount }`) when it has clients and no `moveClientsTo`. " +
					"`moveClientsTo` must be another group of this club, else 422 on that field. " +
					"The group is removed from every product access rule (a rule left without groups stays: nobody may book, or see, that product until the rule is changed).",
				tags: ["groups"],
				responses: { "204": { description: "Deleted" }, "409": { description: "SYSTEM_GROUP, DEFAULT_GROUP or GROUP_NOT_EMPTY" } },
			},
			async handler(this: any, ctx: Context<{ id: string; moveClientsTo?: string }, HttpMeta>) {
				// UUIDs in canonical (lower) case: other services key their answers by our ids.
				const id = ctx.params.id.toLowerCase();
				const moveClientsTo = ctx.params.moveClientsTo?.toLowerCase();
				const clubId = ctx.meta.clubId;
				if (!isUuid(id)) throw new NotFoundError("Group");
				if (moveClientsTo !== undefined && (!isUuid(moveClientsTo) || moveClientsTo === id)) {
					// Checked again under lock below; this answers a malformed or same target before any lock.
					const same = isUuid(moveClientsTo);
					throw invalid({ field: "moveClientsTo", type: same ? "sameGroup" : "group", message: same ? "The 'moveClientsTo' group must be another group." : "The 'moveClientsTo' group is not a group of this club." });
				}
				const affected: string[] = await this.db.transaction(async (trx: Knex.Transaction) => {
					const locked = await q.lockGroups(trx, clubId, moveClientsTo ? [id, moveClientsTo] : [id]);
					const group = locked.find(g => g.id === id);
					if (!group) throw new NotFoundError("Group");
					if (group.system) throw new ConflictError("SYSTEM_GROUP", "The system group External cannot be deleted");
					if (group.is_default) throw new ConflictError("DEFAULT_GROUP", "The default group cannot be deleted; make another group the default first");
					if (moveClientsTo && !locked.some(g => g.id === moveClientsTo)) {
						throw invalid({ field: "moveClientsTo", type: "group", message: "The 'moveClientsTo' group is not a group of this club." });
					}
					const counts: Record<string, number> = await ctx.call("clients.countByGroup", { groupIds: [id] });
					const clientCount = counts[id] ?? 0;
					if (clientCount > 0) {
						if (!moveClientsTo) throw new ConflictError("GROUP_NOT_EMPTY", `The group has ${clientCount} client(s); pass moveClientsTo to move them`, { clientCount });
						await ctx.call("clients.moveAllFromGroup", { fromGroupId: id, toGroupId: moveClientsTo });
					}
					const products = await q.productsOfGroup(trx, clubId, id);
					await q.touchProductRules(trx, clubId, products);
					await q.deleteGroup(trx, clubId, id); // its product_access_groups rows go with it (FK cascade)
					await this.recordChange(trx, ctx, { action: "groups.delete", target: { type: "group", id }, changes: moveClientsTo ? { clientsMovedTo: [null, moveClientsTo] } : null, event: { type: "groups.deleted", data: { groupId: id } } });
					return products;
				});
				await this.adoptStragglers(ctx, id, moveClientsTo);
				ctx.emit("groups.deleted", { clubId, groupId: id });
				for (const productId of affected) ctx.emit("groups.productAccessUpdated", { clubId, productId });
				return noContent(ctx);
			},
		},

		// ------------------------------------------------------------ settings

		/** The club's default group (the group staff-created and imported clients get). */
		getDefaultGroup: {
			rest: "GET /settings/default-group",
			auth: "viewer",
			params: {},
			openapi: { summary: "The club's default group", tags: ["settings"], responses: { "200": { description: "The default group", schema: groupEntity } } },
			async handler(this: any, ctx: Context<unknown, HttpMeta>): Promise<Group> {
				const row: q.GroupRow | undefined = await q.groupsOfClub(this.db, ctx.meta.clubId).where({ is_default: true }).first();
				if (!row) throw new NotFoundError("Default group");
				return this.withCount(ctx, row);
			},
		},

		/** Makes another group the club's default, atomically (exactly one default per club). */
		setDefaultGroup: {
			rest: "PUT /settings/default-group",
			auth: "admin",
			params: { $$strict: true, groupId: ID },
			openapi: {
				summary: "Change the club's default group",
				description: "Answers the new default group. `groupId` must be a group of this club other than the system group External, else 422 on `groupId`.",
				tags: ["settings"],
				responses: { "200": { description: "The new default group", schema: groupEntity } },
			},
			async handler(this: any, ctx: Context<{ groupId: string }, HttpMeta>): Promise<Group> {
				const clubId = ctx.meta.clubId;
				const groupId = ctx.params.groupId.toLowerCase();
				const notAGroup = () => invalid({ field: "groupId", type: "group", message: "The 'groupId' is not a group of this club." });
				if (!isUuid(groupId)) throw notAGroup();
				const result = await this.db.transaction(async (trx: Knex.Transaction) => {
					const target = await q.findGroup(trx, clubId, groupId);
					if (!target) throw notAGroup();
					if (target.system) throw invalid({ field: "groupId", type: "systemGroup", message: "The system group External cannot be the default group." });
					const done = await q.setDefaultGroup(trx, clubId, groupId);
					if (!done) throw notAGroup(); // deleted or changed between the read and the lock
					const previous = done.previousId ? await q.findGroup(trx, clubId, done.previousId) : undefined;
					if (previous) {
						await this.recordChange(trx, ctx, [
							{ action: "groups.setDefault", target: { type: "group", id: done.row.id }, changes: { isDefault: [false, true] }, event: { type: "groups.updated", data: await this.withCount(ctx, done.row) } },
							{ action: "groups.setDefault", target: { type: "group", id: previous.id }, changes: { isDefault: [true, false] }, event: { type: "groups.updated", data: await this.withCount(ctx, previous) } },
						]);
					}
					return { row: done.row, previous };
				});
				const group: Group = await this.withCount(ctx, result.row);
				if (result.previous) {
					ctx.emit("groups.defaultChanged", { clubId, groupId: group.id });
					ctx.emit("groups.updated", { clubId, group });
					ctx.emit("groups.updated", { clubId, group: await this.withCount(ctx, result.previous) });
				}
				return group;
			},
		},

		// ------------------------------------------------------------ categories

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
			async handler(this: any, ctx: Context<{ limit?: number; cursor?: string }, HttpMeta>): Promise<Page<Category>> {
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
			async handler(this: any, ctx: Context<{ id: string }, HttpMeta>): Promise<Category> {
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
			async handler(this: any, ctx: Context<CreateCategoryParams, HttpMeta>): Promise<Category> {
				const p = ctx.params;
				rejectNulls(p as any, ["discountPercent"]);
				const discount = discountText(p.discountPercent ?? 0);
				let row: q.CategoryRow;
				try {
					row = await this.db.transaction(async (trx: Knex.Transaction) => {
						const r = await q.insertCategory(trx, { id: crypto.randomUUID(), club_id: ctx.meta.clubId, name: p.name, description: p.description || null, discount_percent: discount });
						await this.recordChange(trx, ctx, { action: "categories.create", target: { type: "category", id: r.id }, changes: diffChanges(null, toCategory(r, 0), ["id", "clientCount", "createdAt", "updatedAt"]) });
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
			async handler(this: any, ctx: Context<UpdateCategoryParams, HttpMeta>): Promise<Category> {
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
								const diff = after && diffChanges(toCategory(before, 0), toCategory(after, 0), ["id", "clientCount", "createdAt", "updatedAt"]);
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
			async handler(this: any, ctx: Context<{ id: string }, HttpMeta>) {
				const id = ctx.params.id.toLowerCase();
				const clubId = ctx.meta.clubId;
				if (!isUuid(id)) throw new NotFoundError("Category");
				await this.db.transaction(async (trx: Knex.Transaction) => {
					const row = await q.lockCategory(trx, clubId, id);
					if (!row) throw new NotFoundError("Category");
					const counts: Record<string, number> = await ctx.call("clients.countByCategory", { categoryIds: [id] });
					const clientCount = counts[id] ?? 0;
					if (clientCount > 0) throw new ConflictError("CATEGORY_IN_USE", `${clientCount} client(s) hold this category`, { clientCount });
					await q.deleteCategory(trx, clubId, id);
					await this.recordChange(trx, ctx, { action: "categories.delete", target: { type: "category", id } });
				});
				ctx.emit("categories.updated", { clubId, categoryId: id, deleted: true });
				return noContent(ctx);
			},
		},

		// ------------------------------------------------------------ product access

		/** Sets which groups may see (`product`) or book (`activity`) a product of the booking system. */
		putProductAccess: {
			rest: "PUT /products/:productId/access",
			auth: "admin",
			params: {
				$$strict: true,
				productId: PRODUCT_ID,
				kind: { type: "enum", values: [...q.PRODUCT_KINDS], description: "`product`: only these groups see and book it; `activity`: everyone sees it, only these groups book it." },
				groupIds: { type: "array", items: { type: "string", min: 1, max: 64 }, max: 1000, description: "Groups of this club (duplicates are dropped). [] = no group: nobody may book it (nor see it, for `product`)." },
			},
			openapi: {
				summary: "Set a product's access rule",
				description: "Creates or replaces the rule (200 either way). Ids in `groupIds` that are not groups of this club: 422 with one entry per id (`groupIds[i]`).",
				tags: ["products"],
				responses: { "200": { description: "The rule", schema: accessEntity } },
			},
			async handler(this: any, ctx: Context<PutProductAccessParams, HttpMeta>): Promise<ProductAccess> {
				const { productId, kind } = ctx.params;
				const clubId = ctx.meta.clubId;
				const groupIds = [...new Set(ctx.params.groupIds.map(g => g.toLowerCase()))];
				const unknown = (known: Set<string>): FieldError[] =>
					ctx.params.groupIds
						.map((g, i) => ({ g, i }))
						.filter(({ g }) => !known.has(g.toLowerCase()))
						.map(({ g, i }) => ({ field: `groupIds[${i}]`, type: "group", message: `'${g.slice(0, 64)}' is not a group of this club.` }));
				const uuids = groupIds.filter(isUuid);
				const rule: q.ProductRuleRow = await this.db.transaction(async (trx: Knex.Transaction) => {
					// FOR SHARE, in id order like every other group lock: a group cannot be deleted between this check and the insert.
					const found: string[] = uuids.length ? await q.groupsOfClub(trx, clubId).whereIn("id", uuids).orderBy("id").forShare().pluck("id") : [];
					const errors = unknown(new Set(found));
					if (errors.length) throw invalid(errors);
					const [before] = await q.productRules(trx, clubId, [productId]);
					try {
						await q.putProductRule(trx, clubId, productId, kind, groupIds);
					} catch (err) {
						if (q.isForeignKeyViolation(err)) throw invalid({ field: "groupIds", type: "group", message: "A group in 'groupIds' was deleted meanwhile." });
						throw err;
					}
					const [r] = await q.productRules(trx, clubId, [productId]);
					await this.recordChange(trx, ctx, { action: "products.putAccess", target: { type: "product", id: productId }, changes: diffChanges(before ? toAccess(before) : null, toAccess(r), ["productId", "createdAt", "updatedAt"]) ?? { kind: [kind, kind] } });
					return r;
				});
				ctx.emit("groups.productAccessUpdated", { clubId, productId });
				return toAccess(rule);
			},
		},

		/** A product's access rule (404 when it has none: open to all). */
		getProductAccess: {
			rest: "GET /products/:productId/access",
			auth: "viewer",
			params: { productId: PRODUCT_ID },
			openapi: {
				summary: "Get a product's access rule",
				description: "404 when the product has no rule (open to every group).",
				tags: ["products"],
				responses: { "200": { description: "The rule", schema: accessEntity } },
			},
			async handler(this: any, ctx: Context<{ productId: string }, HttpMeta>): Promise<ProductAccess> {
				const [rule] = await q.productRules(this.db, ctx.meta.clubId, [ctx.params.productId]);
				if (!rule) throw new NotFoundError("Product access rule");
				return toAccess(rule);
			},
		},

		/** Removes a product's access rule: it is open to every group again. */
		removeProductAccess: {
			rest: "DELETE /products/:productId/access",
			auth: "admin",
			params: { $$strict: true, productId: PRODUCT_ID },
			openapi: {
				summary: "Remove a product's access rule (open to all again)",
				description: "Idempotent: 204 also when the product had no rule.",
				tags: ["products"],
				responses: { "204": { description: "The product is open to every group" } },
			},
			async handler(this: any, ctx: Context<{ productId: string }, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const deleted = await this.db.transaction(async (trx: Knex.Transaction) => {
					const n = await q.deleteProductRule(trx, clubId, ctx.params.productId);
					if (n) await this.recordChange(trx, ctx, { action: "products.removeAccess", target: { type: "product", id: ctx.params.productId } });
					return n;
				});
				if (deleted) ctx.emit("groups.productAccessUpdated", { clubId, productId: ctx.params.productId });
				return noContent(ctx);
			},
		},
	},

	methods: {
		/** Client counts per group (all groups of the club when `ids` is omitted). */
		async groupCounts(ctx: Context<unknown, HttpMeta>, ids?: string[]): Promise<Record<string, number>> {
			return ctx.call("clients.countByGroup", ids ? { groupIds: ids } : {});
		},

		/** Client counts per category (all categories of the club when `ids` is omitted). */
		async categoryCounts(ctx: Context<unknown, HttpMeta>, ids?: string[]): Promise<Record<string, number>> {
			return ctx.call("clients.countByCategory", ids ? { categoryIds: ids } : {});
		},

		/** A group's audit entry; its changes leave out the client count (not a change of the group). */
		groupEntry(this: any, action: string, before: Group | null, after: Group) {
			const type = action === "groups.create" ? "groups.created" : "groups.updated";
			return { action, target: { type: "group", id: after.id }, changes: diffChanges(before, after, ["id", "clientCount", "createdAt", "updatedAt"]), event: { type, data: after } };
		},

		async withCount(this: any, ctx: Context<unknown, HttpMeta>, row: q.GroupRow): Promise<Group> {
			const counts = await this.groupCounts(ctx, [row.id]);
			return toGroup(row, counts[row.id] ?? 0);
		},

		/**
		 * After a group is deleted, a client assigned to it concurrently (the clients service
		 * checked the group just before our commit) would point at nothing: move any such
		 * client to the target, or to the default group.
		 */
		async adoptStragglers(this: any, ctx: Context<unknown, HttpMeta>, groupId: string, target?: string): Promise<void> {
			const counts: Record<string, number> = await ctx.call("clients.countByGroup", { groupIds: [groupId] });
			if (!(counts[groupId] > 0)) return;
			const toGroupId = target ?? (await ctx.call<{ defaultGroupId: string }, object>("groups.defaults", {})).defaultGroupId;
			const { moved } = await ctx.call<{ moved: number }, object>("clients.moveAllFromGroup", { fromGroupId: groupId, toGroupId });
			this.logger.warn(`Group ${groupId} of club ${ctx.meta.clubId}: moved ${moved} client(s) assigned during its deletion to ${toGroupId}`);
		},
	},
});

export default GroupsService;
