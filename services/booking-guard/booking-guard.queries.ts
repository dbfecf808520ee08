/**
 * Pure queries of the booking_guard schema: (db | trx, args) -> rows.
 *
 * "Now" is NOW (lib/sql.ts): the wall clock, truncated to milliseconds. starts_at is
 * timestamptz(3), so `starts_at > NOW` holds exactly when starts_at is after the untruncated
 * instant; inside a transaction it is the statement's time, not the transaction's start.
 */
import type { Knex } from "knex";
import { NOW } from "../../lib/sql";

/**
 * NOW once per statement, for comparisons with starts_at: NOW (clock_timestamp) is volatile,
 * so bare it is evaluated per row and never an index condition (now() was); a sub-SELECT is
 * evaluated once (an InitPlan) and the bookings indexes on starts_at serve the comparison.
 */
const NOW_ONCE = `(SELECT ${NOW})`;

export type Db = Knex | Knex.Transaction;

export interface BookingRow {
	id: string;
	club_id: string;
	client_id: string;
	product_id: string;
	starts_at: Date;
	ends_at: Date;
	status: "confirmed" | "cancelled";
	series_id: string | null;
	reference: string | null;
	channel: "online" | "staff";
	created_at: Date;
	cancelled_at: Date | null;
}

export type NewBooking = Omit<BookingRow, "created_at" | "cancelled_at" | "status">;

/**
 * Serialises every reservation of one client (on every booking-guard node: the lock lives
 * in Postgres) until the transaction ends, so count-then-insert is exact.
 */
export async function lockClient(trx: Knex.Transaction, clubId: string, clientId: string): Promise<void> {
	await trx.raw("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", [`booking-guard:${clubId}:${clientId}`]);
}

/** Start times (ms, ascending) of the client's confirmed bookings that start after now. */
export async function futureStarts(db: Db, clubId: string, clientId: string): Promise<number[]> {
	const rows: Array<{ starts_at: Date }> = await db("bookings")
		.select("starts_at")
		.where({ club_id: clubId, client_id: clientId, status: "confirmed" })
		.whereRaw(`starts_at > ${NOW_ONCE}`)
		.orderBy("starts_at", "asc");
	return rows.map(r => r.starts_at.getTime());
}

/** Number of the client's confirmed bookings that start after `now`. */
export async function countFuture(db: Db, clubId: string, clientId: string, now: Date): Promise<number> {
	const [row] = await db("bookings")
		.where({ club_id: clubId, client_id: clientId, status: "confirmed" })
		.where("starts_at", ">", now)
		.count<{ count: number }[]>("* as count");
	return Number(row.count);
}

export async function insertBookings(trx: Knex.Transaction, rows: NewBooking[]): Promise<BookingRow[]> {
	const out: BookingRow[] = [];
	// One statement per 500 rows keeps the bind count far under Postgres' limit.
	for (let i = 0; i < rows.length; i += 500) {
		out.push(...(await trx("bookings").insert(rows.slice(i, i + 500).map(r => ({ ...r, status: "confirmed" }))).returning("*")));
	}
	return out.sort((a, b) => a.starts_at.getTime() - b.starts_at.getTime());
}

/** Number of the client's bookings, any status. */
export async function countBookings(db: Db, clubId: string, clientId: string): Promise<number> {
	const [row] = await db("bookings").where({ club_id: clubId, client_id: clientId }).count<{ count: number }[]>("* as count");
	return Number(row.count);
}

/** Re-owns every booking of the source by the target (a client merge); the number moved. */
export async function moveBookings(trx: Knex.Transaction, clubId: string, sourceId: string, targetId: string): Promise<number> {
	return Number(await trx("bookings").where({ club_id: clubId, client_id: sourceId }).update({ client_id: targetId }));
}

export const findBooking = (db: Db, clubId: string, id: string): Promise<BookingRow | undefined> =>
	db<BookingRow>("bookings").where({ club_id: clubId, id }).first();

/** Cancels one booking if it is still confirmed; undefined when it was not. */
export async function cancelBooking(db: Db, clubId: string, id: string): Promise<BookingRow | undefined> {
	const [row] = await db<BookingRow>("bookings")
		.where({ club_id: clubId, id, status: "confirmed" })
		.update({ status: "cancelled", cancelled_at: db.raw(NOW) as any })
		.returning("*");
	return row;
}

export async function seriesExists(db: Db, clubId: string, seriesId: string): Promise<boolean> {
	const row = await db("bookings").select("id").where({ club_id: clubId, series_id: seriesId }).first();
	return Boolean(row);
}

/** Cancels the series' confirmed occurrences that have not started yet. */
export async function cancelSeriesFuture(db: Db, clubId: string, seriesId: string): Promise<BookingRow[]> {
	const rows: BookingRow[] = await db<BookingRow>("bookings")
		.where({ club_id: clubId, series_id: seriesId, status: "confirmed" })
		.whereRaw(`starts_at > ${NOW_ONCE}`)
		.update({ status: "cancelled", cancelled_at: db.raw(NOW) as any })
		.returning("*");
	return rows.sort((a, b) => a.starts_at.getTime() - b.starts_at.getTime());
}

/** Cancels the client's confirmed bookings that have not started yet. */
export async function cancelClientFuture(db: Db, clubId: string, clientId: string): Promise<BookingRow[]> {
	return db<BookingRow>("bookings")
		.where({ club_id: clubId, client_id: clientId, status: "confirmed" })
		.whereRaw(`starts_at > ${NOW_ONCE}`)
		.update({ status: "cancelled", cancelled_at: db.raw(NOW) as any })
		.returning("*");
}

/** The client's bookings of a scope (by start: future = after now, past = at or before now). */
export function historyQuery(db: Db, clubId: string, clientId: string, scope: "future" | "past" | "all"): Knex.QueryBuilder {
	const q = db("bookings").where({ club_id: clubId, client_id: clientId });
	if (scope === "future") q.whereRaw(`starts_at > ${NOW_ONCE}`);
	if (scope === "past") q.whereRaw(`starts_at <= ${NOW_ONCE}`);
	return q;
}
