/**
 * A club always keeps an admin: an admin API key (clubs) or an active admin staff member
 * (staff). The two live in different services, so a change that removes an admin (revoking
 * an admin key, demoting or disabling an admin member) runs in a transaction that first
 * takes one advisory lock per club, shared by both services, then counts its own admins in
 * that transaction and asks the other service for its committed count. Every such change
 * holds the same lock until it commits, so two of them never both see "one left".
 *
 * The other service's count is a call made while holding the lock (CONTRIBUTING.md's rule for
 * calls inside a transaction): its answer decides the write, the callee only reads committed
 * rows and takes no lock, and the call (`countUnderAdminLock`) has no retry and a timeout
 * shorter than the lock_timeout every such transaction waits with, so a holder stuck on the
 * call gives the lock up before the next change waiting for it gives up.
 */
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { ConflictError } from "./errors";
import { transactionLock } from "./locks.queries";

/** How long an admin-removing change waits for the club's lock (and any row lock after it). */
export const ADMIN_LOCK_TIMEOUT_MS = 10_000;
/** The other service's count under the lock: answered well within the lock_timeout, or the change fails. */
export const ADMIN_COUNT_TIMEOUT_MS = 5_000;

const LOCK_CLASS = 0x41444d4e; // "ADMN"

function clubKey(clubId: string): number {
	let h = 0x811c9dc5;
	for (const ch of clubId) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
	return h | 0;
}

/** Serialises the club's admin-removing changes until the transaction ends. */
export async function lockClubAdmins(trx: Knex.Transaction, clubId: string): Promise<void> {
	await transactionLock(trx, LOCK_CLASS, clubKey(clubId), ADMIN_LOCK_TIMEOUT_MS);
}

/** The other service's committed admin count (`clubs.countAdminKeys` / `staff.countActiveAdmins`), asked under the lock. */
export async function countUnderAdminLock(ctx: Context<any, any>, action: "clubs.countAdminKeys" | "staff.countActiveAdmins", clubId: string): Promise<number> {
	return ctx.call<number, Record<string, never>>(action, {}, { meta: { clubId }, retries: 0, timeout: ADMIN_COUNT_TIMEOUT_MS });
}

export function lastAdminError(): ConflictError {
	return new ConflictError("LAST_ADMIN", "The club would be left without an admin (neither an admin API key nor an active admin staff member)");
}
