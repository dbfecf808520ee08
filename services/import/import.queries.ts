/** Pure queries of the import schema: (db | trx, args) -> rows. Every tenant query filters by club_id. */
import type { Knex } from "knex";
import { NOW } from "../../lib/sql";
import type { JobOptions, JobStatus } from "./import.contract";

export type { JobOptions, JobStatus };

type Db = Knex | Knex.Transaction;

export interface JobRow {
	id: string;
	club_id: string;
	status: JobStatus;
	file_name: string | null;
	options: JobOptions;
	total_rows: number;
	chunks_total: number | null;
	chunks_done: number;
	processed_rows: number;
	created: number;
	updated: number;
	skipped: number;
	failed: number;
	/** Rows imported that looked like clients the club already had (POSSIBLE_DUPLICATE). */
	possible_duplicates: number;
	warnings: string[];
	error: string | null;
	/** A cancel was asked for: no chunk starts any more and the job cannot complete (it ends cancelled). */
	cancel_requested: boolean;
	created_at: Date;
	started_at: Date | null;
	finished_at: Date | null;
	updated_at: Date;
}

export interface RowErrorRow {
	id: number;
	line: number;
	field: string;
	code: string;
	message: string;
}

export interface ChunkCounts {
	rows: number;
	created: number;
	updated: number;
	skipped: number;
	failed: number;
	possibleDuplicates?: number;
}

/** Warnings kept per job (the first ones; the rest would say the same thing again). */
const MAX_WARNINGS = 100;

export const jobsOfClub = (db: Db, clubId: string) => db<JobRow>("jobs").where({ club_id: clubId });

export const findJob = (db: Db, clubId: string, id: string) => jobsOfClub(db, clubId).where({ id }).first();

export async function insertJob(db: Db, row: { id: string; club_id: string; file_name: string | null; options: JobOptions }): Promise<JobRow> {
	const [job] = await db<JobRow>("jobs")
		.insert({ ...row, options: JSON.stringify(row.options) as any, status: "running", started_at: db.raw(NOW) as any })
		.returning("*");
	return job;
}

/** Appends warnings not already there (capped) to a running job (an ended job no longer changes). */
export async function addWarnings(db: Db, jobId: string, warnings: string[]): Promise<void> {
	if (!warnings.length) return;
	await db.raw(
		`UPDATE jobs SET warnings = warnings || (
		     SELECT coalesce(jsonb_agg(w.value ORDER BY w.ord), '[]'::jsonb)
		       FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS w(value, ord)
		      WHERE NOT (jobs.warnings @> jsonb_build_array(w.value))
		        AND jsonb_array_length(jobs.warnings) + w.ord <= ?),
		     updated_at = ${NOW}
		  WHERE id = ? AND status = 'running'`,
		[JSON.stringify([...new Set(warnings)]), MAX_WARNINGS, jobId],
	);
}

/** Rows published so far; false when the job is no longer open (cancelled or ended): stop reading. */
export async function addPublished(db: Db, jobId: string, rows: number): Promise<boolean> {
	const res = await db.raw(`UPDATE jobs SET total_rows = total_rows + ?, updated_at = ${NOW} WHERE id = ? AND status = 'running' RETURNING cancel_requested`, [rows, jobId]);
	return res.rows.length === 1 && !res.rows[0].cancel_requested;
}

/** The file was read to its end: the job completes once `chunksTotal` chunks are recorded. */
export async function setParsed(db: Db, jobId: string, totalRows: number, chunksTotal: number): Promise<void> {
	await db.raw(`UPDATE jobs SET total_rows = ?, chunks_total = ?, updated_at = ${NOW} WHERE id = ? AND status = 'running'`, [totalRows, chunksTotal, jobId]);
}

// ---------------------------------------------------------------- a job's end vs its chunks in flight
//
// A worker writes a chunk through clients.importBatch (the clients schema, its own
// transaction) and then records it here. To end a job exactly (cancel, or fail), every chunk
// that already started writing must be recorded first, and no chunk may start afterwards:
//   - a worker holds the job's advisory lock SHARED, in its import transaction, from its
//     status check, across clients.importBatch, to the commit of the chunk's record;
//   - endJob takes it EXCLUSIVE before it changes the status: it waits for those chunks,
//     and every worker that comes later sees the job ended and drops its chunk.
// So an ended job's counts are final and equal what was written. Advisory locks take no
// row lock, so workers never deadlock with each other (they upgrade nothing).

const lockKey = (jobId: string) => `import.job:${jobId}`;

/** A worker's claim on a running job (until its transaction ends): the job cannot end meanwhile. */
export async function holdJobOpen(trx: Knex.Transaction, jobId: string): Promise<void> {
	await trx.raw("SELECT pg_advisory_xact_lock_shared(hashtextextended(?, 0))", [lockKey(jobId)]);
}

/** Waits until no worker holds the job open, and keeps new ones out until the transaction ends. */
async function lockJobForEnd(trx: Knex.Transaction, jobId: string): Promise<void> {
	await trx.raw("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", [lockKey(jobId)]);
}

export const isRecorded = async (db: Db, jobId: string, chunkIndex: number): Promise<boolean> =>
	!!(await db("chunk_results").where({ job_id: jobId, chunk_index: chunkIndex }).first());

/**
 * Records one chunk's result once: the (job, chunk) key makes a second recording a no-op,
 * and the job's counters move in the same transaction. Never into a job that is no longer
 * running (its row is locked for the check). False when nothing was recorded. Callers hold
 * the job open (holdJobOpen) in `trx`.
 */
export async function recordChunk(
	trx: Knex.Transaction,
	job: { id: string; club_id: string },
	chunkIndex: number,
	counts: ChunkCounts,
	errors: Array<{ line: number; field: string; code: string; message: string }>,
	deadLettered = false,
): Promise<boolean> {
	const current: Pick<JobRow, "status"> | undefined = await trx<JobRow>("jobs").where({ id: job.id }).forUpdate().first("status");
	if (current?.status !== "running") return false;
	const res = await trx.raw(
		`INSERT INTO chunk_results (club_id, job_id, chunk_index, rows, created, updated, skipped, failed, dead_lettered)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1`,
		[job.club_id, job.id, chunkIndex, counts.rows, counts.created, counts.updated, counts.skipped, counts.failed, deadLettered],
	);
	if (!res.rowCount) return false;
	for (let i = 0; i < errors.length; i += 1000) {
		await trx("row_errors").insert(
			errors.slice(i, i + 1000).map(e => ({ club_id: job.club_id, job_id: job.id, chunk_index: chunkIndex, line: e.line, field: e.field, code: e.code, message: e.message })),
		);
	}
	await trx.raw(
		`UPDATE jobs SET chunks_done = chunks_done + 1, processed_rows = processed_rows + ?, created = created + ?, updated = updated + ?,
		        skipped = skipped + ?, failed = failed + ?, possible_duplicates = possible_duplicates + ?, updated_at = ${NOW}
		  WHERE id = ?`,
		[counts.rows, counts.created, counts.updated, counts.skipped, counts.failed, counts.possibleDuplicates ?? 0, job.id],
	);
	return true;
}

/** A job whose chunks may still be written: running and no cancel asked for. */
export const isOpen = <T extends Pick<JobRow, "status" | "cancel_requested">>(job: T | undefined): job is T => job?.status === "running" && !job.cancel_requested;

/** Completes a running job whose every chunk is recorded (unless a cancel was asked for); the job when this call completed it. */
export async function completeIfDone(db: Db, jobId: string): Promise<JobRow | undefined> {
	const rows = await db<JobRow>("jobs")
		.where({ id: jobId, status: "running", cancel_requested: false })
		.whereNotNull("chunks_total")
		.whereRaw("chunks_done >= chunks_total")
		.update({ status: "completed", finished_at: db.raw(NOW) as any, updated_at: db.raw(NOW) as any })
		.returning("*");
	return rows[0];
}

/**
 * Registers a cancel at once (committed before endJob waits): chunks that have not started
 * are dropped from now on and the job can no longer complete. The job while it is still
 * going (also when a cancel was already asked for: asking again finishes it), else nothing.
 */
export async function requestCancel(db: Db, clubId: string, jobId: string): Promise<JobRow | undefined> {
	const rows = await jobsOfClub(db, clubId)
		.where({ id: jobId })
		.whereIn("status", ["queued", "running"])
		.update({ cancel_requested: true, updated_at: db.raw(NOW) as any })
		.returning("*");
	return rows[0];
}

/**
 * Ends a job that is still going (failed or cancelled), once the chunks being written are
 * recorded (see holdJobOpen); the job, with its final counts, when this call ended it.
 */
export async function endJob(
	db: Knex,
	clubId: string,
	jobId: string,
	status: "failed" | "cancelled",
	error: string | null,
	/** Runs in the same transaction with the ended job (its audit entry). */
	ended: (trx: Knex.Transaction, row: JobRow) => Promise<void> = async () => undefined,
): Promise<JobRow | undefined> {
	return db.transaction(async trx => {
		await lockJobForEnd(trx, jobId);
		const rows = await jobsOfClub(trx, clubId)
			.where({ id: jobId })
			.whereIn("status", ["queued", "running"])
			.update({ status, error, finished_at: trx.raw(NOW) as any, updated_at: trx.raw(NOW) as any })
			.returning("*");
		if (rows[0]) await ended(trx, rows[0] as JobRow);
		return rows[0] as JobRow | undefined;
	});
}

/** A page of a job's row errors in file order, after the (line, id) position. */
export async function errorPage(db: Db, clubId: string, jobId: string, after: { line: number; id: number } | null, limit: number): Promise<RowErrorRow[]> {
	const query = db("row_errors").where({ club_id: clubId, job_id: jobId }).select("id", "line", "field", "code", "message");
	if (after) query.whereRaw("(line, id) > (?, ?)", [after.line, after.id]);
	return query.orderBy([{ column: "line" }, { column: "id" }]).limit(limit);
}
