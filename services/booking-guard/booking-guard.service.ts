/**
 * The booking guard: the booking system's one call before every booking (`check`), the
 * atomic reservation of single bookings and series (`reserve`) under a per-client lock held
 * in Postgres (exact on any number of nodes), cancellation, the client's booking history
 * and product visibility.
 *
 * Facts owned by other services (client → group and categories, group policy, categories,
 * product rules, the club's time zone) are gathered by booking-guard.facts.ts through
 * FactCache, invalidated by the events below on every booking-guard node; see
 * booking-guard.cache.ts for why a cached fact cannot outlive a change. `reserve` (the
 * decision that writes) reads them fresh, before its transaction. The decisions themselves
 * are pure functions (booking-guard.rules.ts); params and answers: booking-guard.params.ts;
 * what other services may call and hear: booking-guard.contract.ts.
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
import { NotFoundError } from "../../lib/errors";
import { created, type HttpMeta } from "../../lib/http";
import { decodeCursor, paginate } from "../../lib/pagination";
import { UUID_RE } from "../../lib/tenant.middleware";
import { FactsMixin, KIND, key, type BookingGuardThis } from "./booking-guard.facts";
import { BookingGuardMergeMixin } from "./booking-guard.merge";
import * as q from "./booking-guard.queries";
import { accessReasons, bookingRejected, computePrice, countAfter, limitReason, localDate, MAX_OCCURRENCES, occurrences, pastReason, reason, refusals, type Occurrence } from "./booking-guard.rules";
import { bookingEntity, bookingsEntity, checkParams, historyParams, idParam, parseTimes, priceCurrency, reserveParams, toBooking, visibleProductsParams } from "./booking-guard.params";
import type {
	Booking,
	BookingGuardEvents,
	BookingsAnswer,
	CancelClientBookingsAnswer,
	CancelClientBookingsParams,
	CancelParams,
	CancelSeriesParams,
	CheckParams,
	CheckResult,
	ReserveParams,
	VisibleProductsAnswer,
	VisibleProductsParams,
} from "./booking-guard.contract";

const BookingGuardService = defineService<BookingGuardThis>({
	name: "booking-guard",
	mixins: [DbMixin({ schema: "booking_guard" }), IdempotencyMixin(), FactsMixin, BookingGuardMergeMixin, NodeEventsMixin(), OutboxMixin()],
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
			params: checkParams,
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
			async handler(ctx: Context<CheckParams, HttpMeta>): Promise<CheckResult> {
				const p = ctx.params;
				const { start } = parseTimes(p.startsAt, p.endsAt);
				const currency = p.price ? priceCurrency(p.price.currency) : undefined;
				if (!UUID_RE.test(p.clientId)) throw new NotFoundError("Client");
				const online = p.channel !== "staff";
				const now = Date.now();
				const { client, group, snap, rule, starts, tz } = await this.checkFacts(ctx, p);

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
						if ((await this.walletBalance(ctx, p.clientId, currency!)) < result.price.final) reasons.push(reason("INSUFFICIENT_WALLET_BALANCE", `The client's ${currency} wallet holds less than ${result.price.final}.`));
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
			params: reserveParams,
			openapi: {
				summary: "Reserve a booking or a recurring series",
				description:
					"Checked (access rules, STARTS_IN_PAST, and on the online channel FUTURE_BOOKING_LIMIT) and recorded in one transaction under a per-client lock, so the limit is exact under concurrency on any number of nodes. " +
					`A series (daily/weekly, every \`interval\`, \`count\` or \`until\`: a date in the club's time zone or an instant, inclusive; at most ${MAX_OCCURRENCES}) repeats at the same wall-clock time in the club's time zone; every occurrence is checked and counted, and the series is all or nothing. ` +
					"Refused: 409 BOOKING_REJECTED, data `{ reasons, occurrences? }` (for a series, the failing occurrences with their index, startsAt and reasons). Accepts Idempotency-Key.",
				tags: ["bookings"],
				responses: { "201": { description: "The bookings made (one, or every occurrence of the series)", schema: bookingsEntity } },
			},
			async handler(ctx: Context<ReserveParams, HttpMeta>): Promise<BookingsAnswer> {
				const p = ctx.params;
				const { start, end } = parseTimes(p.startsAt, p.endsAt);
				if (!UUID_RE.test(p.clientId)) throw new NotFoundError("Client");
				const facts = await this.reserveFacts(ctx, p);
				return this.idempotent(ctx, async (trx: Knex.Transaction, onCommit: OnCommit) => {
					if ("error" in facts) throw facts.error;
					const { group, rule, tz } = facts;
					const clubId = ctx.meta.clubId;
					const online = p.channel !== "staff";
					const wanted: Occurrence[] = p.recurrence ? occurrences(start, end!, p.recurrence, tz) : [{ startsAt: start, endsAt: end! }];

					await q.lockClient(trx, clubId, p.clientId);
					const now = Date.now();
					const access = accessReasons(rule, group.id).reasons;
					const limit = online ? group.maxFutureBookings : null;
					const ahead = limit === null ? 0 : await q.countFuture(trx, clubId, p.clientId, new Date(now));
					const failed = refusals(wanted, access, now, limit, ahead);
					if (failed.length) throw bookingRejected(failed, Boolean(p.recurrence));

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
			async handler(ctx: Context<CancelParams, HttpMeta>): Promise<Booking> {
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
			async handler(ctx: Context<CancelSeriesParams, HttpMeta>): Promise<BookingsAnswer> {
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
			params: historyParams,
			openapi: {
				summary: "A client's booking history",
				description: "Every status, cancelled included. `scope` goes by startsAt: `future` = starts after now, `past` = at or before now. Newest start first.",
				tags: ["bookings"],
				responses: { "200": { description: "A page of bookings", schema: pageOf("Booking") } },
			},
			async handler(ctx: Context<{ id: string; scope: "future" | "past" | "all"; limit?: number; cursor?: string }, HttpMeta>) {
				if (!UUID_RE.test(ctx.params.id)) throw new NotFoundError("Client");
				decodeCursor(ctx.params.cursor); // a cursor we did not give out is a 422, before the client's 404
				await this.clientFacts(ctx, ctx.params.id);
				return paginate(q.historyQuery(this.db, ctx.meta.clubId, ctx.params.id, ctx.params.scope), { limit: ctx.params.limit, cursor: ctx.params.cursor, timeColumn: "starts_at" }, toBooking);
			},
		},

		/** Which of these products the client may see (a `product` rule hides it from other groups). */
		visibleProducts: {
			rest: "POST /booking-guard/visible-products",
			auth: "staff",
			params: visibleProductsParams,
			openapi: {
				summary: "The products a client may see",
				description: "Answers the given ids the client may see, in the given order, without duplicates. One batched rule lookup for up to 1000 ids.",
				tags: ["booking-guard"],
				responses: { "200": { description: "The visible ones", schema: { type: "object", properties: { productIds: { type: "array", items: { type: "string" } } } } } },
			},
			async handler(ctx: Context<VisibleProductsParams, HttpMeta>): Promise<VisibleProductsAnswer> {
				if (!UUID_RE.test(ctx.params.clientId)) throw new NotFoundError("Client");
				const client = await this.clientFacts(ctx, ctx.params.clientId);
				const ids = [...new Set(ctx.params.productIds)];
				const rules = await this.productRules(ctx, ids);
				return { productIds: ids.filter(id => accessReasons(rules.get(id) ?? null, client.groupId).visible) };
			},
		},

		/** Internal: cancels a client's future bookings (client deletion asks). */
		cancelClientBookings: {
			params: { clientId: idParam },
			async handler(ctx: Context<CancelClientBookingsParams, HttpMeta>): Promise<CancelClientBookingsAnswer> {
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
			handler(ctx: Context<{ clubId: string; client?: { id?: string }; clientId?: string; clientIds?: string[] }>) {
				this.forgetClients(ctx.params);
			},
		},
		"clients.deleted": {
			handler(ctx: Context<{ clubId: string; clientId?: string; client?: { id?: string } }>) {
				this.forgetClients(ctx.params);
			},
		},
		"groups.updated": {
			handler(ctx: Context<{ clubId: string }>) {
				if (typeof ctx.params?.clubId === "string") this.facts.invalidate(key(ctx.params.clubId, KIND.groups));
			},
		},
		"groups.deleted": {
			// Its clients moved to another group (possibly in bulk, without an event each).
			handler(ctx: Context<{ clubId: string; groupId?: string }>) {
				if (typeof ctx.params?.clubId !== "string") return;
				this.facts.invalidate(key(ctx.params.clubId, KIND.groups));
				this.facts.invalidatePrefix(key(ctx.params.clubId, KIND.client));
			},
		},
		"groups.defaultChanged": {
			handler(ctx: Context<{ clubId: string }>) {
				if (typeof ctx.params?.clubId === "string") this.facts.invalidate(key(ctx.params.clubId, KIND.groups));
			},
		},
		"categories.updated": {
			// A deleted category also leaves its clients (possibly without an event each).
			handler(ctx: Context<{ clubId: string; deleted?: boolean }>) {
				if (typeof ctx.params?.clubId !== "string") return;
				this.facts.invalidate(key(ctx.params.clubId, KIND.groups));
				if (ctx.params.deleted) this.facts.invalidatePrefix(key(ctx.params.clubId, KIND.client));
			},
		},
		"groups.productAccessUpdated": {
			handler(ctx: Context<{ clubId: string; productId?: string }>) {
				const { clubId, productId } = ctx.params;
				if (typeof clubId !== "string") return;
				if (typeof productId === "string") this.facts.invalidate(key(clubId, KIND.product, productId));
				else this.facts.invalidatePrefix(key(clubId, KIND.product));
			},
		},
		"bookings.confirmed": {
			handler(ctx: Context<BookingGuardEvents["bookings.confirmed"]>) {
				this.forgetFuture(ctx.params);
			},
		},
		"bookings.cancelled": {
			handler(ctx: Context<BookingGuardEvents["bookings.cancelled"]>) {
				this.forgetFuture(ctx.params);
			},
		},
	},

	methods: {
		/**
		 * One audit entry per reservation or cancellation call (a series is one change): the
		 * booking, or the series when it is one; the webhook event carries `{ bookings }`.
		 */
		async recordBookings(trx: Knex.Transaction, ctx: Context, action: string, event: string, bookings: Booking[], seriesId: string | null = null) {
			const target = seriesId ? { type: "series", id: seriesId } : { type: "booking", id: bookings[0].id };
			const [before, after] = event === "bookings.confirmed" ? [null, "confirmed"] : ["confirmed", "cancelled"];
			const changes: Record<string, [unknown, unknown]> = { status: [before, after] };
			if (bookings.length !== 1) changes.bookings = [null, bookings.map(b => b.id)];
			await this.recordChange(trx, ctx, { action, target, changes, event: { type: event, data: { bookings } } });
		},

		/** After commit: forget the clients' cached counts here at once, then tell everyone (every node forgets too). */
		async announce(ctx: Context<unknown, HttpMeta>, event: "bookings.confirmed" | "bookings.cancelled", bookings: Booking[]) {
			const clubId = ctx.meta.clubId;
			this.forgetFuture({ clubId, bookings });
			const payload: BookingGuardEvents[typeof event] = { clubId, bookings };
			await ctx.emit(event, payload);
		},
	},
});

export default BookingGuardService;
