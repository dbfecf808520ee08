/**
 * The wallets' side of a client merge (see wallets.merge.ts): pure queries of the wallets
 * schema. Every balance change is one statement that moves the balance and writes its ledger
 * entry together, as the other movements do (wallets.queries.ts).
 */
import type { Knex } from "knex";
import type { MergeResult } from "./wallets.contract";
import type { TransactionRow, WalletRow } from "./wallets.queries";

export type { MergeResult } from "./wallets.contract";
import { NOW } from "../../lib/sql";

type Db = Knex | Knex.Transaction;

export interface MergeRow {
	club_id: string;
	merge_id: string;
	source_id: string;
	target_id: string;
	status: "applied" | "aborted";
	result: MergeResult | null;
	created_at: Date;
}

/** Both clients' wallets, locked in id order (the order every locker uses). */
export async function lockWalletsOf(trx: Knex.Transaction, clubId: string, clientIds: string[]): Promise<WalletRow[]> {
	return trx<WalletRow>("wallets").where({ club_id: clubId }).whereIn("client_id", clientIds).orderBy("id").forUpdate();
}

export const walletsOf = (db: Db, clubId: string, clientIds: string[]): Promise<WalletRow[]> =>
	db<WalletRow>("wallets").where({ club_id: clubId }).whereIn("client_id", clientIds).orderBy([{ column: "created_at" }, { column: "currency" }]);

/** Claims the merge id for `status`; answers the row that holds it (this one, or the earlier one). */
export async function claimMerge(trx: Db, row: Omit<MergeRow, "created_at" | "result">): Promise<{ claimed: boolean; row: MergeRow }> {
	const res = await trx.raw(
		`INSERT INTO merges (club_id, merge_id, source_id, target_id, status) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT (club_id, merge_id) DO NOTHING RETURNING *`,
		[row.club_id, row.merge_id, row.source_id, row.target_id, row.status],
	);
	if (res.rows[0]) return { claimed: true, row: res.rows[0] };
	return { claimed: false, row: (await trx<MergeRow>("merges").where({ club_id: row.club_id, merge_id: row.merge_id }).first())! };
}

export async function storeMergeResult(trx: Db, clubId: string, mergeId: string, result: MergeResult): Promise<void> {
	await trx("merges").where({ club_id: clubId, merge_id: mergeId }).update({ result: JSON.stringify(result) });
}

/** The wallet changes owner (the target had none in its currency). */
export async function reown(trx: Db, clubId: string, walletId: string, clientId: string): Promise<void> {
	await trx("wallets").where({ club_id: clubId, id: walletId }).update({ client_id: clientId, updated_at: trx.raw(NOW) });
}

export async function closeWallet(trx: Db, clubId: string, walletId: string): Promise<void> {
	await trx("wallets").where({ club_id: clubId, id: walletId }).whereNull("closed_at").update({ closed_at: trx.raw(NOW) });
}

/**
 * One transfer entry: `transfer_out` takes `amount` from the wallet (never below zero),
 * `transfer_in` puts it in (an open wallet only). undefined when the wallet refused it.
 */
export async function transfer(
	trx: Db,
	m: { id: string; clubId: string; walletId: string; amount: number; reference: string; type: "transfer_out" | "transfer_in" },
): Promise<TransactionRow | undefined> {
	const change = m.type === "transfer_out" ? "balance - :amount" : "balance + :amount";
	const guard = m.type === "transfer_out" ? "balance >= :amount" : "closed_at IS NULL";
	const res = await trx.raw(
		`WITH w AS (
			UPDATE wallets SET balance = ${change}, updated_at = ${NOW}
			 WHERE club_id = :clubId AND id = :walletId AND ${guard}
			 RETURNING id, balance
		)
		INSERT INTO transactions (id, club_id, wallet_id, type, amount, balance_after, reference)
		SELECT :id, :clubId, w.id, :type, :amount, w.balance, :reference FROM w
		RETURNING *`,
		{ ...m },
	);
	return res.rows[0];
}
