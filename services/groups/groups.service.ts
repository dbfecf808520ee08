/**
 * Client groups and their booking policies (future-bookings limit, payment methods, VAT) and
 * the club's default group; with its mixins, categories (groups.categories.ts) and product
 * access rules (groups.product-access.ts). Entities, schemas and `this`: groups.entity.ts;
 * what other services may call and hear: groups.contract.ts.
 *
 * Client counts live in `clients` (clients.countByGroup / countByCategory); this service
 * never reads its tables, and never calls it while holding a transaction. Every change is
 * announced after commit (groups.updated, groups.deleted, groups.defaultChanged,
 * categories.updated, groups.productAccessUpdated) so the booking guard can drop its caches.
 */
import { pageOf } from "../../lib/openapi";
import crypto from "node:crypto";
import { defineService } from "../../lib/service";
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { DbMixin } from "../../mixins/db.mixin";
import { OutboxMixin } from "../../mixins/outbox.mixin";
import { ConflictError, NotFoundError, invalid, rejectNulls } from "../../lib/errors";
import { created, noContent, type HttpMeta } from "../../lib/http";
import { listParams, paginate, type Page } from "../../lib/pagination";
import { PAYMENT_METHODS } from "../../lib/products";
import * as q from "./groups.queries";
import type { CountByGroupParams, CountsAnswer, MoveAllFromGroupAnswer, MoveAllFromGroupParams } from "../clients/clients.contract";
import type { AllGroupsAnswer, FindGroupByNameParams, GetGroupParams, GroupPage, GroupsDefaults, GroupsSnapshot, ListGroupsParams, SeedClubAnswer } from "./groups.contract";
import { CategoriesMixin } from "./groups.categories";
import { ProductAccessMixin } from "./groups.product-access";
import {
	ID,
	NAME,
	ONE_LINE,
	assertRemovable,
	canonicalMethods,
	categoryOf,
	groupEntity,
	groupEntry,
	groupPolicyParams,
	isUuid,
	nameTaken,
	policyOf,
	toGroup,
	type CreateGroupParams,
	type Group,
	type GroupsCtx,
	type GroupsThis,
	type UpdateGroupParams,
} from "./groups.entity";

const GroupsService = defineService<GroupsThis>({
	name: "groups",
	mixins: [DbMixin({ schema: "groups" }), OutboxMixin(), CategoriesMixin, ProductAccessMixin],
	settings: { rest: "/" },

	actions: {
		// ------------------------------------------------------------ internal

		/** Internal: gives a new club its Default and External groups (idempotent). */
		seedClub: {
			params: {},
			async handler(ctx: Context<unknown, HttpMeta>): Promise<SeedClubAnswer> {
				await q.seedClubGroups(this.db, ctx.meta.clubId, { defaultId: crypto.randomUUID(), externalId: crypto.randomUUID() }, (trx, rows) =>
					this.recordChange(trx, ctx, rows.map(r => groupEntry("groups.create", null, toGroup(r, 0)))),
				);
				return { ok: true };
			},
		},

		/** Internal: the club's default group and its system group (External). */
		defaults: {
			params: {},
			async handler(ctx: Context<unknown, HttpMeta>): Promise<GroupsDefaults> {
				const rows = await q.defaultAndSystemGroups(this.db, ctx.meta.clubId);
				const def = rows.find(r => r.is_default);
				const ext = rows.find(r => r.system);
				if (!def || !ext) throw new NotFoundError("Club groups");
				return { defaultGroupId: def.id, externalGroupId: ext.id };
			},
		},

		/** Internal: a group by name, case-insensitively (the import maps CSV group names with it). */
		findByName: {
			params: { name: { type: "string", trim: true, min: 1, max: 200, pattern: ONE_LINE } },
			async handler(ctx: Context<FindGroupByNameParams, HttpMeta>): Promise<Group | null> {
				const row: q.GroupRow | undefined = await q.findGroupByName(this.db, ctx.meta.clubId, ctx.params.name);
				if (!row) return null;
				const counts = await this.groupCounts(ctx, [row.id]);
				return toGroup(row, counts[row.id] ?? 0);
			},
		},

		/**
		 * Internal: everything the booking guard decides with, in one cheap read (no client
		 * counts): every group's policies, every category, the default and External ids.
		 * Cache it per club and drop it on groups.* / categories.updated events.
		 */
		snapshot: {
			params: {},
			async handler(ctx: Context<unknown, HttpMeta>): Promise<GroupsSnapshot> {
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
			async handler(ctx: Context<unknown, HttpMeta>): Promise<AllGroupsAnswer> {
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
			async handler(ctx: Context<ListGroupsParams, HttpMeta>): Promise<GroupPage> {
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
			async handler(ctx: Context<GetGroupParams, HttpMeta>): Promise<Group> {
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
			async handler(ctx: Context<CreateGroupParams, HttpMeta>): Promise<Group> {
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
							payment_methods: p.paymentMethods ? canonicalMethods(p.paymentMethods) : [...PAYMENT_METHODS],
							vat_rate: p.vatRate ?? null,
						});
						await this.recordChange(trx, ctx, groupEntry("groups.create", null, toGroup(r, 0)));
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
			async handler(ctx: Context<UpdateGroupParams, HttpMeta>): Promise<Group> {
				const p = ctx.params;
				const clubId = ctx.meta.clubId;
				if (!isUuid(p.id)) throw new NotFoundError("Group");
				rejectNulls(p as any, ["name", "paymentMethods"]);
				// Its client count (for the audit entry's event and the answer) is asked before the
				// transaction: no bus call while we hold the group's lock.
				const counts = await this.groupCounts(ctx, [p.id]);
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
					const entry = groupEntry("groups.update", toGroup(current, 0), toGroup(updated, counts[updated.id] ?? 0));
					if (entry.changes) await this.recordChange(trx, ctx, entry);
					return updated;
				});
				const group = toGroup(row, counts[row.id] ?? 0);
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
			async handler(ctx: Context<{ id: string; moveClientsTo?: string }, HttpMeta>) {
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
				// The rules are checked first without a lock, then again under the locks.
				const ids = moveClientsTo ? [id, moveClientsTo] : [id];
				assertRemovable(await q.findGroups(this.db, clubId, ids), id, moveClientsTo);
				// The clients service is asked before the transaction, never while we hold the groups'
				// locks. Our locks never kept it from filing a client under this group (it checks a
				// group with groups.get, a plain read), so counting and moving here are as exact as
				// under them; a client filed meanwhile is moved after commit (adoptStragglers).
				const counts = await this.groupCounts(ctx, [id]);
				const clientCount = counts[id] ?? 0;
				if (clientCount > 0) {
					if (!moveClientsTo) throw new ConflictError("GROUP_NOT_EMPTY", `The group has ${clientCount} client(s); pass moveClientsTo to move them`, { clientCount });
					await ctx.call<MoveAllFromGroupAnswer, MoveAllFromGroupParams>("clients.moveAllFromGroup", { fromGroupId: id, toGroupId: moveClientsTo });
				}
				let affected: string[];
				try {
					affected = await this.db.transaction(async (trx: Knex.Transaction) => {
						// A group that became the default meanwhile stays (its clients already moved).
						assertRemovable(await q.lockGroups(trx, clubId, ids), id, moveClientsTo);
						const products = await q.productsOfGroup(trx, clubId, id);
						await q.touchProductRules(trx, clubId, products);
						await q.deleteGroup(trx, clubId, id); // its product_access_groups rows go with it (FK cascade)
						await this.recordChange(trx, ctx, { action: "groups.delete", target: { type: "group", id }, changes: moveClientsTo ? { clientsMovedTo: [null, moveClientsTo] } : null, event: { type: "groups.deleted", data: { groupId: id } } });
						return products;
					});
				} catch (err) {
					// A target deleted meanwhile, after the clients moved into it: none may point at it.
					const strayed = clientCount > 0 && moveClientsTo && !(await q.findGroup(this.db, clubId, moveClientsTo));
					if (strayed) await this.adoptStragglers(ctx, moveClientsTo).catch(e => this.logger.error(`Group ${moveClientsTo}: its stragglers not moved yet: ${e.message}`));
					throw err;
				}
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
			async handler(ctx: Context<unknown, HttpMeta>): Promise<Group> {
				const row = await q.findDefaultGroup(this.db, ctx.meta.clubId);
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
			async handler(ctx: Context<{ groupId: string }, HttpMeta>): Promise<Group> {
				const clubId = ctx.meta.clubId;
				const groupId = ctx.params.groupId.toLowerCase();
				const notAGroup = () => invalid({ field: "groupId", type: "group", message: "The 'groupId' is not a group of this club." });
				if (!isUuid(groupId)) throw notAGroup();
				// Every group's client count (for the audit entries' events), asked before the
				// transaction, no bus call while we hold the locks: which group was the default is
				// known only under them.
				const counts = await this.groupCounts(ctx);
				const result = await this.db.transaction(async (trx: Knex.Transaction) => {
					const target = await q.findGroup(trx, clubId, groupId);
					if (!target) throw notAGroup();
					if (target.system) throw invalid({ field: "groupId", type: "systemGroup", message: "The system group External cannot be the default group." });
					const done = await q.setDefaultGroup(trx, clubId, groupId);
					if (!done) throw notAGroup(); // deleted or changed between the read and the lock
					const previous = done.previousId ? await q.findGroup(trx, clubId, done.previousId) : undefined;
					if (previous) {
						await this.recordChange(trx, ctx, [
							{ action: "groups.setDefault", target: { type: "group", id: done.row.id }, changes: { isDefault: [false, true] }, event: { type: "groups.updated", data: toGroup(done.row, counts[done.row.id] ?? 0) } },
							{ action: "groups.setDefault", target: { type: "group", id: previous.id }, changes: { isDefault: [true, false] }, event: { type: "groups.updated", data: toGroup(previous, counts[previous.id] ?? 0) } },
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
	},

	methods: {
		/** Client counts per group (all groups of the club when `ids` is omitted). */
		async groupCounts(ctx: GroupsCtx, ids?: string[]): Promise<Record<string, number>> {
			return ctx.call<CountsAnswer, CountByGroupParams>("clients.countByGroup", ids ? { groupIds: ids } : {});
		},

		async withCount(ctx: GroupsCtx, row: q.GroupRow): Promise<Group> {
			const counts = await this.groupCounts(ctx, [row.id]);
			return toGroup(row, counts[row.id] ?? 0);
		},

		/**
		 * After a group is deleted, a client assigned to it concurrently (the clients service
		 * checked the group just before our commit) would point at nothing: move any such
		 * client to the target, or to the default group.
		 */
		async adoptStragglers(ctx: GroupsCtx, groupId: string, target?: string): Promise<void> {
			const counts = await this.groupCounts(ctx, [groupId]);
			if (!(counts[groupId] > 0)) return;
			const toGroupId = target ?? (await ctx.call<GroupsDefaults, object>("groups.defaults", {})).defaultGroupId;
			const { moved } = await ctx.call<MoveAllFromGroupAnswer, MoveAllFromGroupParams>("clients.moveAllFromGroup", { fromGroupId: groupId, toGroupId });
			this.logger.warn(`Group ${groupId} of club ${ctx.meta.clubId}: moved ${moved} client(s) assigned during its deletion to ${toGroupId}`);
		},
	},
});

export default GroupsService;
