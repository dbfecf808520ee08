/**
 * The one reading of dates and times that every service uses (API.md: times are ISO 8601
 * with an offset, dates YYYY-MM-DD). JavaScript's Date rolls impossible values over
 * (`2031-02-30T10:00:00Z` reads as March 2nd, `1990-02-31` as March 3rd), so every part is
 * checked here before anything is computed: an impossible date or time is a 422 naming the
 * field, never a silently different day.
 *
 *   - isCalendarDate / parseInstant: the checks, for code that reads a value itself;
 *   - dateRule / instantRule: fastest-validator rules for `params`
 *     (`from: { ...instantRule, optional: true }`), answering 422 with type `date`.
 */

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/i;

function daysIn(year: number, month: number): number {
	return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function realDay(y: number, mo: number, d: number): boolean {
	return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo);
}

/** True for a YYYY-MM-DD that names a real calendar day. */
export function isCalendarDate(text: unknown): text is string {
	if (typeof text !== "string") return false;
	const m = DATE_RE.exec(text);
	return !!m && realDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/**
 * An ISO 8601 instant with an explicit offset (Z, ±hh:mm or ±hhmm) whose every part is real
 * (month 1-12, a day of that month, hour 0-23, minute and second 0-59, offset under 24 h),
 * as epoch milliseconds; undefined otherwise.
 */
export function parseInstant(text: unknown): number | undefined {
	if (typeof text !== "string") return undefined;
	const m = INSTANT_RE.exec(text);
	if (!m) return undefined;
	const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map(i => Number(m[i]));
	const s = m[6] === undefined ? 0 : Number(m[6]);
	if (!realDay(y, mo, d) || h > 23 || mi > 59 || s > 59) return undefined;
	let offsetMin = 0;
	if (m[8].toUpperCase() !== "Z") {
		const [oh, om] = [Number(m[10]), Number(m[11])];
		if (oh > 23 || om > 59) return undefined;
		offsetMin = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
	}
	const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
	const utc = new Date(0);
	utc.setUTCFullYear(y, mo - 1, d); // years 0..99 are not taken as 19xx
	utc.setUTCHours(h, mi, s, ms);
	const value = utc.getTime() - offsetMin * 60_000;
	return Number.isFinite(value) ? value : undefined;
}

type Errors = Array<{ type: string; actual?: unknown; message?: string }>;

/** fastest-validator rule: a string that is a real YYYY-MM-DD day (422, type `date`). */
const dateRule = {
	type: "string",
	max: 10,
	description: "YYYY-MM-DD (a real calendar day)",
	custom(value: unknown, errors: Errors, _schema: unknown, field: string) {
		if (typeof value === "string" && !isCalendarDate(value)) errors.push({ type: "date", actual: value, message: `The '${field}' must be a real date written YYYY-MM-DD.` });
		return value;
	},
} as const;

/** fastest-validator rule: an ISO 8601 instant with an offset, every part real (422, type `date`). */
const instantRule = {
	type: "string",
	max: 64,
	description: "ISO 8601 time with an offset, e.g. 2026-11-22T18:00:00.000Z",
	custom(value: unknown, errors: Errors, _schema: unknown, field: string) {
		if (typeof value === "string" && parseInstant(value) === undefined) {
			errors.push({ type: "date", actual: value, message: `The '${field}' must be a real ISO 8601 time with an offset (e.g. 2026-11-22T18:00:00.000Z).` });
		}
		return value;
	},
} as const;
