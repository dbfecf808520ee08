/** The club-wide Idempotency-Key claims' statement (clubs.claims.ts). */
import type { Knex } from "knex";

const CLAIMS_TABLE = "idempotency_claims";

export interface Claim {
	key: string;
	hash: string;
}

/** A pool session of the claims commits without waiting for the WAL flush (knex's afterCreate; why it is safe: clubs.claims.ts). */
export function withoutFlushWait(conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void): void {
	conn.query("SET synchronous_commit = off", err => done(err, conn));
}

/**
 * Claims the keys for their requests in ONE statement: a new key is inserted; an existing one
 * (even committed by another node a moment ago) is returned as it is, with the hash of the
 * request that holds it. One row per key (the first claim of it), in key order, so two calls
 * never wait on each other crosswise. Answers key -> the hash that holds it.
 */
export async function claimKeys(db: Knex, clubId: string, claims: Claim[]): Promise<Map<string, string>> {
	const first = new Map<string, Claim>();
	for (const c of claims) if (!first.has(c.key)) first.set(c.key, c);
	const rows = JSON.stringify([...first.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
	const res = await db.raw(
		`INSERT INTO ${CLAIMS_TABLE} AS c (club_id, key, request_hash)
		 SELECT ?, u.key, u.hash FROM json_to_recordset(?::json) AS u(key text, hash text)
		 ON CONFLICT (club_id, key) DO UPDATE SET key = c.key
		 RETURNING c.key, c.request_hash`,
		[clubId, rows],
	);
	return new Map<string, string>(res.rows.map((r: { key: string; request_hash: string }) => [r.key, r.request_hash]));
}
