/** The API shape of an import job, and its OpenAPI schema. */
import { ref } from "../../lib/openapi";
import type { ImportJob } from "./import.contract";
import type { JobRow } from "./import.queries";

export type { ImportJob };

const possibleDuplicatesWarning = (n: number) =>
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
