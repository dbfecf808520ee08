/**
 * The groups service's entities and schemas: rows → API shapes, the params' validation rules,
 * the OpenAPI refs, and the type of `this` shared by the service and its mixins
 * (groups.categories.ts, groups.product-access.ts).
 */
import type { Context } from "moleculer";
import { ref } from "../../lib/openapi";
import type { AppService } from "../../lib/service";
import type { DbMembers } from "../../mixins/db.mixin";
import { diffChanges, type ChangeEntry, type OutboxMembers } from "../../mixins/outbox.mixin";
import { ConflictError, NotFoundError, invalid } from "../../lib/errors";
import type { HttpMeta } from "../../lib/http";
import { PAYMENT_METHODS, type PaymentMethod } from "../../lib/products";
import { UUID_RE } from "../../lib/tenant.middleware";
import type { Category, Group, GroupPolicy, ProductKind } from "./groups.contract";
import type * as q from "./groups.queries";

export type { Category, Group, GroupPolicy, GroupsSnapshot } from "./groups.contract";

// ---------------------------------------------------------------- entities

export interface ProductAccess {
	productId: string;
	kind: ProductKind;
	groupIds: string[];
	createdAt: string;
	updatedAt: string;
}

export interface CreateGroupParams {
	name: string;
	maxFutureBookings?: number | null;
	paymentMethods?: PaymentMethod[];
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
	kind: ProductKind;
	groupIds: string[];
}

export const policyOf = (r: q.GroupRow): GroupPolicy => ({
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

export const categoryOf = (r: q.CategoryRow): Omit<Category, "clientCount"> => ({
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

export const toAccess = (r: q.ProductRuleRow): ProductAccess => ({
	productId: r.product_id,
	kind: r.kind,
	groupIds: [...r.group_ids].sort(),
	createdAt: r.created_at.toISOString(),
	updatedAt: r.updated_at.toISOString(),
});

/** A group's audit entry; its changes leave out the client count (not a change of the group). */
export function groupEntry(action: string, before: Group | null, after: Group): ChangeEntry {
	const type = action === "groups.create" ? "groups.created" : "groups.updated";
	return { action, target: { type: "group", id: after.id }, changes: diffChanges(before, after, ["id", "clientCount", "createdAt", "updatedAt"]), event: { type, data: after } };
}

// ---------------------------------------------------------------- validation rules

/** No control characters (Postgres text cannot hold NUL; a name is one line). */
export const ONE_LINE = /^[^\u0000-\u001F\u007F]*$/;
const MULTI_LINE = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/;
export const NAME = { type: "string", trim: true, min: 1, max: 100, pattern: ONE_LINE } as const;
export const ID = { type: "string", min: 1, max: 64 } as const;

export const groupPolicyParams = {
	maxFutureBookings: { type: "number", integer: true, min: 0, max: 100_000, nullable: true, optional: true, description: "Most future bookings a client of the group may hold; null = no limit." },
	paymentMethods: {
		type: "array",
		items: { type: "enum", values: [...PAYMENT_METHODS] },
		max: 50,
		optional: true,
		description: "Online payment methods the group's clients may use (duplicates are dropped; [] = none online).",
	},
	vatRate: { type: "number", integer: true, min: 0, max: 10_000, nullable: true, optional: true, description: "VAT rate in basis points (2100 = 21 %); null = none." },
} as const;

export const categoryFieldParams = {
	description: { type: "string", trim: true, max: 1000, pattern: MULTI_LINE, nullable: true, optional: true },
	discountPercent: { type: "number", min: 0, max: 100, optional: true, description: "0..100 with at most 2 decimals (default 0)." },
} as const;

// ---------------------------------------------------------------- OpenAPI shapes

export const groupEntity = ref("Group");

export const categoryEntity = ref("Category");

export const accessEntity = ref("ProductAccess");

// ---------------------------------------------------------------- helpers

export const isUuid = (id: unknown): id is string => typeof id === "string" && UUID_RE.test(id);

/** Payment methods deduplicated, in the canonical order. */
export const canonicalMethods = (methods: readonly string[]): PaymentMethod[] => PAYMENT_METHODS.filter(m => methods.includes(m));

/** discountPercent with at most two decimals, as the exact decimal text Postgres stores. */
export function discountText(value: number, field = "discountPercent"): string {
	const hundredths = Math.round(value * 100);
	if (Math.abs(hundredths - value * 100) > 1e-6) {
		throw invalid({ field, type: "numberDecimals", message: `The '${field}' field may have at most 2 decimals.` });
	}
	return (hundredths / 100).toFixed(2);
}

/**
 * The rules a group's deletion must pass (its clients moving to `moveClientsTo`), given the rows
 * of both groups as found; throws the answer when they fail.
 */
export function assertRemovable(rows: q.GroupRow[], id: string, moveClientsTo: string | undefined): void {
	const group = rows.find(g => g.id === id);
	if (!group) throw new NotFoundError("Group");
	if (group.system) throw new ConflictError("SYSTEM_GROUP", "The system group External cannot be deleted");
	if (group.is_default) throw new ConflictError("DEFAULT_GROUP", "The default group cannot be deleted; make another group the default first");
	if (moveClientsTo && !rows.some(g => g.id === moveClientsTo)) {
		throw invalid({ field: "moveClientsTo", type: "group", message: "The 'moveClientsTo' group is not a group of this club." });
	}
}

export const nameTaken = (what: string, name: string) => new ConflictError("NAME_TAKEN", `A ${what} named '${name}' already exists in this club`, { field: "name" });

// ---------------------------------------------------------------- this

export type GroupsCtx<P = unknown> = Context<P, HttpMeta>;

/** The service's own methods (groups.service.ts) and its categories mixin's. */
export interface GroupsMethods {
	/** Client counts per group (all groups of the club when `ids` is omitted). */
	groupCounts(ctx: GroupsCtx, ids?: string[]): Promise<Record<string, number>>;
	/** Client counts per category (all categories of the club when `ids` is omitted). */
	categoryCounts(ctx: GroupsCtx, ids?: string[]): Promise<Record<string, number>>;
	withCount(ctx: GroupsCtx, row: q.GroupRow): Promise<Group>;
	adoptStragglers(ctx: GroupsCtx, groupId: string, target?: string): Promise<void>;
}

/** `this` in the groups service and its mixins. */
export type GroupsThis = AppService & DbMembers & OutboxMembers & GroupsMethods;
