/**
 * The owner row of a client's wallets (migrations/wallets/20261230000000_wallet_owners.ts):
 * opening a wallet and closing the client's wallets both lock it first, so they run one
 * after the other whatever the timing:
 *   - the deletion closes first: the owner is closed, the opening is refused (404 Client);
 *   - the opening commits first: the deletion's lock waits for it, then sees the new wallet
 *     under its row lock and closes it (or refuses the deletion if money came in).
 * A deletion that does not go through opens the owner again.
 */
import type { Knex } from "knex";
import { NOW } from "../../lib/sql";

/** Locks the client's owner row (creating it); answers false when the owner is closed. */
export async function lockOpenOwner(trx: Knex.Transaction, clubId: string, clientId: string): Promise<boolean> {
	const res = await trx.raw(
		`INSERT INTO wallet_owners (club_id, client_id) VALUES (?, ?)
		 ON CONFLICT (club_id, client_id) DO UPDATE SET client_id = EXCLUDED.client_id
		 RETURNING closed_at`,
		[clubId, clientId],
	);
	return res.rows[0].closed_at === null;
}

/** Marks the owner closed (the caller holds its lock, or the client is already gone). */
export async function closeOwner(db: Knex | Knex.Transaction, clubId: string, clientId: string): Promise<void> {
	await db.raw(
		`INSERT INTO wallet_owners (club_id, client_id, closed_at) VALUES (?, ?, ${NOW})
		 ON CONFLICT (club_id, client_id) DO UPDATE SET closed_at = COALESCE(wallet_owners.closed_at, EXCLUDED.closed_at)`,
		[clubId, clientId],
	);
}

export async function reopenOwner(db: Knex | Knex.Transaction, clubId: string, clientId: string): Promise<void> {
	await db("wallet_owners").where({ club_id: clubId, client_id: clientId }).update({ closed_at: null });
}
