/**
 * The groups service's contract (types only): the actions other services call and the events it
 * emits, as CONTRIBUTING.md's inter-service table lists them. Other services import this file
 * (`import type`), never the service's other files. Every action takes the club from ctx.meta.clubId.
 */
import type { PaymentMethod } from "../../lib/products";

export type ProductKind = "product" | "activity";

/** The API.md Group, with its live client count (from clients.countByGroup). */
export interface Group {
	id: string;
	name: string;
	system: boolean;
	isDefault: boolean;
	clientCount: number;
	maxFutureBookings: number | null;
	paymentMethods: PaymentMethod[];
	vatRate: number | null;
	createdAt: string;
	updatedAt: string;
}

/** A group's policies without its (costly) client count: what groups.snapshot carries. */
export type GroupPolicy = Omit<Group, "clientCount">;

/** The API.md Category, with its live client count (from clients.countByCategory). */
export interface Category {
	id: string;
	name: string;
	description: string | null;
	discountPercent: number;
	clientCount: number;
	createdAt: string;
	updatedAt: string;
}

/** A product's access rule: `product` hides it from other groups, `activity` only refuses them. */
export interface ProductRule {
	kind: ProductKind;
	groupIds: string[];
}

/** `groups.get`: the group, 404 if not the club's. */
export interface GetGroupParams {
	id: string;
}

/** `groups.list`: a page of groups, oldest first (as GET /groups). */
export interface ListGroupsParams {
	limit?: number;
	cursor?: string;
}

export interface GroupPage {
	items: Group[];
	nextCursor: string | null;
}

/** `groups.all`: every group of the club, oldest first, no paging. */
export interface AllGroupsAnswer {
	items: Group[];
}

/** `groups.defaults`: the club's default group and its system group (External). */
export interface GroupsDefaults {
	defaultGroupId: string;
	externalGroupId: string;
}

/** `groups.findByName`: the group (case-insensitive), or null. */
export interface FindGroupByNameParams {
	name: string;
}

/** `groups.getCategories`: the club's categories (only these ids when given; unknown ids left out). */
export interface GetCategoriesParams {
	ids?: string[];
}

/** `groups.productRules`: the rules of these products; a product without a rule is absent (open to all). */
export interface ProductRulesParams {
	productIds: string[];
}

export type ProductRulesAnswer = Record<string, ProductRule>;

/** `groups.snapshot`: everything the booking guard decides with, without client counts. */
export interface GroupsSnapshot {
	groups: GroupPolicy[];
	categories: Omit<Category, "clientCount">[];
	defaultGroupId: string | null;
	externalGroupId: string | null;
}

/** `groups.seedClub` (clubs, when a club is created): its Default and External groups, idempotent. */
export interface SeedClubAnswer {
	ok: true;
}

/** The events the service emits (after commit), by name. */
export interface GroupsEvents {
	"groups.updated": { clubId: string; group: Group };
	"groups.deleted": { clubId: string; groupId: string };
	"groups.defaultChanged": { clubId: string; groupId: string };
	"categories.updated": { clubId: string; category: Category } | { clubId: string; categoryId: string; deleted: true };
	"groups.productAccessUpdated": { clubId: string; productId: string };
}
