import type { Knex } from "knex";

/** Waits at most `timeoutMs` for the transaction-scoped advisory lock (class, key), held until the transaction ends. */
export async function transactionLock(trx: Knex.Transaction, lockClass: number, key: number, timeoutMs: number): Promise<void> {
	await trx.raw(`SET LOCAL lock_timeout = '${Math.max(1, Math.round(timeoutMs))}ms'`);
	await trx.raw("SELECT pg_advisory_xact_lock(?::int, ?::int)", [lockClass, key]);
}
