/**
 * What a check or a reservation needs to know, gathered from the services that own it: the
 * client (group, categories), the group's policy and the categories (groups.snapshot), the
 * product's access rule, the club's time zone, the wallet's balance, and the client's own
 * future bookings. Read through FactCache (booking-guard.cache.ts), which the service's
 * events invalidate on every node; `fresh` reads skip the cache (and refresh it).
 * A mixin of booking-guard.service.ts; also the type of `this` of the service and its mixins.
 */
import type { Context } from "moleculer";
import type { Knex } from "knex";
import type { HttpMeta } from "../../lib/http";
import { NotFoundError } from "../../lib/errors";
import { defineMixin, type AppService } from "../../lib/service";
import type { DbMembers } from "../../mixins/db.mixin";
import type { OutboxMembers } from "../../mixins/outbox.mixin";
import type { IdempotencyMembers } from "../../mixins/idempotency.mixin";
import type { Client, GetClientParams } from "../clients/clients.contract";
import type { Club } from "../clubs/clubs.contract";
import type { BalanceAnswer, BalanceParams } from "../wallets/wallets.contract";
import type { GroupsSnapshot, ProductRulesAnswer, ProductRulesParams } from "../groups/groups.contract";
import { FactCache } from "./booking-guard.cache";
import * as q from "./booking-guard.queries";
import type { Booking, CheckParams, ReserveParams } from "./booking-guard.contract";
import type { CategoryFacts, ClientFacts, GroupFacts, ProductRule } from "./booking-guard.rules";

/** The kinds of cached facts (the middle part of a FactCache key). */
export const KIND = { client: "client", groups: "groups", product: "product", club: "club", future: "future" } as const;
export const key = FactCache.key;

/** Every group's policy and every category of the club (groups.snapshot, without counts). */
export interface Snapshot {
	groups: Map<string, GroupFacts>;
	categories: Map<string, CategoryFacts>;
}

/** What a check decides on. */
export interface CheckFacts {
	client: ClientFacts;
	group: GroupFacts;
	snap: Snapshot;
	rule: ProductRule | null;
	/** Start times of the client's confirmed future bookings (online channel only; [] otherwise). */
	starts: number[];
	/** The club's time zone when a price's categories need the local date; UTC otherwise. */
	tz: string;
}

/** What a reservation decides on, read fresh before its transaction (or why they could not be read). */
export type ReserveFacts = { client: ClientFacts; group: GroupFacts; rule: ProductRule | null; tz: string } | { error: unknown };

export interface BookingGuardSettings {
	rest: string;
	/** How long a fact of another service may be served from memory without an event (bounds a lost event). */
	factTtlMs: number;
	/** The club's time zone changes rarely. */
	clubTtlMs: number;
}

type Ctx = Context<unknown, HttpMeta>;

export interface FactsMethods {
	clientFacts(ctx: Ctx, clientId: string, fresh?: boolean): Promise<ClientFacts>;
	groupsSnapshot(ctx: Ctx, fresh?: boolean): Promise<Snapshot>;
	groupFacts(ctx: Ctx, groupId: string, fresh?: boolean): Promise<GroupFacts>;
	productRule(ctx: Ctx, productId: string, fresh?: boolean): Promise<ProductRule | null>;
	productRules(ctx: Ctx, productIds: string[]): Promise<Map<string, ProductRule | null>>;
	clubTimezone(ctx: Ctx): Promise<string>;
	futureStarts(clubId: string, clientId: string): Promise<number[]>;
	walletBalance(ctx: Ctx, clientId: string, currency: string): Promise<number>;
	checkFacts(ctx: Ctx, p: CheckParams): Promise<CheckFacts>;
	reserveFacts(ctx: Ctx, p: ReserveParams): Promise<ReserveFacts>;
	forgetClients(p: { clubId?: string; client?: { id?: string }; clientId?: string; clientIds?: string[] }): void;
	forgetFuture(p: { clubId?: string; bookings?: Booking[] }): void;
}

/** The service's own methods (booking-guard.service.ts) and the merge mixin's. */
export interface BookingGuardMethods {
	recordBookings(trx: Knex.Transaction, ctx: Context, action: string, event: string, bookings: Booking[], seriesId?: string | null): Promise<void>;
	announce(ctx: Ctx, event: "bookings.confirmed" | "bookings.cancelled", bookings: Booking[]): Promise<void>;
	forgetMerged(clubId: string, sourceId: string, targetId: string): void;
}

/** `this` in the booking guard and its mixins. */
export type BookingGuardThis = AppService<BookingGuardSettings> & DbMembers & OutboxMembers & IdempotencyMembers & FactsMethods & BookingGuardMethods & { facts: FactCache };

export const FactsMixin = defineMixin<BookingGuardThis>({
	methods: {
		/** clients.get through the cache: { id, groupId, categories }; 404 when not the club's. */
		clientFacts(ctx: Ctx, clientId: string, fresh = false): Promise<ClientFacts> {
			const k = key(ctx.meta.clubId, KIND.client, clientId);
			const load = async (): Promise<ClientFacts> => {
				try {
					const c = await ctx.call<Client, GetClientParams>("clients.get", { id: clientId });
					return { id: c.id, groupId: c.groupId, categories: (c.categories ?? []).map(x => ({ categoryId: x.categoryId, validFrom: x.validFrom ?? null, validUntil: x.validUntil ?? null })) };
				} catch (err) {
					if ((err as { type?: string })?.type === "NOT_FOUND") throw new NotFoundError("Client");
					throw err;
				}
			};
			return fresh ? this.facts.fresh(k, load) : this.facts.get(k, load);
		},

		/**
		 * groups.snapshot through the cache: every group's policy and every category of the
		 * club in one cheap read (no client counts), dropped on any groups.* / categories event.
		 */
		groupsSnapshot(ctx: Ctx, fresh = false): Promise<Snapshot> {
			const k = key(ctx.meta.clubId, KIND.groups);
			const load = async (): Promise<Snapshot> => {
				const snap = await ctx.call<Partial<GroupsSnapshot>, object>("groups.snapshot", {});
				return {
					groups: new Map((snap.groups ?? []).map(g => [g.id, { id: g.id, maxFutureBookings: g.maxFutureBookings ?? null, paymentMethods: g.paymentMethods ?? [], vatRate: g.vatRate ?? null }])),
					categories: new Map((snap.categories ?? []).map(c => [c.id, { id: c.id, discountPercent: Number(c.discountPercent ?? 0) }])),
				};
			};
			return fresh ? this.facts.fresh(k, load) : this.facts.get(k, load);
		},

		/** A group's booking policy (a group the cached snapshot does not know yet: read again once). */
		async groupFacts(ctx: Ctx, groupId: string, fresh = false): Promise<GroupFacts> {
			let snap = await this.groupsSnapshot(ctx, fresh);
			if (!snap.groups.has(groupId) && !fresh) snap = await this.groupsSnapshot(ctx, true);
			const group = snap.groups.get(groupId);
			if (!group) throw new NotFoundError("Group");
			return group;
		},

		/** One product's access rule (null: open to all). */
		productRule(ctx: Ctx, productId: string, fresh = false): Promise<ProductRule | null> {
			const k = key(ctx.meta.clubId, KIND.product, productId);
			const load = async (): Promise<ProductRule | null> => {
				const rules = await ctx.call<ProductRulesAnswer, ProductRulesParams>("groups.productRules", { productIds: [productId] });
				return rules[productId] ?? null;
			};
			return fresh ? this.facts.fresh(k, load) : this.facts.get(k, load);
		},

		/** Many products' rules: cached ones from memory, the rest in ONE groups.productRules call. */
		async productRules(ctx: Ctx, productIds: string[]): Promise<Map<string, ProductRule | null>> {
			const clubId = ctx.meta.clubId;
			const keys = productIds.map(id => key(clubId, KIND.product, id));
			const byKey = await this.facts.getMany<ProductRule | null>(keys, async (missing: string[]) => {
				const ids = missing.map(k => k.slice(k.lastIndexOf("|") + 1));
				const rules = await ctx.call<ProductRulesAnswer, ProductRulesParams>("groups.productRules", { productIds: ids });
				return new Map(missing.map((k, i) => [k, rules[ids[i]] ?? null]));
			});
			return new Map(productIds.map((id, i) => [id, byKey.get(keys[i]) ?? null]));
		},

		/** The club's IANA time zone. */
		clubTimezone(ctx: Ctx): Promise<string> {
			return this.facts.get(
				key(ctx.meta.clubId, KIND.club),
				async () => {
					const club = await ctx.call<Partial<Club>, object>("clubs.get", {});
					return club.timezone ?? "UTC";
				},
				this.settings.clubTtlMs,
			);
		},

		/** Start times of the client's confirmed future bookings (own data; invalidated by our own events). */
		futureStarts(clubId: string, clientId: string): Promise<number[]> {
			return this.facts.get(key(clubId, KIND.future, clientId), () => q.futureStarts(this.db, clubId, clientId));
		},

		/** The balance of the client's wallet in the currency (never cached: money). */
		async walletBalance(ctx: Ctx, clientId: string, currency: string): Promise<number> {
			const wallet = await ctx.call<BalanceAnswer, BalanceParams>("wallets.balance", { clientId, currency });
			return wallet.balance;
		},

		/** Everything a check decides on, in parallel, from the cache where it can. */
		async checkFacts(ctx: Ctx, p: CheckParams): Promise<CheckFacts> {
			const online = p.channel !== "staff";
			const [client, snap, rule, starts] = await Promise.all([
				this.clientFacts(ctx, p.clientId),
				this.groupsSnapshot(ctx),
				this.productRule(ctx, p.productId),
				online ? this.futureStarts(ctx.meta.clubId, p.clientId) : Promise.resolve([] as number[]),
			]);
			const group = snap.groups.get(client.groupId) ?? (await this.groupFacts(ctx, client.groupId));
			const tz = p.price && client.categories.length ? await this.clubTimezone(ctx) : "UTC";
			return { client, group, snap, rule, starts, tz };
		},

		/**
		 * The decision that writes reads every fact fresh (and refreshes the cache with it),
		 * before the transaction: no pooled connection waits on bus calls. A failure is
		 * answered as `{ error }`, for the service to raise inside the idempotent work, so a
		 * retry with the same key still replays.
		 */
		async reserveFacts(ctx: Ctx, p: ReserveParams): Promise<ReserveFacts> {
			try {
				const client = await this.clientFacts(ctx, p.clientId, true);
				const [group, rule, tz] = await Promise.all([
					this.groupFacts(ctx, client.groupId, true),
					this.productRule(ctx, p.productId, true),
					p.recurrence ? this.clubTimezone(ctx) : Promise.resolve("UTC"),
				]);
				return { client, group, rule, tz };
			} catch (error) {
				return { error };
			}
		},

		forgetClients(p: { clubId?: string; client?: { id?: string }; clientId?: string; clientIds?: string[] }) {
			if (typeof p?.clubId !== "string") return;
			const ids = [p.client?.id, p.clientId, ...(Array.isArray(p.clientIds) ? p.clientIds : [])].filter((x): x is string => typeof x === "string");
			if (!ids.length) this.facts.invalidatePrefix(key(p.clubId, KIND.client));
			for (const id of ids) this.facts.invalidate(key(p.clubId, KIND.client, id));
		},

		forgetFuture(p: { clubId?: string; bookings?: Booking[] }) {
			if (typeof p?.clubId !== "string" || !Array.isArray(p.bookings)) return;
			for (const id of new Set(p.bookings.map(b => b?.clientId))) if (typeof id === "string") this.facts.invalidate(key(p.clubId, KIND.future, id));
		},
	},

	created() {
		this.facts = new FactCache(this.settings.factTtlMs);
	},
});
