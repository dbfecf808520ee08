/** The API shape of an import job, and its OpenAPI schema. */
import { ref } from "../../lib/openapi";
import type { JobOptions, JobRow, JobStatus } from "./import.queries";

export interface ImportJob {
	id: string;
	status: JobStatus;
	fileName: string | null;
	totalRows: number;
	processedRows: number;
	created: number;
	updated: number;
	skipped: number;
	failed: number;
	/** Rows imported that look like clients the club already had (on the errors download as POSSIBLE_DUPLICATE). */
	possibleDuplicates: number;
	warnings: string[];
	error: string | null;
	startedAt: string | null;
	finishedAt: string | null;
	rowsPerSecond: number;
	options: JobOptions;
	createdAt: string;
}

export const possibleDuplicatesWarning = (n: number) =>
	`${n} row(s) look like clients the club already had (same phone, same name and birth date, or a similar name): imported all the same, listed on the errors download with code POSSIBLE_DUPLICATE.`;

export function toJob(r: JobRow): ImportJob {
	const start = r.started_at ? r.started_at.getTime() : null;
	const end = r.finished_at ? r.finished_at.getTime() : Date.now();
	const seconds = start !== null ? Math.max(end - start, 1) / 1000 : 0;
	return {
		id: r.id,
		status: r.status,
		fileName: r.file_name,
		// totalRows moves in steps while the file is read: never shown behind what is already applied.
		totalRows: Math.max(r.total_rows, r.processed_rows),
		processedRows: r.processed_rows,
		created: r.created,
		updated: r.updated,
		skipped: r.skipped,
		failed: r.failed,
		possibleDuplicates: r.possible_duplicates ?? 0,
		warnings: r.possible_duplicates ? [...r.warnings, possibleDuplicatesWarning(r.possible_duplicates)] : r.warnings,
		error: r.error,
		startedAt: r.started_at ? r.started_at.toISOString() : null,
		finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
		rowsPerSecond: seconds ? Math.round(r.processed_rows / seconds) : 0,
		options: r.options,
		createdAt: r.created_at.toISOString(),
	};
}

export const jobEntity = ref("ImportJob");

export const rowErrorEntity = ref("ImportError");
