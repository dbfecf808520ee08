/**
 * The guard's decisions as pure functions: reasons, price (category discount, VAT-inclusive),
 * series occurrences in the club's wall-clock time. No I/O here; the service feeds facts in.
 */
import { ConflictError, invalid } from "../../lib/errors";
import { isCalendarDate as isDate, parseInstant } from "../../lib/dates";
import type { ProductRule } from "../groups/groups.contract";
import type { Price, Reason, ReasonCode, Recurrence } from "./booking-guard.contract";

export type { ProductRule };

export const MAX_OCCURRENCES = 366;

/** The facts of other services the guard decides on (API.md shapes, only what it reads). */
export interface ClientFacts {
	id: string;
	groupId: string;
	categories: Array<{ categoryId: string; validFrom: string | null; validUntil: string | null }>;
}
export interface GroupFacts {
	id: string;
	maxFutureBookings: number | null;
	paymentMethods: string[];
	vatRate: number | null;
}
export interface CategoryFacts {
	id: string;
	discountPercent: number;
}

export const reason = (code: ReasonCode, message: string): Reason => ({ code, message });

/** Access: a `product` rule hides the product from other groups; an `activity` rule only refuses them. */
export function accessReasons(rule: ProductRule | null, groupId: string): { visible: boolean; reasons: Reason[] } {
	if (!rule || rule.groupIds.includes(groupId)) return { visible: true, reasons: [] };
	if (rule.kind === "product") return { visible: false, reasons: [reason("PRODUCT_NOT_VISIBLE", "This product is reserved for other client groups.")] };
	return { visible: true, reasons: [reason("GROUP_NOT_ALLOWED", "The client's group may not book this activity.")] };
}

export const limitReason = (max: number) =>
	reason("FUTURE_BOOKING_LIMIT", `The client's group allows at most ${max} future booking${max === 1 ? "" : "s"}.`);
export const pastReason = () => reason("STARTS_IN_PAST", "The booking starts in the past.");

/** Number of start times strictly after `now` (the bookings that still count toward the limit). */
export function countAfter(sortedStarts: number[], now: number): number {
	let lo = 0;
	let hi = sortedStarts.length;
	while (lo < hi) {
		const mid = (lo + hi) >>> 1;
		if (sortedStarts[mid] <= now) lo = mid + 1;
		else hi = mid;
	}
	return sortedStarts.length - lo;
}

/** An occurrence of a reservation that cannot be booked, and why. */
export interface Refusal {
	index: number;
	startsAt: string;
	reasons: Reason[];
}

/**
 * What refuses a reservation's occurrences: the access reasons (every occurrence), a start in
 * the past, and past the group's limit (`limit` future bookings; `ahead` already held, each
 * accepted occurrence counting toward it). Empty: every occurrence may be booked.
 */
export function refusals(wanted: Occurrence[], access: Reason[], now: number, limit: number | null, ahead: number): Refusal[] {
	const failed: Refusal[] = [];
	wanted.forEach((o, index) => {
		const rs = [...access];
		if (o.startsAt <= now) rs.push(pastReason());
		else if (limit !== null && ++ahead > limit) rs.push(limitReason(limit));
		if (rs.length) failed.push({ index, startsAt: new Date(o.startsAt).toISOString(), reasons: rs });
	});
	return failed;
}

/** 409 BOOKING_REJECTED: every distinct reason, and for a series the failing occurrences. */
export function bookingRejected(failed: Refusal[], series: boolean): ConflictError {
	const seen = new Map<string, Reason>();
	for (const f of failed) for (const r of f.reasons) if (!seen.has(r.code)) seen.set(r.code, r);
	const data: { reasons: Reason[]; occurrences?: Refusal[] } = { reasons: [...seen.values()] };
	if (series) data.occurrences = failed;
	return new ConflictError("BOOKING_REJECTED", `The booking was refused: ${[...seen.keys()].join(", ")}`, data);
}

/** round(a / b) half-up for non-negative integers, exact at any size. */
function divRoundHalfUp(a: bigint, b: bigint): bigint {
	return (2n * a + b) / (2n * b);
}

/**
 * Price after the best category valid on `day` (the club's local date of the start):
 * discount = round(base × pct / 100), final = base − discount,
 * vatAmount = round(final × vatRate / (10000 + vatRate)); half-up, integer minor units.
 */
export function computePrice(
	base: number,
	currency: string,
	vatRate: number | null,
	held: ClientFacts["categories"],
	categories: Map<string, CategoryFacts>,
	day: string,
): Price {
	let best: CategoryFacts | null = null;
	for (const h of held) {
		if (h.validFrom && h.validFrom > day) continue;
		if (h.validUntil && h.validUntil < day) continue;
		const cat = categories.get(h.categoryId);
		if (!cat) continue;
		if (!best || cat.discountPercent > best.discountPercent || (cat.discountPercent === best.discountPercent && cat.id < best.id)) best = cat;
	}
	const pct = best ? best.discountPercent : 0;
	const hundredths = BigInt(Math.round(pct * 100));
	const discount = Number(divRoundHalfUp(BigInt(base) * hundredths, 10000n));
	const final = base - discount;
	const rate = vatRate ?? 0;
	const vatAmount = rate > 0 ? Number(divRoundHalfUp(BigInt(final) * BigInt(rate), BigInt(10000 + rate))) : 0;
	return { base, discountPercent: pct, categoryId: best ? best.id : null, discount, final, vatRate, vatAmount, currency };
}

// ---- time -------------------------------------------------------------------------------

// Instants and dates are read by lib/dates.ts (every part real: no Feb 30th rolling over to March).
export { parseInstant, isDate };

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
	let f = formatters.get(tz);
	if (!f) {
		f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
		formatters.set(tz, f);
	}
	return f;
}

interface Wall {
	y: number;
	mo: number;
	d: number;
	h: number;
	mi: number;
	s: number;
	ms: number;
}

function wallClock(ms: number, tz: string): Wall {
	const p: Record<string, number> = {};
	for (const part of formatter(tz).formatToParts(new Date(ms))) if (part.type !== "literal") p[part.type] = Number(part.value);
	return { y: p.year, mo: p.month, d: p.day, h: p.hour, mi: p.minute, s: p.second, ms: ((ms % 1000) + 1000) % 1000 };
}

const QUARTER_HOUR = 15 * 60_000;
const offsets = new Map<string, number>();

/**
 * The club's local calendar date of an instant (categories' validFrom/validUntil are such
 * dates). On the hot path of every check: the zone's offset is memoised per quarter hour
 * (time zone transitions fall on quarter hours), so Intl runs once per zone and quarter.
 */
export function localDate(ms: number, tz: string): string {
	const bucket = Math.floor(ms / QUARTER_HOUR);
	const k = `${tz}|${bucket}`;
	let offset = offsets.get(k);
	if (offset === undefined) {
		if (offsets.size > 10_000) offsets.clear();
		offset = offsetAt(bucket * QUARTER_HOUR, tz);
		offsets.set(k, offset);
	}
	return new Date(ms + offset).toISOString().slice(0, 10);
}

function offsetAt(ms: number, tz: string): number {
	const w = wallClock(ms, tz);
	return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s, w.ms) - ms;
}

/** The instant of a wall-clock time in `tz` (a time in a DST gap moves forward by the gap). */
function wallToInstant(w: Wall, tz: string): number {
	const guess = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s, w.ms);
	const first = guess - offsetAt(guess, tz);
	const second = guess - offsetAt(first, tz);
	return second;
}

export interface Occurrence {
	startsAt: number;
	endsAt: number;
}

/**
 * The occurrences of a series: every `interval` days or weeks at the same wall-clock time
 * in the club's time zone (so "Tuesdays 19:00" stays 19:00 across DST), with the first
 * booking's duration. Stops after `count`, or after `until` (a date: the club's local date,
 * inclusive; an instant: inclusive), whichever comes first. More than 366 → 422.
 */
export function occurrences(startsAt: number, endsAt: number, rec: Recurrence, tz: string): Occurrence[] {
	if (rec.count === undefined && rec.until === undefined) {
		throw invalid({ field: "recurrence", type: "recurrenceEnd", message: "A recurrence needs 'count' or 'until'." });
	}
	let untilMs: number | undefined;
	let untilDay: string | undefined;
	if (rec.until !== undefined) {
		if (isDate(rec.until)) untilDay = rec.until;
		else {
			untilMs = parseInstant(rec.until);
			if (untilMs === undefined) throw invalid({ field: "recurrence.until", type: "date", message: "The 'until' must be a date (YYYY-MM-DD) or an ISO 8601 time." });
		}
	}
	const step = (rec.frequency === "daily" ? 1 : 7) * (rec.interval ?? 1);
	const duration = endsAt - startsAt;
	const first = wallClock(startsAt, tz);
	const out: Occurrence[] = [];
	for (let k = 0; ; k++) {
		if (rec.count !== undefined && k >= rec.count) break;
		const day = new Date(Date.UTC(first.y, first.mo - 1, first.d + k * step));
		const start = k === 0 ? startsAt : wallToInstant({ ...first, y: day.getUTCFullYear(), mo: day.getUTCMonth() + 1, d: day.getUTCDate() }, tz);
		if (untilMs !== undefined && start > untilMs) break;
		if (untilDay !== undefined && localDate(start, tz) > untilDay) break;
		if (out.length === MAX_OCCURRENCES) {
			throw invalid({ field: "recurrence", type: "recurrenceTooLong", message: `A series has at most ${MAX_OCCURRENCES} occurrences.` });
		}
		out.push({ startsAt: start, endsAt: start + duration });
	}
	if (out.length === 0) {
		throw invalid({ field: "recurrence.until", type: "recurrenceEmpty", message: "The 'until' is before the first occurrence." });
	}
	return out;
}
