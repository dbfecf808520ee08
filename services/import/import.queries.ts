/** Pure queries of the import schema: (db | trx, args) -> rows. Every tenant query filters by club_id. */
import type { Knex } from "knex";

type Db = Knex | Knex.Transaction;

export type JobStatus = "queued" | "running" | "completed" | "failed" | "cancelled";

export interface JobOptions {
	onDuplicate: "skip" | "update";
	dryRun: boolean;
	groupId: string | null;
	tags: string[];
	delimiter: "auto" | "," | ";" | "tab";
	encoding: "auto" | "utf-8" | "windows-1252";
}

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
	warnings: string[];
	error: string | null;
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
}

export const NOW = "date_trunc('milliseconds', clock_timestamp())";
/** Warnings kept per job (the first ones; the rest would say the same thing again). */
export const MAX_WARNINGS = 100;

export const jobsOfClub = (db: Db, clubId: string) => db<JobRow>("jobs").where({ club_id: clubId });

export const findJob = (db: Db, clubId: string, id: string) => jobsOfClub(db, clubId).where({ id }).first();

export async function insertJob(db: Db, row: { id: string; club_id: string; file_name: string | null; options: JobOptions }): Promise<JobRow> {
	const [job] = await db<JobRow>("jobs")
		.insert({ ...row, options: JSON.stringify(row.options) as any, status: "running", started_at: db.raw(NOW) as any })
		.returning("*");
	return job;
}

/** Appends warnings not already there (capped). */
export async function addWarnings(db: Db, jobId: string, warnings: string[]): Promise<void> {
	if (!warnings.length) return;
	await db.raw(
		`UPDATE jobs SET warnings = warnings || (
		     SELECT coalesce(jsonb_agg(w.value ORDER BY w.ord), '[]'::jsonb)
		       FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS w(value, ord)
		      WHERE NOT (jobs.warnings @> jsonb_build_array(w.value))
		        AND jsonb_array_length(jobs.warnings) + w.ord <= ?),
		     updated_at = ${NOW}
		  WHERE id = ?`,
		[JSON.stringify([...new Set(warnings)]), MAX_WARNINGS, jobId],
	);
}

/** Rows handed to the workers so far (totalRows grows while the file is read). */
export async function addPublished(db: Db, jobId: string, rows: number): Promise<void> {
	await db.raw(`UPDATE jobs SET total_rows = total_rows + ?, updated_at = ${NOW} WHERE id = ?`, [rows, jobId]);
}

/** The file was read to its end: the job completes once `chunksTotal` chunks are recorded. */
export async function setParsed(db: Db, jobId: string, totalRows: number, chunksTotal: number): Promise<void> {
	await db.raw(`UPDATE jobs SET total_rows = ?, chunks_total = ?, updated_at = ${NOW} WHERE id = ?`, [totalRows, chunksTotal, jobId]);
}

export const isRecorded = async (db: Db, jobId: string, chunkIndex: number): Promise<boolean> =>
	!!(await db("chunk_results").where({ job_id: jobId, chunk_index: chunkIndex }).first());

/**
 * Records one chunk's result once: the (job, chunk) key makes a second recording a no-op,
 * and the job's counters move in the same transaction. False when it was already recorded.
 */
export async function recordChunk(
	trx: Knex.Transaction,
	job: { id: string; club_id: string },
	chunkIndex: number,
	counts: ChunkCounts,
	errors: Array<{ line: number; field: string; code: string; message: string }>,
	deadLettered = false,
): Promise<boolean> {
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
		        skipped = skipped + ?, failed = failed + ?, updated_at = ${NOW}
		  WHERE id = ?`,
		[counts.rows, counts.created, counts.updated, counts.skipped, counts.failed, job.id],
	);
	return true;
}

/** Completes a running job whose every chunk is recorded; the job when this call completed it. */
export async function completeIfDone(db: Db, jobId: string): Promise<JobRow | undefined> {
	const rows = await db<JobRow>("jobs")
		.where({ id: jobId, status: "running" })
		.whereNotNull("chunks_total")
		.whereRaw("chunks_done >= chunks_total")
		.update({ status: "completed", finished_at: db.raw(NOW) as any, updated_at: db.raw(NOW) as any })
		.returning("*");
	return rows[0];
}

/** Ends a job that is still going (failed or cancelled); the job when this call ended it. */
export async function endJob(db: Db, clubId: string, jobId: string, status: "failed" | "cancelled", error: string | null): Promise<JobRow | undefined> {
	const rows = await jobsOfClub(db, clubId)
		.where({ id: jobId })
		.whereIn("status", ["queued", "running"])
		.update({ status, error, finished_at: db.raw(NOW) as any, updated_at: db.raw(NOW) as any })
		.returning("*");
	return rows[0];
}

/** A page of a job's row errors in file order, after the (line, id) position. */
export async function errorPage(db: Db, clubId: string, jobId: string, after: { line: number; id: number } | null, limit: number): Promise<RowErrorRow[]> {
	const query = db("row_errors").where({ club_id: clubId, job_id: jobId }).select("id", "line", "field", "code", "message");
	if (after) query.whereRaw("(line, id) > (?, ?)", [after.line, after.id]);
	return query.orderBy([{ column: "line" }, { column: "id" }]).limit(limit);
}
