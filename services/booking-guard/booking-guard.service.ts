/**
 * The booking guard: the booking system's one call before every booking (`check`), the
 * atomic reservation of single bookings and series (`reserve`) under a per-client lock held
 * in Postgres (exact on any number of nodes), cancellation, the client's booking history
 * and product visibility.
 *
 * Facts owned by other services (client → group and categories, group policy, categories,
 * product rules, the club's time zone) are read through FactCache, invalidated by their
 * owners' events on every booking-guard node; see booking-guard.cache.ts for why a cached
 * fact cannot outlive a change. `reserve` (the decision that writes) reads them fresh.
 *
 * Decisions documented in the OpenAPI notes:
 *  - categories' validFrom/validUntil are compared with the booking start's local date in
 *    the club's time zone (inclusive both ends); series repeat at the same wall-clock time;
 *  - STARTS_IN_PAST and INSUFFICIENT_WALLET_BALANCE apply to the staff channel too (a fact,
 *    not a group rule); the staff channel skips FUTURE_BOOKING_LIMIT and
 *    PAYMENT_METHOD_NOT_ALLOWED only;
 *  - cancelling a cancelled booking answers the booking again (idempotent, no event);
 *  - cancelling a series answers `{ bookings }`: the occurrences cancelled by this call.
 */
import { pageOf, ref } from "../../lib/openapi";
import crypto from "node:crypto";
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { defineService } from "../../lib/service";
import { DbMixin } from "../../mixins/db.mixin";
import { OutboxMixin } from "../../mixins/outbox.mixin";
import { NodeEventsMixin } from "../../mixins/node-events.mixin";
import { IdempotencyMixin, type OnCommit } from "../../mixins/idempotency.mixin";
import { ConflictError, NotFoundError, invalid, type FieldError } from "../../lib/errors";
import { created, type HttpMeta } from "../../lib/http";
import { decodeCursor, listParams, paginate } from "../../lib/pagination";
import { UUID_RE } from "../../lib/tenant.middleware";
import { FactCache } from "./booking-guard.cache";
import { BookingGuardMergeMixin } from "./booking-guard.merge";
import * as q from "./booking-guard.queries";
import {
	MAX_OCCURRENCES,
	PAYMENT_METHODS,
	PRODUCT_ID_RE,
	accessReasons,
	computePrice,
	countAfter,
	limitReason,
	localDate,
	occurrences,
	parseInstant,
	pastReason,
	reason,
	type Channel,
	type CategoryFacts,
	type ClientFacts,
	type GroupFacts,
	type Occurrence,
	type Price,
	type ProductRule,
	type Reason,
	type Recurrence,
} from "./booking-guard.rules";

export interface Booking {
	id: string;
	clientId: string;
	productId: string;
	startsAt: string;
	endsAt: string;
	status: "confirmed" | "cancelled";
	seriesId: string | null;
	reference: string | null;
	channel: Channel;
	createdAt: string;
	cancelledAt: string | null;
}

export interface CheckParams {
	clientId: string;
	productId: string;
	startsAt: string;
	endsAt?: string;
	channel: Channel;
	price?: { amount: number; currency: string };
	paymentMethod?: string;
}

export interface CheckResult {
	allowed: boolean;
	visible: boolean;
	reasons: Reason[];
	paymentMethods: string[];
	price?: Price;
}

export interface ReserveParams {
	clientId: string;
	productId: string;
	startsAt: string;
	endsAt: string;
	channel: Channel;
	reference?: string;
	recurrence?: Recurrence;
	idempotencyKey?: string;
}

export const toBooking = (r: q.BookingRow): Booking => ({
	id: r.id,
	clientId: r.client_id,
	productId: r.product_id,
	startsAt: r.starts_at.toISOString(),
	endsAt: r.ends_at.toISOString(),
	status: r.status,
	seriesId: r.series_id,
	reference: r.reference,
	channel: r.channel,
	createdAt: r.created_at.toISOString(),
	cancelledAt: r.cancelled_at ? r.cancelled_at.toISOString() : null,
});

const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

const reasonEntity = ref("BookingReason");
const priceEntity = ref("BookingPrice");
const bookingEntity = ref("Booking");
const bookingsEntity = ref("BookingList");

const idParam = { type: "string", min: 1, max: 64 } as const;
const productIdParam = { type: "string", min: 1, max: 100, pattern: PRODUCT_ID_RE } as const;
const timeParam = { type: "string", min: 1, max: 64 } as const;
const channelParam = { type: "enum", values: ["online", "staff"], optional: true, default: "online" } as const;

const KIND = { client: "client", groups: "groups", product: "product", club: "club", future: "future" } as const;

interface Snapshot {
	groups: Map<string, GroupFacts>;
	categories: Map<string, CategoryFacts>;
}
const key = FactCache.key;

/** 422 for times that are not ISO instants or run backwards; the parsed times otherwise. */
function parseTimes(startsAt: string, endsAt: string | undefined): { start: number; end: number | undefined } {
	const errors: FieldError[] = [];
	const start = parseInstant(startsAt);
	if (start === undefined) errors.push({ field: "startsAt", type: "date", message: "The 'startsAt' must be an ISO 8601 time with an offset (e.g. 2026-11-22T18:00:00.000Z)." });
	let end: number | undefined;
	if (endsAt !== undefined) {
		end = parseInstant(endsAt);
		if (end === undefined) errors.push({ field: "endsAt", type: "date", message: "The 'endsAt' must be an ISO 8601 time with an offset." });
		else if (start !== undefined && end <= start) errors.push({ field: "endsAt", type: "dateMin", message: "The 'endsAt' must be after 'startsAt'." });
	}
	if (errors.length) throw invalid(errors);
	return { start: start!, end };
}

const BookingGuardService = defineService({
	name: "booking-guard",
	mixins: [DbMixin({ schema: "booking_guard" }), IdempotencyMixin(), BookingGuardMergeMixin, NodeEventsMixin(), OutboxMixin()],
	settings: {
		rest: "/",
		/** How long a fact of another service may be served from memory without an event (bounds a lost event). */
		factTtlMs: 2000,
		/** The club's time zone changes rarely. */
		clubTtlMs: 60_000,
	},

	actions: {
		/** May this client book this product at this time, through this channel, paying this way? At what price? */
		check: {
			rest: "POST /booking-guard/check",
			auth: "staff",
			params: {
				$$strict: true,
				clientId: idParam,
				productId: productIdParam,
				startsAt: timeParam,
				endsAt: { ...timeParam, optional: true },
				channel: channelParam,
				price: {
					type: "object",
					optional: true,
					strict: true,
					props: {
						amount: { type: "number", integer: true, min: 0, max: Number.MAX_SAFE_INTEGER },
						currency: { type: "string", length: 3 },
					},
				},
				paymentMethod: { type: "enum", values: [...PAYMENT_METHODS], optional: true },
			},
			openapi: {
				summary: "Check a booking before making it",
				description:
					"Lists every reason that applies (not only the first). `staff` channel skips FUTURE_BOOKING_LIMIT and PAYMENT_METHOD_NOT_ALLOWED, never access rules, STARTS_IN_PAST or INSUFFICIENT_WALLET_BALANCE. " +
					"Price: the best category discount valid on the start's local date in the club's time zone (validFrom/validUntil inclusive); " +
					"discount = round(base × discountPercent / 100), final = base − discount, vatAmount = round(final × vatRate / (10000 + vatRate)), half-up, minor units. " +
					"The wallet balance is checked when paymentMethod is `wallet` and a price is given.",
				tags: ["booking-guard"],
				responses: {
					"200": {
						description: "The decision",
						schema: ref("BookingCheck"),
					},
				},
			},
			async handler(this: any, ctx: Context<CheckParams, HttpMeta>): Promise<CheckResult> {
				const p = ctx.params;
				const { start } = parseTimes(p.startsAt, p.endsAt);
				let currency: string | undefined;
				if (p.price) {
					currency = p.price.currency.toUpperCase();
					if (!CURRENCIES.has(currency)) throw invalid({ field: "price.currency", type: "currency", message: "The 'price.currency' is not an ISO 4217 code." });
				}
				if (!UUID_RE.test(p.clientId)) throw new NotFoundError("Client");
				const clubId = ctx.meta.clubId;
				const online = p.channel !== "staff";
				const now = Date.now();

				const [client, snap, rule, starts] = await Promise.all([
					this.clientFacts(ctx, p.clientId) as Promise<ClientFacts>,
					this.groupsSnapshot(ctx) as Promise<Snapshot>,
					this.productRule(ctx, p.productId) as Promise<ProductRule | null>,
					online ? (this.futureStarts(clubId, p.clientId) as Promise<number[]>) : Promise.resolve([] as number[]),
				]);
				const group: GroupFacts = snap.groups.get(client.groupId) ?? (await this.groupFacts(ctx, client.groupId));
				const tz: string = p.price && client.categories.length ? await this.clubTimezone(ctx) : "UTC";

				const access = accessReasons(rule, group.id);
				const reasons = [...access.reasons];
				if (start <= now) reasons.push(pastReason());
				if (online && group.maxFutureBookings !== null && countAfter(starts, now) >= group.maxFutureBookings) reasons.push(limitReason(group.maxFutureBookings));
				if (online && p.paymentMethod && !group.paymentMethods.includes(p.paymentMethod)) {
					reasons.push(reason("PAYMENT_METHOD_NOT_ALLOWED", `The client's group may not pay by '${p.paymentMethod}'.`));
				}
				const result: CheckResult = { allowed: false, visible: access.visible, reasons, paymentMethods: [...group.paymentMethods] };
				if (p.price) {
					result.price = computePrice(p.price.amount, currency!, group.vatRate, client.categories, snap.categories, localDate(start, tz));
					if (p.paymentMethod === "wallet" && result.price.final > 0) {
						const wallet: { balance: number } = await ctx.call("wallets.balance", { clientId: p.clientId, currency });
						if (wallet.balance < result.price.final) reasons.push(reason("INSUFFICIENT_WALLET_BALANCE", `The client's ${currency} wallet holds less than ${result.price.final}.`));
					}
				}
				result.allowed = reasons.length === 0;
				return result;
			},
		},

		/** Records a booking or a whole series atomically, after the same checks, under the client's lock. */
		reserve: {
			rest: "POST /bookings",
			auth: "staff",
			idempotency: "optional",
			params: {
				$$strict: true,
				clientId: idParam,
				productId: productIdParam,
				startsAt: timeParam,
				endsAt: timeParam,
				channel: channelParam,
				reference: { type: "string", optional: true, min: 1, max: 200 },
				recurrence: {
					type: "object",
					optional: true,
					strict: true,
					props: {
						frequency: { type: "enum", values: ["daily", "weekly"] },
						interval: { type: "number", integer: true, min: 1, max: 365, optional: true },
						count: { type: "number", integer: true, min: 1, max: MAX_OCCURRENCES, optional: true },
						until: { type: "string", min: 1, max: 64, optional: true },
					},
				},
				idempotencyKey: { type: "string", min: 1, max: 255, optional: true },
			},
			openapi: {
				summary: "Reserve a booking or a recurring series",
				description:
					"Checked (access rules, STARTS_IN_PAST, and on the online channel FUTURE_BOOKING_LIMIT) and recorded in one transaction under a per-client lock, so the limit is exact under concurrency on any number of nodes. " +
					`A series (daily/weekly, every \`interval\`, \`count\` or \`until\`: a date in the club's time zone or an instant, inclusive; at most ${MAX_OCCURRENCES}) repeats at the same wall-clock time in the club's time zone; every occurrence is checked and counted, and the series is all or nothing. ` +
					"Refused: 409 BOOKING_REJECTED, data `{ reasons, occurrences? }` (for a series, the failing occurrences with their index, startsAt and reasons). Accepts Idempotency-Key.",
				tags: ["bookings"],
				responses: { "201": { description: "The bookings made (one, or every occurrence of the series)", schema: bookingsEntity } },
			},
			async handler(this: any, ctx: Context<ReserveParams, HttpMeta>) {
				const p = ctx.params;
				const { start, end } = parseTimes(p.startsAt, p.endsAt);
				if (!UUID_RE.test(p.clientId)) throw new NotFoundError("Client");
				// The decision that writes reads every fact fresh (and refreshes the cache with it),
				// before the transaction: no pooled connection waits on bus calls. A failure is
				// raised inside the idempotent work, so a retry with the same key still replays.
				const facts: { client: ClientFacts; group: GroupFacts; rule: ProductRule | null; tz: string } | { error: unknown } = await (async () => {
					const client: ClientFacts = await this.clientFacts(ctx, p.clientId, true);
					const [group, rule, tz] = await Promise.all([
						this.groupFacts(ctx, client.groupId, true) as Promise<GroupFacts>,
						this.productRule(ctx, p.productId, true) as Promise<ProductRule | null>,
						p.recurrence ? (this.clubTimezone(ctx) as Promise<string>) : Promise.resolve("UTC"),
					]);
					return { client, group, rule, tz };
				})().catch((error: unknown) => ({ error }));
				return this.idempotent(ctx, async (trx: any, onCommit: OnCommit) => {
					if ("error" in facts) throw facts.error;
					const { group, rule, tz } = facts;
					const clubId = ctx.meta.clubId;
					const online = p.channel !== "staff";
					const wanted: Occurrence[] = p.recurrence ? occurrences(start, end!, p.recurrence, tz) : [{ startsAt: start, endsAt: end! }];

					await q.lockClient(trx, clubId, p.clientId);
					const now = Date.now();
					const access = accessReasons(rule, group.id).reasons;
					const limit = online ? group.maxFutureBookings : null;
					let ahead = limit === null ? 0 : await q.countFuture(trx, clubId, p.clientId, new Date(now));
					const failed: Array<{ index: number; startsAt: string; reasons: Reason[] }> = [];
					wanted.forEach((o, index) => {
						const rs = [...access];
						if (o.startsAt <= now) rs.push(pastReason());
						else if (limit !== null && ++ahead > limit) rs.push(limitReason(limit));
						if (rs.length) failed.push({ index, startsAt: new Date(o.startsAt).toISOString(), reasons: rs });
					});
					if (failed.length) {
						const seen = new Map<string, Reason>();
						for (const f of failed) for (const r of f.reasons) if (!seen.has(r.code)) seen.set(r.code, r);
						const data: { reasons: Reason[]; occurrences?: typeof failed } = { reasons: [...seen.values()] };
						if (p.recurrence) data.occurrences = failed;
						throw new ConflictError("BOOKING_REJECTED", `The booking was refused: ${[...seen.keys()].join(", ")}`, data);
					}

					const seriesId = p.recurrence ? crypto.randomUUID() : null;
					const rows = await q.insertBookings(
						trx,
						wanted.map(o => ({
							id: crypto.randomUUID(),
							club_id: clubId,
							client_id: p.clientId,
							product_id: p.productId,
							starts_at: new Date(o.startsAt),
							ends_at: new Date(o.endsAt),
							series_id: seriesId,
							reference: p.reference ?? null,
							channel: p.channel,
						})),
					);
					const bookings = rows.map(toBooking);
					await this.recordBookings(trx, ctx, "bookings.reserve", "bookings.confirmed", bookings, seriesId);
					onCommit(() => this.announce(ctx, "bookings.confirmed", bookings));
					return created(ctx, { bookings }, `/api/v1/clients/${p.clientId}/bookings?scope=future`);
				});
			},
		},

		/** Cancels a booking and frees its place. Cancelling it again answers the cancelled booking. */
		cancel: {
			rest: "POST /bookings/:id/cancel",
			auth: "staff",
			params: { $$strict: true, id: idParam },
			openapi: {
				summary: "Cancel a booking",
				description: "Frees its place at once. Idempotent: cancelling a cancelled booking answers it again (200, no second event).",
				tags: ["bookings"],
				responses: { "200": { description: "The booking, status cancelled", schema: bookingEntity } },
			},
			async handler(this: any, ctx: Context<{ id: string }, HttpMeta>): Promise<Booking> {
				const clubId = ctx.meta.clubId;
				if (!UUID_RE.test(ctx.params.id)) throw new NotFoundError("Booking");
				const row = await this.db.transaction(async (trx: Knex.Transaction) => {
					const r = await q.cancelBooking(trx, clubId, ctx.params.id);
					if (r) await this.recordBookings(trx, ctx, "bookings.cancel", "bookings.cancelled", [toBooking(r)]);
					return r;
				});
				if (row) {
					const booking = toBooking(row);
					await this.announce(ctx, "bookings.cancelled", [booking]);
					return booking;
				}
				const existing = await q.findBooking(this.db, clubId, ctx.params.id);
				if (!existing) throw new NotFoundError("Booking");
				return toBooking(existing);
			},
		},

		/** Cancels the occurrences of a series that have not started yet. */
		cancelSeries: {
			rest: "POST /bookings/series/:seriesId/cancel",
			auth: "staff",
			params: { $$strict: true, seriesId: idParam },
			openapi: {
				summary: "Cancel the future occurrences of a series",
				description: "Answers the occurrences this call cancelled (those already started or cancelled are left as they are; none left: an empty list).",
				tags: ["bookings"],
				responses: { "200": { description: "The occurrences cancelled now", schema: bookingsEntity } },
			},
			async handler(this: any, ctx: Context<{ seriesId: string }, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				if (!UUID_RE.test(ctx.params.seriesId) || !(await q.seriesExists(this.db, clubId, ctx.params.seriesId))) throw new NotFoundError("Series");
				const bookings: Booking[] = await this.db.transaction(async (trx: Knex.Transaction) => {
					const done = (await q.cancelSeriesFuture(trx, clubId, ctx.params.seriesId)).map(toBooking);
					if (done.length) await this.recordBookings(trx, ctx, "bookings.cancelSeries", "bookings.cancelled", done, ctx.params.seriesId.toLowerCase());
					return done;
				});
				if (bookings.length) await this.announce(ctx, "bookings.cancelled", bookings);
				return { bookings };
			},
		},

		/** The client's bookings, every status, by start time (newest start first). */
		history: {
			rest: "GET /clients/:id/bookings",
			auth: "viewer",
			params: {
				id: idParam,
				scope: { type: "enum", values: ["future", "past", "all"], optional: true, default: "all" },
				...listParams,
			},
			openapi: {
				summary: "A client's booking history",
				description: "Every status, cancelled included. `scope` goes by startsAt: `future` = starts after now, `past` = at or before now. Newest start first.",
				tags: ["bookings"],
				responses: { "200": { description: "A page of bookings", schema: pageOf("Booking") } },
			},
			async handler(this: any, ctx: Context<{ id: string; scope: "future" | "past" | "all"; limit?: number; cursor?: string }, HttpMeta>) {
				if (!UUID_RE.test(ctx.params.id)) throw new NotFoundError("Client");
				const pos = decodeCursor(ctx.params.cursor);
				if (pos && !UUID_RE.test(pos.id)) throw invalid({ field: "cursor", type: "cursor", message: "The 'cursor' is not one this API gave out." });
				await this.clientFacts(ctx, ctx.params.id);
				return paginate(q.historyQuery(this.db, ctx.meta.clubId, ctx.params.id, ctx.params.scope), { limit: ctx.params.limit, cursor: ctx.params.cursor, timeColumn: "starts_at" }, toBooking);
			},
		},

		/** Which of these products the client may see (a `product` rule hides it from other groups). */
		visibleProducts: {
			rest: "POST /booking-guard/visible-products",
			auth: "staff",
			params: {
				$$strict: true,
				clientId: idParam,
				productIds: { type: "array", max: 1000, items: productIdParam },
			},
			openapi: {
				summary: "The products a client may see",
				description: "Answers the given ids the client may see, in the given order, without duplicates. One batched rule lookup for up to 1000 ids.",
				tags: ["booking-guard"],
				responses: { "200": { description: "The visible ones", schema: { type: "object", properties: { productIds: { type: "array", items: { type: "string" } } } } } },
			},
			async handler(this: any, ctx: Context<{ clientId: string; productIds: string[] }, HttpMeta>) {
				if (!UUID_RE.test(ctx.params.clientId)) throw new NotFoundError("Client");
				const client: ClientFacts = await this.clientFacts(ctx, ctx.params.clientId);
				const ids = [...new Set(ctx.params.productIds)];
				const rules: Map<string, ProductRule | null> = await this.productRules(ctx, ids);
				return { productIds: ids.filter(id => accessReasons(rules.get(id) ?? null, client.groupId).visible) };
			},
		},

		/** Internal: cancels a client's future bookings (client deletion asks). */
		cancelClientBookings: {
			params: { clientId: idParam },
			async handler(this: any, ctx: Context<{ clientId: string }, HttpMeta>) {
				if (!UUID_RE.test(ctx.params.clientId)) return { cancelled: 0 };
				const clubId = ctx.meta.clubId;
				const bookings: Booking[] = await this.db.transaction(async (trx: Knex.Transaction) => {
					const done = (await q.cancelClientFuture(trx, clubId, ctx.params.clientId)).map(toBooking);
					if (done.length) await this.recordBookings(trx, ctx, "bookings.cancelClientBookings", "bookings.cancelled", done);
					return done;
				});
				this.facts.invalidate(key(clubId, KIND.client, ctx.params.clientId));
				if (bookings.length) await this.announce(ctx, "bookings.cancelled", bookings);
				return { cancelled: bookings.length };
			},
		},
	},

	events: {
		"clients.updated": {
			handler(this: any, ctx: Context<{ clubId: string; client?: { id?: string }; clientId?: string; clientIds?: string[] }>) {
				this.forgetClients(ctx.params);
			},
		},
		"clients.deleted": {
			handler(this: any, ctx: Context<{ clubId: string; clientId?: string; client?: { id?: string } }>) {
				this.forgetClients(ctx.params);
			},
		},
		"groups.updated": {
			handler(this: any, ctx: Context<{ clubId: string }>) {
				if (typeof ctx.params?.clubId === "string") this.facts.invalidate(key(ctx.params.clubId, KIND.groups));
			},
		},
		"groups.deleted": {
			// Its clients moved to another group (possibly in bulk, without an event each).
			handler(this: any, ctx: Context<{ clubId: string; groupId?: string }>) {
				if (typeof ctx.params?.clubId !== "string") return;
				this.facts.invalidate(key(ctx.params.clubId, KIND.groups));
				this.facts.invalidatePrefix(key(ctx.params.clubId, KIND.client));
			},
		},
		"groups.defaultChanged": {
			handler(this: any, ctx: Context<{ clubId: string }>) {
				if (typeof ctx.params?.clubId === "string") this.facts.invalidate(key(ctx.params.clubId, KIND.groups));
			},
		},
		"categories.updated": {
			// A deleted category also leaves its clients (possibly without an event each).
			handler(this: any, ctx: Context<{ clubId: string; deleted?: boolean }>) {
				if (typeof ctx.params?.clubId !== "string") return;
				this.facts.invalidate(key(ctx.params.clubId, KIND.groups));
				if (ctx.params.deleted) this.facts.invalidatePrefix(key(ctx.params.clubId, KIND.client));
			},
		},
		"groups.productAccessUpdated": {
			handler(this: any, ctx: Context<{ clubId: string; productId?: string }>) {
				const { clubId, productId } = ctx.params;
				if (typeof clubId !== "string") return;
				if (typeof productId === "string") this.facts.invalidate(key(clubId, KIND.product, productId));
				else this.facts.invalidatePrefix(key(clubId, KIND.product));
			},
		},
		"bookings.confirmed": {
			handler(this: any, ctx: Context<{ clubId: string; bookings: Booking[] }>) {
				this.forgetFuture(ctx.params);
			},
		},
		"bookings.cancelled": {
			handler(this: any, ctx: Context<{ clubId: string; bookings: Booking[] }>) {
				this.forgetFuture(ctx.params);
			},
		},
	},

	methods: {
		/** clients.get through the cache: { id, groupId, categories }; 404 when not the club's. */
		clientFacts(this: any, ctx: Context<unknown, HttpMeta>, clientId: string, fresh = false): Promise<ClientFacts> {
			const k = key(ctx.meta.clubId, KIND.client, clientId);
			const load = async (): Promise<ClientFacts> => {
				try {
					const c: any = await ctx.call("clients.get", { id: clientId });
					return { id: c.id, groupId: c.groupId, categories: (c.categories ?? []).map((x: any) => ({ categoryId: x.categoryId, validFrom: x.validFrom ?? null, validUntil: x.validUntil ?? null })) };
				} catch (err: any) {
					if (err?.type === "NOT_FOUND") throw new NotFoundError("Client");
					throw err;
				}
			};
			return fresh ? this.facts.fresh(k, load) : this.facts.get(k, load);
		},

		/**
		 * groups.snapshot through the cache: every group's policy and every category of the
		 * club in one cheap read (no client counts), dropped on any groups.* / categories event.
		 */
		groupsSnapshot(this: any, ctx: Context<unknown, HttpMeta>, fresh = false): Promise<Snapshot> {
			const k = key(ctx.meta.clubId, KIND.groups);
			const load = async (): Promise<Snapshot> => {
				const snap: any = await ctx.call("groups.snapshot", {});
				return {
					groups: new Map((snap.groups ?? []).map((g: any) => [g.id, { id: g.id, maxFutureBookings: g.maxFutureBookings ?? null, paymentMethods: g.paymentMethods ?? [], vatRate: g.vatRate ?? null }])),
					categories: new Map((snap.categories ?? []).map((c: any) => [c.id, { id: c.id, discountPercent: Number(c.discountPercent ?? 0) }])),
				};
			};
			return fresh ? this.facts.fresh(k, load) : this.facts.get(k, load);
		},

		/** A group's booking policy (a group the cached snapshot does not know yet: read again once). */
		async groupFacts(this: any, ctx: Context<unknown, HttpMeta>, groupId: string, fresh = false): Promise<GroupFacts> {
			let snap: Snapshot = await this.groupsSnapshot(ctx, fresh);
			if (!snap.groups.has(groupId) && !fresh) snap = await this.groupsSnapshot(ctx, true);
			const group = snap.groups.get(groupId);
			if (!group) throw new NotFoundError("Group");
			return group;
		},

		/** One product's access rule (null: open to all). */
		productRule(this: any, ctx: Context<unknown, HttpMeta>, productId: string, fresh = false): Promise<ProductRule | null> {
			const k = key(ctx.meta.clubId, KIND.product, productId);
			const load = async (): Promise<ProductRule | null> => {
				const rules: Record<string, ProductRule> = await ctx.call("groups.productRules", { productIds: [productId] });
				return rules[productId] ?? null;
			};
			return fresh ? this.facts.fresh(k, load) : this.facts.get(k, load);
		},

		/** Many products' rules: cached ones from memory, the rest in ONE groups.productRules call. */
		async productRules(this: any, ctx: Context<unknown, HttpMeta>, productIds: string[]): Promise<Map<string, ProductRule | null>> {
			const clubId = ctx.meta.clubId;
			const keys = productIds.map(id => key(clubId, KIND.product, id));
			const byKey: Map<string, ProductRule | null> = await this.facts.getMany(keys, async (missing: string[]) => {
				const ids = missing.map(k => k.slice(k.lastIndexOf("|") + 1));
				const rules: Record<string, ProductRule> = await ctx.call("groups.productRules", { productIds: ids });
				return new Map(missing.map((k, i) => [k, rules[ids[i]] ?? null]));
			});
			return new Map(productIds.map((id, i) => [id, byKey.get(keys[i]) ?? null]));
		},

		/** The club's IANA time zone. */
		clubTimezone(this: any, ctx: Context<unknown, HttpMeta>): Promise<string> {
			return this.facts.get(
				key(ctx.meta.clubId, KIND.club),
				async () => {
					const club: any = await ctx.call("clubs.get", {});
					return club.timezone ?? "UTC";
				},
				this.settings.clubTtlMs,
			);
		},

		/** Start times of the client's confirmed future bookings (own data; invalidated by our own events). */
		futureStarts(this: any, clubId: string, clientId: string): Promise<number[]> {
			return this.facts.get(key(clubId, KIND.future, clientId), () => q.futureStarts(this.db, clubId, clientId));
		},

		forgetClients(this: any, p: { clubId?: string; client?: { id?: string }; clientId?: string; clientIds?: string[] }) {
			if (typeof p?.clubId !== "string") return;
			const ids = [p.client?.id, p.clientId, ...(Array.isArray(p.clientIds) ? p.clientIds : [])].filter((x): x is string => typeof x === "string");
			if (!ids.length) this.facts.invalidatePrefix(key(p.clubId, KIND.client));
			for (const id of ids) this.facts.invalidate(key(p.clubId, KIND.client, id));
		},

		forgetFuture(this: any, p: { clubId?: string; bookings?: Booking[] }) {
			if (typeof p?.clubId !== "string" || !Array.isArray(p.bookings)) return;
			for (const id of new Set(p.bookings.map(b => b?.clientId))) if (typeof id === "string") this.facts.invalidate(key(p.clubId, KIND.future, id));
		},

		/**
		 * One audit entry per reservation or cancellation call (a series is one change): the
		 * booking, or the series when it is one; the webhook event carries `{ bookings }`.
		 */
		async recordBookings(this: any, trx: Knex.Transaction, ctx: Context, action: string, event: string, bookings: Booking[], seriesId: string | null = null) {
			const target = seriesId ? { type: "series", id: seriesId } : { type: "booking", id: bookings[0].id };
			const [before, after] = event === "bookings.confirmed" ? [null, "confirmed"] : ["confirmed", "cancelled"];
			const changes = bookings.length === 1 ? { status: [before, after] as [unknown, unknown] } : { status: [before, after] as [unknown, unknown], bookings: [null, bookings.map(b => b.id)] as [unknown, unknown] };
			await this.recordChange(trx, ctx, { action, target, changes, event: { type: event, data: { bookings } } });
		},

		/** After commit: forget the clients' cached counts here at once, then tell everyone (every node forgets too). */
		async announce(this: any, ctx: Context<unknown, HttpMeta>, event: "bookings.confirmed" | "bookings.cancelled", bookings: Booking[]) {
			const clubId = ctx.meta.clubId;
			this.forgetFuture({ clubId, bookings });
			await ctx.emit(event, { clubId, bookings });
		},
	},

	created(this: any) {
		this.facts = new FactCache(this.settings.factTtlMs);
	},
});

export default BookingGuardService;
