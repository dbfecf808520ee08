/**
 * A club always keeps an admin: an admin API key (clubs) or an active admin staff member
 * (staff). The two live in different services, so a change that removes an admin (revoking
 * an admin key, demoting or disabling an admin member) runs in a transaction that first
 * takes one advisory lock per club, shared by both services, then counts its own admins in
 * that transaction and asks the other service for its committed count. Every such change
 * holds the same lock until it commits, so two of them never both see "one left".
 */
import type { Knex } from "knex";
import { ConflictError } from "./errors";

const LOCK_CLASS = 0x41444d4e; // "ADMN"

function clubKey(clubId: string): number {
	let h = 0x811c9dc5;
	for (const ch of clubId) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
	return h | 0;
}

/** Serialises the club's admin-removing changes until the transaction ends. */
export async function lockClubAdmins(trx: Knex.Transaction, clubId: string): Promise<void> {
	await trx.raw("SELECT pg_advisory_xact_lock(?::int, ?::int)", [LOCK_CLASS, clubKey(clubId)]);
}

export function lastAdminError(): ConflictError {
	return new ConflictError("LAST_ADMIN", "The club would be left without an admin (neither an admin API key nor an active admin staff member)");
}
