/**
 * The idempotency table's statements (mixins/idempotency.mixin.ts), one place for every writer
 * of it: the mixin (one key per transaction) and the wallets' debit batcher (many keys per
 * transaction, services/wallets/wallets.batcher.ts). A key is claimed in the table before its
 * work runs; its answer (status + body) or its refusal (status + storedError) is stored in the
 * same transaction as the work; a later request with the key reads it back (replayOf).
 */
import type { Knex } from "knex";
import { keyReusedError, rebuildError, storedError } from "./idempotency.errors";

export const IDEMPOTENCY_TABLE = "idempotency_keys";

type Db = Knex | Knex.Transaction;

/** A row of the table as the replay reads it. */
export interface StoredKey {
	request_hash: string;
	status_code: number | null;
	response: unknown;
	error: unknown;
}

/** What a stored key answers a request with this hash: the first answer, its refusal, or 422 (another request's key). */
export type Replay = { kind: "replay"; status: number | null; value: unknown } | { kind: "error"; err: Error };

/** How long a statement of this transaction waits for a row lock (a key or a wallet held by another run). */
export async function setLockTimeout(trx: Knex.Transaction, ms: number): Promise<void> {
	await trx.raw(`SET LOCAL lock_timeout = '${Math.max(100, ms)}ms'`);
}

/** The key's work runs under a savepoint: a refusal rolls the work back and keeps the claimed key, to store the refusal in. */
export async function savepoint(trx: Knex.Transaction): Promise<void> {
	await trx.raw("SAVEPOINT idempotent_work");
}

export async function rollbackToSavepoint(trx: Knex.Transaction): Promise<void> {
	await trx.raw("ROLLBACK TO SAVEPOINT idempotent_work");
}

/** Claims the key in the table for this request; false when it is already there (a replay, a reuse, or one in flight). */
export async function claimKeyRow(trx: Knex.Transaction, row: { clubId: string; key: string; hash: string; action: string }): Promise<boolean> {
	const inserted = await trx.raw(`INSERT INTO ${IDEMPOTENCY_TABLE} (club_id, key, request_hash, action) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING key`, [
		row.clubId,
		row.key,
		row.hash,
		row.action,
	]);
	return inserted.rows.length > 0;
}

/**
 * The claim of many keys at once, as a CTE to put in front of the caller's own statement (so
 * the claims and, e.g., a row lock go in one round trip): `WITH <sql> SELECT ... (SELECT
 * coalesce(json_agg(key), '[]'::json) FROM <name>) ...`. The CTE `<name>` returns the keys
 * inserted (the ones this transaction now holds); `lockTimeoutMs` is set for the transaction first.
 */
export function claimKeyRowsCte(name: string, o: { clubId: string; action: string; claims: Array<{ key: string; hash: string }>; lockTimeoutMs: number }): { sql: string; bindings: Knex.RawBinding[] } {
	return {
		sql: `${name}_cfg AS MATERIALIZED (SELECT set_config('lock_timeout', '${Math.max(100, o.lockTimeoutMs)}ms', true) AS v),
		 ${name} AS (
			INSERT INTO ${IDEMPOTENCY_TABLE} (club_id, key, request_hash, action)
			SELECT ?, u.key, u.hash, ? FROM json_to_recordset(?::json) AS u(key text, hash text), ${name}_cfg
			ON CONFLICT DO NOTHING RETURNING key
		 )`,
		bindings: [o.clubId, o.action, JSON.stringify(o.claims.map(c => ({ key: c.key, hash: c.hash })))],
	};
}

export const readKey = (db: Db, clubId: string, key: string): Promise<StoredKey | undefined> => db(IDEMPOTENCY_TABLE).where({ club_id: clubId, key }).first();

/** What the stored key answers a request of this hash (read under the key's row lock, so the first run has finished). */
export function replayOf(row: StoredKey, hash: string): Replay {
	if (row.request_hash !== hash) return { kind: "error", err: keyReusedError() };
	if (row.error) return { kind: "error", err: rebuildError(row.error) };
	return { kind: "replay", status: row.status_code, value: row.response };
}

/** Stores the key's answer (json keeps the text as written: a replay is byte-for-byte the first answer). */
export async function storeAnswer(trx: Knex.Transaction, clubId: string, key: string, status: number, value: unknown): Promise<void> {
	await trx(IDEMPOTENCY_TABLE).where({ club_id: clubId, key }).update({ status_code: status, response: JSON.stringify(value ?? null) });
}

/** Stores the key's refusal (a client error), so a replay answers the same status and body. */
export async function storeError(trx: Knex.Transaction, clubId: string, key: string, err: { code: number }): Promise<void> {
	await trx(IDEMPOTENCY_TABLE).where({ club_id: clubId, key }).update({ status_code: err.code, error: JSON.stringify(storedError(err)) });
}

/** One key's answer in a batch: a body (fresh) or a refusal, stored as storeAnswer / storeError would. */
export type Answer = { key: string; status: number; response: unknown; error: null } | { key: string; status: number; response: null; error: ReturnType<typeof storedError> };

export const answerOf = (key: string, status: number, value: unknown): Answer => ({ key, status, response: value ?? null, error: null });
export const refusalOf = (key: string, err: { code: number }): Answer => ({ key, status: err.code, response: null, error: storedError(err) });

/** Stores the answers of many keys in one statement (the keys were claimed by this transaction). */
export async function storeAnswers(trx: Knex.Transaction, clubId: string, answers: Answer[]): Promise<void> {
	if (!answers.length) return;
	await trx.raw(
		`UPDATE ${IDEMPOTENCY_TABLE} k SET status_code = u.status, response = u.response, error = u.error
		   FROM json_to_recordset(?::json) AS u(key text, status int, response json, error json)
		  WHERE k.club_id = ? AND k.key = u.key`,
		[JSON.stringify(answers), clubId],
	);
}
