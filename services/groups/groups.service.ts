/**
 * Client groups and their booking policies (future-bookings limit, payment methods, VAT),
 * the club's default group, categories and product access rules.
 */
import crypto from "node:crypto";
import { defineService } from "../../lib/service";
import type { Context } from "moleculer";
import { DbMixin } from "../../mixins/db.mixin";
import { NotFoundError } from "../../lib/errors";
import type { HttpMeta } from "../../lib/http";
import { UUID_RE } from "../../lib/tenant.middleware";
import * as q from "./groups.queries";

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

export const toGroup = (r: q.GroupRow, clientCount = 0): Group => ({
	id: r.id,
	name: r.name,
	system: r.system,
	isDefault: r.is_default,
	clientCount,
	maxFutureBookings: r.max_future_bookings,
	paymentMethods: r.payment_methods,
	vatRate: r.vat_rate,
	createdAt: r.created_at.toISOString(),
	updatedAt: r.updated_at.toISOString(),
});

export const groupEntity = {
	type: "object",
	properties: {
		id: { type: "string" },
		name: { type: "string" },
		system: { type: "boolean" },
		isDefault: { type: "boolean" },
		clientCount: { type: "integer" },
		maxFutureBookings: { type: ["integer", "null"] },
		paymentMethods: { type: "array", items: { type: "string" } },
		vatRate: { type: ["integer", "null"] },
		createdAt: { type: "string" },
		updatedAt: { type: "string" },
	},
};

const GroupsService = defineService({
	name: "groups",
	mixins: [DbMixin({ schema: "groups" })],
	settings: { rest: "/" },

	actions: {
		/** Internal: gives a new club its Default and External groups (idempotent). */
		seedClub: {
			params: {},
			async handler(this: any, ctx: Context<unknown, HttpMeta>) {
				await q.seedClubGroups(this.db, ctx.meta.clubId, { defaultId: crypto.randomUUID(), externalId: crypto.randomUUID() });
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

		/** The club's groups with live client counts. */
		list: {
			rest: "GET /groups",
			auth: "viewer",
			params: {},
			openapi: { summary: "List groups with their client counts", tags: ["groups"], responses: { "200": { description: "All groups of the club", schema: { type: "object", properties: { items: { type: "array", items: groupEntity }, nextCursor: { type: ["string", "null"] } } } } } },
			async handler(this: any, ctx: Context<unknown, HttpMeta>) {
				const rows: q.GroupRow[] = await q.groupsOfClub(this.db, ctx.meta.clubId).orderBy([{ column: "created_at" }, { column: "name" }]);
				const counts: Record<string, number> = await ctx.call("clients.countByGroup", {});
				return { items: rows.map(r => toGroup(r, counts[r.id] ?? 0)), nextCursor: null };
			},
		},

		/** One group. */
		get: {
			rest: "GET /groups/:id",
			auth: "viewer",
			params: { id: { type: "string", min: 1, max: 64 } },
			openapi: { summary: "Get a group", tags: ["groups"], responses: { "200": { description: "The group", schema: groupEntity } } },
			async handler(this: any, ctx: Context<{ id: string }, HttpMeta>) {
				const row = UUID_RE.test(ctx.params.id) ? await q.findGroup(this.db, ctx.meta.clubId, ctx.params.id) : undefined;
				if (!row) throw new NotFoundError("Group");
				const counts: Record<string, number> = await ctx.call("clients.countByGroup", { groupIds: [row.id] });
				return toGroup(row, counts[row.id] ?? 0);
			},
		},
	},
});

export default GroupsService;
