/** Pure queries of clients.importBatch (services/clients/clients.import-batch.ts): the chunk ledger and the multi-row writes. */
import type { Knex } from "knex";
import { NOW } from "../../lib/sql";
import type { NewClientRow } from "./clients.queries";

type Db = Knex | Knex.Transaction;

export interface BatchKey {
	clubId: string;
	jobId: string;
	chunkIndex: number;
}

const batchWhere = (k: BatchKey) => ({ club_id: k.clubId, job_id: k.jobId, chunk_index: k.chunkIndex });

/** Records the chunk as applied (outcome to come): false when it already was (a redelivery waits here for the first one's commit). */
export async function markBatch(trx: Knex.Transaction, k: BatchKey): Promise<boolean> {
	const mark = await trx.raw(
		`INSERT INTO import_batches (club_id, job_id, chunk_index, outcome) VALUES (?, ?, ?, '{}'::jsonb)
		 ON CONFLICT DO NOTHING RETURNING 1`,
		[k.clubId, k.jobId, k.chunkIndex],
	);
	return !!mark.rowCount;
}

/** The stored outcome of a chunk applied before. */
export async function batchOutcome<T>(trx: Knex.Transaction, k: BatchKey): Promise<T> {
	const prev = await trx("import_batches").where(batchWhere(k)).first();
	return prev.outcome as T;
}

export async function storeBatchOutcome(trx: Knex.Transaction, k: BatchKey, outcome: unknown): Promise<void> {
	await trx("import_batches").where(batchWhere(k)).update({ outcome: JSON.stringify(outcome) });
}

/** The columns of an imported client: a new client's row without what the statement sets (club, source). */
export type ImportRow = Omit<NewClientRow, "club_id" | "source" | "email"> & { email?: string };

/** New clients in one statement (source import); an e-mail a live client took meanwhile is left out. The rows written. */
export async function insertImportRows(trx: Db, clubId: string, rows: ImportRow[]): Promise<Array<{ id: string; email: string }>> {
	const res = await trx.raw(
		`INSERT INTO clients (club_id, id, full_name, email, phone, gender, country, birth_date, notes, group_id, tags, verified, source)
		 SELECT ?, r.id, r.full_name, r.email, r.phone, r.gender, r.country, r.birth_date, r.notes, r.group_id, r.tags, r.verified, 'import'
		   FROM jsonb_to_recordset(?::jsonb) AS r(id uuid, full_name text, email text, phone text, gender text, country text,
		        birth_date date, notes text, group_id uuid, tags text[], verified boolean)
		 ON CONFLICT (club_id, email) WHERE deleted_at IS NULL DO NOTHING
		 RETURNING id, email`,
		[clubId, JSON.stringify(rows)],
	);
	return res.rows;
}

/** Existing clients' new values in one statement; a client deleted or verified meanwhile is left out. The ids written. */
export async function updateImportRows(trx: Db, clubId: string, rows: ImportRow[]): Promise<string[]> {
	const res = await trx.raw(
		`UPDATE clients c SET full_name = u.full_name, phone = u.phone, gender = u.gender, country = u.country,
		        birth_date = u.birth_date, notes = u.notes, group_id = u.group_id, tags = u.tags, verified = u.verified,
		        updated_at = ${NOW}
		   FROM jsonb_to_recordset(?::jsonb) AS u(id uuid, full_name text, phone text, gender text, country text,
		        birth_date date, notes text, group_id uuid, tags text[], verified boolean)
		  WHERE c.club_id = ? AND c.id = u.id AND c.deleted_at IS NULL AND c.verified = false
		 RETURNING c.id`,
		[JSON.stringify(rows), clubId],
	);
	return res.rows.map((r: { id: string }) => r.id);
}
