/**
 * The import service's contract (types only): the events it emits, as CONTRIBUTING.md lists
 * them. No other service calls an import action (uploads come through the gateway as a stream);
 * other services import this file (`import type`), never the service's other files.
 */

export type JobStatus = "queued" | "running" | "completed" | "failed" | "cancelled";

/** The options a job was started with (the upload's query, checked). */
export interface JobOptions {
	onDuplicate: "skip" | "update";
	dryRun: boolean;
	groupId: string | null;
	tags: string[];
	delimiter: "auto" | "," | ";" | "tab";
	encoding: "auto" | "utf-8" | "windows-1252";
}

/** An import job as the API shows it (GET /imports/:id). */
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

/** The events the service emits (after commit), by name. */
export interface ImportEvents {
	/** The job moved (the file was read, a chunk was recorded). */
	"imports.progress": { clubId: string; job: ImportJob };
	/** The job ended: completed, failed or cancelled, with its final counts. */
	"imports.finished": { clubId: string; job: ImportJob };
}
