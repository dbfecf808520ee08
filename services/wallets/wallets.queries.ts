/**
 * Pure queries of the wallets schema: (db | trx, args) -> rows.
 * Every balance change is ONE conditional statement that moves the balance and writes the
 * ledger entry together (a CTE), so the row lock on the wallet is held for as short as
 * possible and `balance_after` is exactly the balance that statement produced.
 */
import type { Knex } from "knex";
import type { TransactionType } from "./wallets.contract";
import { NOW } from "../../lib/sql";
import { packCursor, unpackCursor } from "../../lib/pagination";
import { claimKeyRowsCte } from "../../mixins/idempotency.queries";
import { closeOwner, lockOpenOwner, reopenOwner } from "./wallets.owners.queries";

export type Db = Knex | Knex.Transaction;
export type { TransactionType } from "./wallets.contract";

export interface WalletRow {
	id: string;
	club_id: string;
	client_id: string;
	currency: string;
	balance: number;
	created_at: Date;
	updated_at: Date;
	/** Set when the client was deleted: credits are refused (WALLET_CLOSED). */
	closed_at: Date | null;
}

export interface TransactionRow {
	id: string;
	seq: number;
	club_id: string;
	wallet_id: string;
	type: TransactionType;
	amount: number;
	balance_after: number;
	reference: string | null;
	refund_of: string | null;
	created_at: Date;
}

export const findWallet = (db: Db, clubId: string, id: string): Promise<WalletRow | undefined> =>
	db<WalletRow>("wallets").where({ club_id: clubId, id }).first();

export const findWalletOf = (db: Db, clubId: string, clientId: string, currency: string): Promise<WalletRow | undefined> =>
	db<WalletRow>("wallets").where({ club_id: clubId, client_id: clientId, currency }).first();

export const walletsOfClient = (db: Db, clubId: string, clientId: string): Promise<WalletRow[]> =>
	db<WalletRow>("wallets").where({ club_id: clubId, client_id: clientId }).orderBy([{ column: "created_at" }, { column: "currency" }]);

/** Inserts the wallet; undefined when the client already has one in that currency. */
export async function insertWallet(db: Db, row: { id: string; club_id: string; client_id: string; currency: string }): Promise<WalletRow | undefined> {
	const rows: WalletRow[] = await db("wallets").insert(row).onConflict(["club_id", "client_id", "currency"]).ignore().returning("*");
	return rows[0];
}

/**
 * One page of the wallet's entries, newest first in the order they were applied (`seq`,
 * taken under the wallet's row lock; many entries of one group commit share a millisecond,
 * so (created_at, id) would not give the ledger's order). The cursor is the last seq.
 */
export async function pageTransactions(db: Db, clubId: string, walletId: string, opts: { limit?: number; cursor?: string }): Promise<{ rows: TransactionRow[]; nextCursor: string | null }> {
	const limit = opts.limit ?? 50;
	const before = decodeSeqCursor(opts.cursor);
	const query = db<TransactionRow>("transactions").where({ club_id: clubId, wallet_id: walletId });
	if (before !== null) query.where("seq", "<", before);
	const rows: TransactionRow[] = await query.orderBy("seq", "desc").limit(limit + 1);
	const more = rows.length > limit;
	const page = more ? rows.slice(0, limit) : rows;
	return { rows: page, nextCursor: more ? packCursor(["seq", page[page.length - 1].seq]) : null };
}

/**
 * The ledger's cursor is ["seq", n] (packCursor), not lib/pagination's (created_at, id): many
 * entries of one group commit share a millisecond, and only `seq` is the order they were applied in.
 * undefined/empty → null; a cursor this API did not give out → 422 on 'cursor'.
 */
function decodeSeqCursor(cursor: string | undefined): number | null {
	if (!cursor) return null;
	return unpackCursor(cursor, (p): p is ["seq", number] => p[0] === "seq" && Number.isSafeInteger(p[1]) && (p[1] as number) > 0)[1];
}

export const findTransaction = (db: Db, clubId: string, walletId: string, id: string): Promise<TransactionRow | undefined> =>
	db<TransactionRow>("transactions").where({ club_id: clubId, wallet_id: walletId, id }).first();

/** The newest `limit` entries of each of these wallets. */
export async function recentTransactions(db: Db, clubId: string, walletIds: string[], limit: number): Promise<TransactionRow[]> {
	if (!walletIds.length) return [];
	const res = await db.raw(
		`SELECT t.* FROM unnest(string_to_array(?, ',')::uuid[]) AS w(id)
		 CROSS JOIN LATERAL (
			SELECT * FROM transactions
			 WHERE club_id = ? AND wallet_id = w.id
			 ORDER BY seq DESC
			 LIMIT ?
		 ) t`,
		[walletIds.join(","), clubId, limit],
	);
	return res.rows;
}

export interface Movement {
	id: string;
	clubId: string;
	walletId: string;
	amount: number;
	reference: string | null;
}

/**
 * Debit: the balance moves only if it stays >= 0 (the WHERE), and the entry is written by
 * the same statement. undefined = not enough money (the wallet exists: the caller checked).
 */
export async function debit(db: Db, m: Movement): Promise<TransactionRow | undefined> {
	const res = await db.raw(
		`WITH w AS (
			UPDATE wallets SET balance = balance - :amount, updated_at = ${NOW}
			 WHERE club_id = :clubId AND id = :walletId AND balance >= :amount
			 RETURNING id, balance
		)
		INSERT INTO transactions (id, club_id, wallet_id, type, amount, balance_after, reference)
		SELECT :id, :clubId, w.id, 'debit', :amount, w.balance, :reference FROM w
		RETURNING *`,
		{ ...m },
	);
	return res.rows[0];
}

/**
 * The debit batcher's first statement (wallets.batcher.ts), one round trip: the batch's
 * lock timeout and idempotency keys (claimed in the table as the mixin does; a key that
 * exists stays out of `freshKeys`), then the wallet's row lock. undefined: no such wallet.
 */
export async function lockWalletClaimingKeys(
	trx: Knex.Transaction,
	o: { clubId: string; walletId: string; action: string; claims: Array<{ key: string; hash: string }>; lockTimeoutMs: number },
): Promise<{ wallet: WalletRow; freshKeys: string[] } | undefined> {
	const claim = claimKeyRowsCte("k", { clubId: o.clubId, action: o.action, claims: o.claims, lockTimeoutMs: o.lockTimeoutMs });
	const res = await trx.raw(
		`WITH ${claim.sql}
		 SELECT w.*, (SELECT coalesce(json_agg(k.key), '[]'::json) FROM k) AS fresh_keys
		   FROM wallets w WHERE w.club_id = ? AND w.id = ? FOR UPDATE OF w`,
		[...claim.bindings, o.clubId, o.walletId],
	);
	const found = res.rows[0] as (WalletRow & { fresh_keys: string[] }) | undefined;
	if (!found) return undefined;
	const { fresh_keys: freshKeys, ...wallet } = found;
	return { wallet, freshKeys };
}

/**
 * Many debits of one locked wallet in one statement: the balance goes from `from` to `to`
 * (only if it still is `from`: the caller decided under the row lock) and the ledger rows
 * go in, in this order. Answers the rows written (none when the balance was not `from`).
 */
export async function debitMany(
	trx: Knex.Transaction,
	o: { clubId: string; walletId: string; from: number; to: number; debits: Array<{ id: string; amount: number; balanceAfter: number; reference: string | null }> },
): Promise<TransactionRow[]> {
	const rows = JSON.stringify(o.debits.map((d, n) => ({ id: d.id, amount: d.amount, balance_after: d.balanceAfter, reference: d.reference, n })));
	const res = await trx.raw(
		`WITH w AS (
			UPDATE wallets SET balance = ?, updated_at = ${NOW}
			 WHERE club_id = ? AND id = ? AND balance = ? RETURNING id
		 )
		 INSERT INTO transactions (id, club_id, wallet_id, type, amount, balance_after, reference)
		 SELECT u.id, ?, w.id, 'debit', u.amount, u.balance_after, u.reference
		   FROM json_to_recordset(?::json) AS u(id uuid, amount int8, balance_after int8, reference text, n int), w
		  ORDER BY u.n
		 RETURNING *`,
		[o.to, o.clubId, o.walletId, o.from, o.clubId, rows],
	);
	return res.rows;
}

/** Top-up or refund: credits the wallet and writes the entry in one statement. */
export async function credit(db: Db, m: Movement & { type: "top_up" | "refund"; refundOf: string | null }): Promise<TransactionRow | undefined> {
	const res = await db.raw(
		`WITH w AS (
			UPDATE wallets SET balance = balance + :amount, updated_at = ${NOW}
			 WHERE club_id = :clubId AND id = :walletId AND closed_at IS NULL
			 RETURNING id, balance
		)
		INSERT INTO transactions (id, club_id, wallet_id, type, amount, balance_after, reference, refund_of)
		SELECT :id, :clubId, w.id, :type, :amount, w.balance, :reference, :refundOf FROM w
		RETURNING *`,
		{ ...m },
	);
	return res.rows[0];
}

/**
 * Closes the client's wallets unless one holds money, under their row locks (a credit that
 * got there first is seen; one that comes after finds the wallet closed). Answers the ids
 * of the wallets that hold money (nothing was closed), or [] (all closed).
 */
export async function closeClientWallets(trx: Knex.Transaction, clubId: string, clientId: string): Promise<{ withMoney: string[]; closed: string[] }> {
	// The owner's lock first: a wallet being opened for this client commits before, or is refused after.
	await lockOpenOwner(trx, clubId, clientId);
	const rows: Array<{ id: string; balance: number }> = await trx("wallets").where({ club_id: clubId, client_id: clientId }).orderBy("id").forUpdate().select("id", "balance");
	const withMoney = rows.filter(r => r.balance > 0).map(r => r.id);
	let closed: string[] = [];
	if (!withMoney.length) {
		closed = await closeEmptyClientWallets(trx, clubId, clientId);
		await closeOwner(trx, clubId, clientId);
	}
	return { withMoney, closed };
}

/** Closes the client's empty wallets (each one decided under its row lock); one holding money stays open. */
export async function closeEmptyClientWallets(db: Db, clubId: string, clientId: string): Promise<string[]> {
	const rows: Array<{ id: string }> = await db("wallets").where({ club_id: clubId, client_id: clientId, balance: 0 }).whereNull("closed_at").update({ closed_at: db.raw(NOW) }).returning("id");
	return rows.map(r => r.id);
}

/** Opens them again (the client's deletion did not go through). */
export async function reopenClientWallets(db: Db, clubId: string, clientId: string): Promise<string[]> {
	await reopenOwner(db, clubId, clientId);
	const rows: Array<{ id: string }> = await db("wallets").where({ club_id: clubId, client_id: clientId }).whereNotNull("closed_at").update({ closed_at: null }).returning("id");
	return rows.map(r => r.id);
}

/**
 * Locks a debit entry (FOR UPDATE: row locks do not fire the immutability trigger) so the
 * refunds of one debit are decided one at a time, and answers what is still refundable.
 */
export async function lockForRefund(trx: Knex.Transaction, clubId: string, transactionId: string): Promise<{ row: TransactionRow; refunded: number } | undefined> {
	const row: TransactionRow | undefined = await trx<TransactionRow>("transactions").where({ club_id: clubId, id: transactionId }).forUpdate().first();
	if (!row) return undefined;
	const sum = await trx("transactions").where({ club_id: clubId, refund_of: transactionId }).sum({ total: "amount" }).first();
	return { row, refunded: Number(sum?.total ?? 0) };
}

/** The transaction reads one snapshot (its first statement): balances and entries as of the same instant. */
export async function readOnlySnapshot(trx: Knex.Transaction): Promise<void> {
	await trx.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

export interface Mismatch {
	wallet_id: string;
	client_id: string;
	currency: string;
	balance: number;
	ledger_balance: number;
	last_balance_after: number | null;
	entries: number;
	broken_entries: number;
}

/**
 * Every wallet of the club against its ledger: balance = Σ top_up + Σ refund + Σ transfer_in − Σ debit − Σ transfer_out, the
 * newest entry's balance_after = balance, and every entry's balance_after = the running sum
 * up to it (in the order the entries were applied). Answers the wallets that break any of it.
 */
export async function reconcile(db: Db, clubId: string): Promise<{ checked: number; entries: number; mismatches: Mismatch[] }> {
	const res = await db.raw(
		`WITH e AS (
			SELECT wallet_id, seq, balance_after,
			       SUM(CASE WHEN type IN ('debit', 'transfer_out') THEN -amount ELSE amount END) OVER (PARTITION BY wallet_id ORDER BY seq) AS running,
			       ROW_NUMBER() OVER (PARTITION BY wallet_id ORDER BY seq DESC) AS rn
			  FROM transactions WHERE club_id = :clubId
		), s AS (
			SELECT wallet_id,
			       COUNT(*) AS entries,
			       COUNT(*) FILTER (WHERE balance_after <> running) AS broken_entries,
			       MAX(running) FILTER (WHERE rn = 1) AS ledger_balance,
			       MAX(balance_after) FILTER (WHERE rn = 1) AS last_balance_after
			  FROM e GROUP BY wallet_id
		)
		SELECT w.id AS wallet_id, w.client_id, w.currency, w.balance,
		       COALESCE(s.ledger_balance, 0)::int8 AS ledger_balance, s.last_balance_after::int8 AS last_balance_after,
		       COALESCE(s.entries, 0)::int8 AS entries, COALESCE(s.broken_entries, 0)::int8 AS broken_entries
		  FROM wallets w LEFT JOIN s ON s.wallet_id = w.id
		 WHERE w.club_id = :clubId
		 ORDER BY w.created_at, w.id`,
		{ clubId },
	);
	const rows: Mismatch[] = res.rows;
	return {
		checked: rows.length,
		entries: rows.reduce((n, r) => n + r.entries, 0),
		mismatches: rows.filter(r => r.balance !== r.ledger_balance || r.broken_entries > 0 || (r.last_balance_after !== null && r.last_balance_after !== r.balance)),
	};
}
