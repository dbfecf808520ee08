/**
 * CSV import of a club's clients, at scale.
 *
 *   POST /imports (stream) -> this node reads the upload as it arrives and publishes chunks of
 *   rows on a reliable channel (import.upload.ts; the channel: import.channels.ts, JetStream over
 *   NATS, in-process otherwise) -> any import node (a worker) normalises a chunk, writes it
 *   through clients.importBatch exactly once and records its result (import.worker.ts) -> the
 *   job completes when every chunk is recorded (import.jobs.ts). Group ids are looked up and
 *   cached per worker (import.groups.ts); failed rows are read back as JSON or CSV
 *   (import.row-errors.ts).
 */
import { pageOf } from "../../lib/openapi";
import type { Context } from "moleculer";
import { ConflictError } from "../../lib/errors";
import type { HttpMeta } from "../../lib/http";
import { listParams, paginate } from "../../lib/pagination";
import { defineService } from "../../lib/service";
import { readEnv } from "../../moleculer.config";
import { DbMixin } from "../../mixins/db.mixin";
import { NodeEventsMixin } from "../../mixins/node-events.mixin";
import { OutboxMixin } from "../../mixins/outbox.mixin";
import { MAX_IN_FLIGHT } from "./import.channels";
import type { ImportEvents } from "./import.contract";
import { jobEntity, toJob, type ImportJob } from "./import.entity";
import { GroupLookupMixin } from "./import.groups";
import { JobsMixin } from "./import.jobs";
import * as q from "./import.queries";
import { rowErrorsCsv, rowErrorsPage } from "./import.row-errors";
import type { ImportThis } from "./import.types";
import { UploadMixin, type UploadMeta, type UploadParams } from "./import.upload";
import { WorkerMixin } from "./import.worker";

/** The upload answers once the file is read (not written): up to an hour for the largest file. */
const UPLOAD_TIMEOUT_MS = 60 * 60_000;

const idParam = { id: { type: "string", min: 1, max: 200 } } as const;

const ImportService = defineService<ImportThis>({
	name: "import",
	mixins: [
		// Each chunk in flight holds a connection while clients.importBatch writes it (q.holdJobOpen).
		DbMixin({ schema: "import", poolMax: readEnv().dbPoolMax + MAX_IN_FLIGHT }),
		OutboxMixin(),
		JobsMixin,
		UploadMixin,
		WorkerMixin,
		GroupLookupMixin,
		// Every worker caches group ids (import.groups.ts): every worker hears the groups' events.
		NodeEventsMixin(),
	],
	settings: { rest: "/" },

	actions: {
		/** Uploads a CSV of clients (streamed) and starts its import; answers 202 with the job. */
		upload: {
			rest: { method: "POST", path: "/imports", type: "stream" },
			auth: "staff",
			timeout: UPLOAD_TIMEOUT_MS,
			params: {
				$$strict: true,
				onDuplicate: { type: "enum", values: ["skip", "update"], optional: true, description: "An e-mail already in the club: skip the row (default) or update that client (verified clients are never updated)" },
				delimiter: { type: "enum", values: ["auto", ",", ";", "tab"], optional: true, description: "Default auto: sniffed from the header line" },
				encoding: { type: "enum", values: ["auto", "utf-8", "windows-1252"], optional: true, description: "Default auto: BOM (UTF-8, UTF-16), else UTF-8 when valid, else Windows-1252" },
				groupId: { type: "string", optional: true, max: 64, description: "Group of imported clients whose row names no group (default: the club's default group)" },
				tags: { type: "string", optional: true, max: 4000, description: "Comma list of tags added to every imported client (a tag may not hold ; or |: 422 on tags[i])" },
				dryRun: { type: "boolean", optional: true, convert: true, description: "true: check and count everything, write no client" },
				fileName: { type: "string", optional: true, max: 255, description: "Name shown on the job (multipart uploads use the file's own name)" },
			},
			openapi: {
				summary: "Import clients from a CSV file",
				description:
					"Body: the CSV as text/csv, or multipart/form-data with a `file` field; streamed, up to IMPORT_MAX_BYTES (default 200 MiB, else 413). " +
					"UTF-8 (BOM or not), UTF-16 with BOM or Windows-1252; `,` `;` or tab; headers in English, French, Spanish, German or Italian. " +
					"Answers 202 with the job once the file is read; workers go on writing it (GET /imports/{id} for progress). " +
					"A file without the required columns (full name or first + last name, email, phone, gender, country), empty, binary or with an unclosed quote: the job is `failed` with its `error`. " +
					"A body that cannot be read to its end (the client goes away, a multipart body without its closing boundary): 400 `UPLOAD_INCOMPLETE` when the client is still there, and the job is `failed` with its `error` at once. " +
					"The body is read at disk speed into a temporary file (removed at the end), whatever the pace of the workers, so a client's upload is never held open by the import. " +
					"An upload whose size is not known up front (chunked, no Content-Length) is kept whole before any row is read, so one over the limit is a 413 before any row is written (the job is `failed`, all counts 0).",
				tags: ["imports"],
				requestContentTypes: ["text/csv", "multipart/form-data"],
				requestExample: "Nom complet;Courriel;Téléphone;Sexe;Pays\nAna García;ana.garcia@example.com;+34 612 34 56 78;F;ES\n",
				responses: { "202": { description: "The job", schema: jobEntity } },
				errors: ["UPLOAD_INCOMPLETE", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"],
			},
			async handler(ctx: Context<UploadParams, UploadMeta>): Promise<ImportJob> {
				return this.upload(ctx);
			},
		},

		/** The club's import jobs, newest first. */
		list: {
			rest: "GET /imports",
			auth: "viewer",
			params: { ...listParams },
			openapi: {
				summary: "List import jobs",
				tags: ["imports"],
				responses: { "200": { description: "A page of jobs", schema: pageOf("ImportJob") } },
			},
			async handler(ctx: Context<{ limit?: number; cursor?: string }, HttpMeta>) {
				return paginate(q.jobsOfClub(this.db, ctx.meta.clubId), { limit: ctx.params.limit, cursor: ctx.params.cursor }, toJob);
			},
		},

		/** One job with its live counts. */
		get: {
			rest: "GET /imports/:id",
			auth: "viewer",
			params: idParam,
			openapi: { summary: "Get an import job (live progress)", tags: ["imports"], responses: { "200": { description: "The job", schema: jobEntity } } },
			async handler(ctx: Context<{ id: string }, HttpMeta>): Promise<ImportJob> {
				return toJob(await this.jobOr404(ctx.meta.clubId, ctx.params.id));
			},
		},

		/**
		 * Stops a running job: the rest of the file is not read, chunks not yet started are
		 * dropped, and the answer waits for the chunks being written (see q.holdJobOpen).
		 */
		cancel: {
			rest: "POST /imports/:id/cancel",
			auth: "staff",
			// Waits for the chunks in flight; one chunk's write may take up to importBatch's timeout.
			timeout: 130_000,
			params: { $$strict: true, ...idParam },
			openapi: {
				summary: "Cancel an import job",
				description:
					"Answers once the job has stopped: the chunks a worker was already writing when the cancel arrived are finished and counted first " +
					"(the answer may take as long as writing one chunk), every other chunk is dropped unwritten and the rest of the file is not read. " +
					"From then on nothing changes: no row is written for the job, its counts (`processedRows`, `created`, `updated`, `skipped`, `failed`, `totalRows`) are final " +
					"and equal what was written (rows already written stay), `finishedAt` is set and `imports.finished` carries the same counts. " +
					"`processedRows` may be below `totalRows` (rows read but dropped). A job that has already ended: 409 IMPORT_FINISHED.",
				tags: ["imports"],
				responses: { "200": { description: "The cancelled job", schema: jobEntity } },
			},
			async handler(ctx: Context<{ id: string }, HttpMeta>): Promise<ImportJob> {
				const clubId = ctx.meta.clubId;
				const job: q.JobRow = await this.jobOr404(clubId, ctx.params.id);
				// First, at once: no chunk starts any more and the job cannot complete; then wait for the chunks being written.
				const requested = await q.requestCancel(this.db, clubId, job.id);
				const ended = requested ? await q.endJob(this.db, clubId, job.id, "cancelled", null, (trx, row) => this.recordJob(trx, ctx, "imports.cancel", row)) : undefined;
				if (!ended) {
					const now: q.JobRow = await this.jobOr404(clubId, job.id);
					throw new ConflictError("IMPORT_FINISHED", `The import has already ended (${now.status})`, { status: now.status });
				}
				const out = toJob(ended);
				ctx.emit("imports.finished", { clubId, job: out } satisfies ImportEvents["imports.finished"]);
				return out;
			},
		},

		/** The rows that failed, in file order: JSON pages, or the whole list as CSV. */
		errors: {
			rest: "GET /imports/:id/errors",
			auth: "viewer",
			params: {
				...idParam,
				format: { type: "enum", values: ["json", "csv"], optional: true, description: "csv: every error as a CSV download (line,field,code,message)" },
				limit: { ...listParams.limit, description: "JSON page size, 1..500 like every list (default 50)" },
				cursor: listParams.cursor,
			},
			openapi: {
				summary: "Row errors of an import",
				description: "`line` is the physical line in the file (the header is line 1, lines inside quoted cells count).",
				tags: ["imports"],
				responses: {
					"200": {
						description: "A page of errors (or text/csv with format=csv)",
						schema: pageOf("ImportError"),
					},
				},
			},
			async handler(ctx: Context<{ id: string; format?: "json" | "csv"; limit?: number; cursor?: string }, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const job: q.JobRow = await this.jobOr404(clubId, ctx.params.id);
				if (ctx.params.format === "csv") {
					ctx.meta.$responseType = "text/csv; charset=utf-8";
					ctx.meta.$responseHeaders = { "Content-Disposition": `attachment; filename="import-${job.id}-errors.csv"` };
					return rowErrorsCsv(this.db, clubId, job.id);
				}
				return rowErrorsPage(this.db, clubId, job.id, ctx.params.cursor, ctx.params.limit ?? 50);
			},
		},
	},

	created() {
		const env = readEnv();
		this.maxBytes = env.importMaxBytes;
		this.chunkRows = Math.max(1, env.importChunkRows);
	},
});

export default ImportService;
