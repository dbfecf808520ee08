/**
 * The booking guard's params: validation rules of its actions, the checks the validator cannot
 * make (times, currency), the OpenAPI refs of its answers, and rows → API bookings.
 */
import { ref } from "../../lib/openapi";
import { invalid, type FieldError } from "../../lib/errors";
import { isCurrency } from "../../lib/money";
import { PAYMENT_METHODS, PRODUCT_ID_RULE } from "../../lib/products";
import { listParams } from "../../lib/pagination";
import { MAX_OCCURRENCES, parseInstant } from "./booking-guard.rules";
import type { Booking } from "./booking-guard.contract";
import type { BookingRow } from "./booking-guard.queries";

export const toBooking = (r: BookingRow): Booking => ({
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

export const bookingEntity = ref("Booking");
export const bookingsEntity = ref("BookingList");

export const idParam = { type: "string", min: 1, max: 64 } as const;
const timeParam = { type: "string", min: 1, max: 64 } as const;
const channelParam = { type: "enum", values: ["online", "staff"], optional: true, default: "online" } as const;

/** POST /booking-guard/check. */
export const checkParams = {
	$$strict: true,
	clientId: idParam,
	productId: PRODUCT_ID_RULE,
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
} as const;

/** POST /bookings. */
export const reserveParams = {
	$$strict: true,
	clientId: idParam,
	productId: PRODUCT_ID_RULE,
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
} as const;

/** GET /clients/:id/bookings. */
export const historyParams = {
	id: idParam,
	scope: { type: "enum", values: ["future", "past", "all"], optional: true, default: "all" },
	...listParams,
} as const;

/** POST /booking-guard/visible-products. */
export const visibleProductsParams = {
	$$strict: true,
	clientId: idParam,
	productIds: { type: "array", max: 1000, items: PRODUCT_ID_RULE },
} as const;

/** 422 for times that are not ISO instants or run backwards; the parsed times otherwise. */
export function parseTimes(startsAt: string, endsAt: string | undefined): { start: number; end: number | undefined } {
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

/** A check's price currency, upper-cased; 422 on `price.currency` when it is not ISO 4217. */
export function priceCurrency(code: string): string {
	const currency = code.toUpperCase();
	if (!isCurrency(currency)) throw invalid({ field: "price.currency", type: "currency", message: "The 'price.currency' is not an ISO 4217 code." });
	return currency;
}
