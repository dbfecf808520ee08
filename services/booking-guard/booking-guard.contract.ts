/**
 * The booking guard's contract (types only): the actions other services call and the events it
 * emits, as CONTRIBUTING.md's inter-service table lists them (plus the two steps of a client
 * merge that services/clients/clients.merge.ts calls). Other services import this file
 * (`import type`), never the service's other files. Every action takes the club from ctx.meta.clubId.
 */
import type { PaymentMethod } from "../../lib/products";

export type Channel = "online" | "staff";

export type ReasonCode =
	| "PRODUCT_NOT_VISIBLE"
	| "GROUP_NOT_ALLOWED"
	| "STARTS_IN_PAST"
	| "FUTURE_BOOKING_LIMIT"
	| "PAYMENT_METHOD_NOT_ALLOWED"
	| "INSUFFICIENT_WALLET_BALANCE";

/** Why a booking is refused (every reason that applies, not only the first). */
export interface Reason {
	code: ReasonCode;
	message: string;
}

/** The price after the best category discount, VAT included (integer minor units). */
export interface Price {
	base: number;
	discountPercent: number;
	categoryId: string | null;
	discount: number;
	final: number;
	vatRate: number | null;
	vatAmount: number;
	currency: string;
}

/** The API.md Booking. */
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

/** `booking-guard.check`: the body of POST /booking-guard/check. */
export interface CheckParams {
	clientId: string;
	productId: string;
	startsAt: string;
	endsAt?: string;
	channel: Channel;
	price?: { amount: number; currency: string };
	paymentMethod?: PaymentMethod;
}

/** The decision. */
export interface CheckResult {
	allowed: boolean;
	visible: boolean;
	reasons: Reason[];
	paymentMethods: string[];
	price?: Price;
}

export interface Recurrence {
	frequency: "daily" | "weekly";
	interval?: number;
	count?: number;
	until?: string;
}

/** `booking-guard.reserve`: the body of POST /bookings (+ `idempotencyKey`); throws 409 BOOKING_REJECTED. */
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

/** What `reserve` and `cancelSeries` answer: the bookings made, or cancelled by this call. */
export interface BookingsAnswer {
	bookings: Booking[];
}

/** `booking-guard.cancel`: answers the booking. */
export interface CancelParams {
	id: string;
}

/** `booking-guard.cancelSeries`: answers `{ bookings }`. */
export interface CancelSeriesParams {
	seriesId: string;
}

/** `booking-guard.visibleProducts`: the given ids the client may see, in order, without duplicates. */
export interface VisibleProductsParams {
	clientId: string;
	productIds: string[];
}

export interface VisibleProductsAnswer {
	productIds: string[];
}

/** `booking-guard.cancelClientBookings` (a client's deletion): cancels its future bookings. */
export interface CancelClientBookingsParams {
	clientId: string;
}

export interface CancelClientBookingsAnswer {
	cancelled: number;
}

/** `booking-guard.mergePlan` / `booking-guard.moveClientBookings` (a client merge's steps). */
export interface MergePairParams {
	sourceId: string;
	targetId: string;
}

export interface MergeBookings {
	/** Bookings of the source (moved, or that would move). */
	bookings: number;
	/** The target's confirmed future bookings once the source's are its own. */
	targetFutureBookings: number;
}

/** The events the service emits (after commit), by name. */
export interface BookingGuardEvents {
	"bookings.confirmed": { clubId: string; bookings: Booking[] };
	"bookings.cancelled": { clubId: string; bookings: Booking[] };
}
