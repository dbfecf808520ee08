/** The API shape of an import job, and its OpenAPI schema. */
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
	warnings: string[];
	error: string | null;
	startedAt: string | null;
	finishedAt: string | null;
	rowsPerSecond: number;
	options: JobOptions;
	createdAt: string;
}

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
		warnings: r.warnings,
		error: r.error,
		startedAt: r.started_at ? r.started_at.toISOString() : null,
		finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
		rowsPerSecond: seconds ? Math.round(r.processed_rows / seconds) : 0,
		options: r.options,
		createdAt: r.created_at.toISOString(),
	};
}

export const jobEntity = {
	type: "object",
	properties: {
		id: { type: "string" },
		status: { enum: ["queued", "running", "completed", "failed", "cancelled"] },
		fileName: { type: ["string", "null"] },
		totalRows: { type: "integer", description: "Data rows read so far (final once the file is read)" },
		processedRows: { type: "integer", description: "Rows applied by the workers; never goes back" },
		created: { type: "integer" },
		updated: { type: "integer" },
		skipped: { type: "integer" },
		failed: { type: "integer" },
		warnings: { type: "array", items: { type: "string" } },
		error: { type: ["string", "null"] },
		startedAt: { type: ["string", "null"] },
		finishedAt: { type: ["string", "null"] },
		rowsPerSecond: { type: "integer" },
		options: {
			type: "object",
			properties: {
				onDuplicate: { enum: ["skip", "update"] },
				dryRun: { type: "boolean" },
				groupId: { type: ["string", "null"] },
				tags: { type: "array", items: { type: "string" } },
				delimiter: { enum: ["auto", ",", ";", "tab"] },
				encoding: { enum: ["auto", "utf-8", "windows-1252"] },
			},
		},
		createdAt: { type: "string" },
	},
};

export const rowErrorEntity = {
	type: "object",
	properties: {
		line: { type: "integer", description: "Physical line in the file (the header is line 1)" },
		field: { type: "string" },
		code: { type: "string" },
		message: { type: "string" },
	},
};
