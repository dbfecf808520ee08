/**
 * CSV import of a club's clients, at scale.
 *
 *   POST /imports (stream) -> this node reads the upload as it arrives (import.reader.ts) and
 *   publishes chunks of rows on a reliable channel (import.channels.ts: JetStream over NATS,
 *   in-process otherwise) -> any import node (a worker) normalises a chunk with the code
 *   behind POST /clients (lib/normalize/client.ts), writes it through clients.importBatch
 *   (exactly once per chunk) and records its result here once (chunk_results keyed by
 *   job and chunk, counters moved in the same transaction) -> the job completes when every
 *   chunk is recorded. A worker killed mid-chunk: the chunk is redelivered and applied once.
 *   A chunk that keeps failing becomes failed rows, never a silent drop.
 */
import { pageOf } from "../../lib/openapi";
import crypto from "node:crypto";
import type { Readable } from "node:stream";
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { Errors } from "moleculer";
import { defineService } from "../../lib/service";
import { DbMixin } from "../../mixins/db.mixin";
import { OutboxMixin, actorOf, serviceContext, type Actor } from "../../mixins/outbox.mixin";
import { NodeEventsMixin } from "../../mixins/node-events.mixin";
import { ConflictError, NotFoundError, invalid } from "../../lib/errors";
import type { HttpMeta } from "../../lib/http";
import { listParams, paginate } from "../../lib/pagination";
import { UUID_RE } from "../../lib/tenant.middleware";
import { normalizeClientInput, normalizeTags, type NormalizedClient } from "../../lib/normalize/client";
import { readEnv } from "../../moleculer.config";
import type { ImportBatchClient, ImportBatchOutcome, ImportRowError } from "../clients/clients.contract";
import { CHUNK_CHANNEL, DEAD_CHANNEL, MAX_ATTEMPTS, MAX_IN_FLIGHT, ADAPTER_MAX_RETRIES, WORKING_EVERY_MS } from "./import.channels";
import { ImportFileError, readCsv, type DelimiterOption } from "./import.reader";
import { spool, untilWritten, type Spool } from "./import.spool";
import { UploadStreamError, guardUpload, multipartFile } from "./import.upload";
import { creditedStream, type UploadFlowMeta } from "../../lib/upload-flow";
import { clubGroupId } from "../../lib/club-group";
import type { ImportRow } from "./csv/rows";
import type { GenderLanguage } from "./csv/headers";
import { jobEntity, rowErrorEntity, toJob, type ImportJob } from "./import.entity";
import * as q from "./import.queries";
import { aboutToComplete, refreshClientStatistics } from "./import.statistics";

/** One chunk of a job's rows, as a worker handles it. */
export interface ChunkMessage {
	jobId: string;
	clubId: string;
	chunkIndex: number;
	options: q.JobOptions;
	genderLanguage: GenderLanguage;
	rows: ImportRow[];
	/** Who started the import: the actor of the clients it creates or updates. */
	actor?: Actor;
}

/**
 * A chunk as it travels on the channel: the rows as one JSON text. Native JSON costs a
 * fraction of the serializer encoding every field of every row (measured: the largest
 * share of the reading node's CPU), and its length is the message's size.
 */
export interface WireChunk extends Omit<ChunkMessage, "rows"> {
	rowsJson: string;
}

/** The rows of a message off the channel (also accepts one that still carries `rows`). */
function fromWire(msg: WireChunk | ChunkMessage): ChunkMessage {
	if ("rows" in msg && Array.isArray(msg.rows)) return msg;
	const { rowsJson, ...rest } = msg as WireChunk;
	return { ...rest, rows: JSON.parse(rowsJson) as ImportRow[] };
}

/** Longest CSV row, in characters. */
const MAX_ROW_CHARS = 64 * 1024;
/** A chunk message stays well under NATS's 1 MB payload: bigger ones are split. */
const MAX_MESSAGE_BYTES = 768 * 1024;
/** In-process only: chunks of one job waiting for a worker before the reader pauses. */
const LOCAL_WINDOW = 4;
/** While a file is read, its job's totalRows moves (and a cancel is noticed) this often. */
const PROGRESS_EVERY_MS = 500;
/** Group names and default groups are looked up once per club for this long. */
const GROUP_CACHE_MS = 30_000;
const UPLOAD_TIMEOUT_MS = 60 * 60_000;
const CSV_TYPES = /^(text\/(csv|plain|comma-separated-values|tab-separated-values)|application\/(csv|vnd\.ms-excel|octet-stream))\s*(;|$)/i;

class PayloadTooLargeError extends Errors.MoleculerClientError {
	constructor(limit: number) {
		super(`The file is larger than the limit of ${limit} bytes`, 413, "PAYLOAD_TOO_LARGE", { limit });
		this.name = "PayloadTooLargeError";
	}
}

class UnsupportedMediaTypeError extends Errors.MoleculerClientError {
	constructor() {
		super("Send the file as text/csv or as multipart/form-data with a 'file' field", 415, "UNSUPPORTED_MEDIA_TYPE");
		this.name = "UnsupportedMediaTypeError";
	}
}

interface UploadParams {
	onDuplicate?: "skip" | "update";
	delimiter?: DelimiterOption;
	encoding?: "auto" | "utf-8" | "windows-1252";
	groupId?: string;
	tags?: string;
	dryRun?: boolean;
	fileName?: string;
}

interface UploadMeta extends HttpMeta {
	upload?: { contentType: string; contentLength: number | null; flow?: UploadFlowMeta };
	$params?: Record<string, unknown>;
}

const errorCode = (e: { field: string; type: string }) =>
	e.type === "required"
		? "REQUIRED"
		: `INVALID_${e.field
				.replace(/\[\d+\]$/, "")
				.replace(/([a-z])([A-Z])/g, "$1_$2")
				.toUpperCase()}`;

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** One CSV cell: formula-looking text neutralised with ', quoted when needed. */
function csvCell(value: string | number): string {
	let text = String(value);
	if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
	return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const idParam = { id: { type: "string", min: 1, max: 200 } } as const;

const ImportService = defineService({
	name: "import",
	// Each chunk in flight holds a connection while clients.importBatch writes it (q.holdJobOpen).
	// Every worker caches group ids (clubDefaults, groupByName): every worker hears the groups' events.
	mixins: [DbMixin({ schema: "import", poolMax: readEnv().dbPoolMax + MAX_IN_FLIGHT }), OutboxMixin(), NodeEventsMixin()],
	settings: { rest: "/" },

	channels: {
		[CHUNK_CHANNEL]: {
			maxInFlight: MAX_IN_FLIGHT,
			maxRetries: ADAPTER_MAX_RETRIES,
			deadLettering: { enabled: true, queueName: DEAD_CHANNEL },
			handler(this: any, msg: WireChunk, raw: any) {
				return this.onChunk(fromWire(msg), raw);
			},
		},
		/** Chunks JetStream gave up on (past ADAPTER_MAX_RETRIES): their rows become failed rows. */
		[DEAD_CHANNEL]: {
			handler(this: any, msg: WireChunk) {
				return this.deadLetter(fromWire(msg), "the chunk could not be delivered to a worker");
			},
		},
	},

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
			async handler(this: any, ctx: Context<UploadParams, UploadMeta>): Promise<ImportJob> {
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
			async handler(this: any, ctx: Context<{ limit?: number; cursor?: string }, HttpMeta>) {
				return paginate(q.jobsOfClub(this.db, ctx.meta.clubId), { limit: ctx.params.limit, cursor: ctx.params.cursor }, toJob);
			},
		},

		/** One job with its live counts. */
		get: {
			rest: "GET /imports/:id",
			auth: "viewer",
			params: idParam,
			openapi: { summary: "Get an import job (live progress)", tags: ["imports"], responses: { "200": { description: "The job", schema: jobEntity } } },
			async handler(this: any, ctx: Context<{ id: string }, HttpMeta>): Promise<ImportJob> {
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
			async handler(this: any, ctx: Context<{ id: string }, HttpMeta>): Promise<ImportJob> {
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
				ctx.emit("imports.finished", { clubId, job: out });
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
			async handler(this: any, ctx: Context<{ id: string; format?: "json" | "csv"; limit?: number; cursor?: string }, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const job: q.JobRow = await this.jobOr404(clubId, ctx.params.id);
				if (ctx.params.format === "csv") {
					ctx.meta.$responseType = "text/csv; charset=utf-8";
					ctx.meta.$responseHeaders = { "Content-Disposition": `attachment; filename="import-${job.id}-errors.csv"` };
					return this.errorsCsv(clubId, job.id);
				}
				const limit = ctx.params.limit ?? 50;
				const after = this.decodeErrorCursor(ctx.params.cursor);
				const rows: q.RowErrorRow[] = await q.errorPage(this.db, clubId, job.id, after, limit + 1);
				const more = rows.length > limit;
				const page = more ? rows.slice(0, limit) : rows;
				const last = page[page.length - 1];
				return {
					items: page.map(r => ({ line: r.line, field: r.field, code: r.code, message: r.message })),
					nextCursor: more && last ? Buffer.from(JSON.stringify([last.line, Number(last.id)])).toString("base64url") : null,
				};
			},
		},
	},

	methods: {
		async jobOr404(this: any, clubId: string, id: string): Promise<q.JobRow> {
			const row = UUID_RE.test(id) ? await q.findJob(this.db, clubId, id.toLowerCase()) : undefined;
			if (!row) throw new NotFoundError("Import");
			return row;
		},

		decodeErrorCursor(this: any, cursor: string | undefined): { line: number; id: number } | null {
			if (!cursor) return null;
			try {
				const [line, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
				if (Number.isInteger(line) && Number.isInteger(id) && line > 0 && id > 0) return { line, id };
			} catch {
				/* below */
			}
			throw invalid({ field: "cursor", type: "cursor", message: "The 'cursor' is not one this API gave out." });
		},

		async errorsCsv(this: any, clubId: string, jobId: string): Promise<Readable> {
			const { Readable } = await import("node:stream");
			const db = this.db;
			async function* lines() {
				yield "line,field,code,message\r\n";
				let after: { line: number; id: number } | null = null;
				for (;;) {
					const rows: q.RowErrorRow[] = await q.errorPage(db, clubId, jobId, after, 5000);
					if (!rows.length) break;
					yield rows.map(r => [r.line, r.field, r.code, r.message].map(csvCell).join(",") + "\r\n").join("");
					const last = rows[rows.length - 1];
					after = { line: last.line, id: Number(last.id) };
					if (rows.length < 5000) break;
				}
			}
			return Readable.from((async function* () {
				for await (const text of lines()) yield Buffer.from(text, "utf8");
			})());
		},

		/** The upload: checks, the job, then the file read and published chunk by chunk. */
		async upload(this: any, ctx: Context<UploadParams, UploadMeta>): Promise<ImportJob> {
			const clubId = ctx.meta.clubId;
			const p = { ...(ctx.meta.$params ?? {}), ...ctx.params } as UploadParams;
			const upload = ctx.meta.upload ?? { contentType: "", contentLength: null };
			// Sent by a gateway on another node: confirm what we consume, so it sends no further ahead (lib/upload-flow.ts).
			const flow = upload.flow;
			const stream: Readable | null =
				ctx.stream && flow
					? creditedStream(ctx.stream as Readable, consumed => {
							this.broker.call("api.uploadCredit", { id: flow.id, consumed }, { nodeID: flow.nodeID }).catch(() => undefined);
						})
					: ((ctx.stream as Readable | undefined) ?? null);
			// Heard from now on: a failure of the body while the options are checked must not go unheard (import.upload.ts).
			const guarded = stream ? guardUpload(stream) : null;
			const contentType = upload.contentType.trim();
			const multipart = /^multipart\/form-data\s*;/i.test(contentType);
			// Refusals read the rest of the body away, so the client gets the answer, not a reset connection.
			const refuse = (err: Error) => {
				drain(stream);
				return err;
			};
			if (contentType && !multipart && !CSV_TYPES.test(contentType)) throw refuse(new UnsupportedMediaTypeError());
			// Multipart adds its boundaries and part headers around the file.
			if (upload.contentLength !== null && upload.contentLength > this.maxBytes + (multipart ? 64 * 1024 : 0)) {
				throw refuse(new PayloadTooLargeError(this.maxBytes));
			}
			let options: q.JobOptions;
			try {
				options = {
					onDuplicate: p.onDuplicate ?? "skip",
					dryRun: p.dryRun === true,
					groupId: await this.checkGroup(ctx, p.groupId),
					tags: this.checkTags(p.tags),
					delimiter: p.delimiter ?? "auto",
					encoding: p.encoding ?? "auto",
				};
			} catch (err: any) {
				throw refuse(err);
			}
			let body: Readable | null = stream;
			let fileName: string | null = p.fileName ?? null;
			if (multipart) {
				const part = await this.multipartFile(stream, contentType).catch((err: Error) => {
					throw refuse(err);
				});
				body = part.file;
				fileName = part.fileName ?? fileName;
			}
			// A failure of the body, whenever it comes, is one UploadStreamError out of the iteration (import.upload.ts).
			let source: AsyncIterable<Buffer> = (multipart && body ? guardUpload(body) : guarded) ?? (async function* () {})();
			// The body goes to a spool file at disk speed, whatever the pace of the workers: the client's
			// exchange is never held (a client paced by the import met the server's request timeout, and
			// Node's fetch failed with EPIPE), and over a transporter, which has no backpressure, memory stays flat.
			// An upload whose size is not known up front (chunked, or multipart near the limit) is spooled
			// whole before any row is handed on, so one over the limit is refused before a row is written.
			const spoolFirst = upload.contentLength === null || upload.contentLength > this.maxBytes;
			const spooled: Spool = spool(source, this.maxBytes);
			source = spooled.chunks;
			const job: q.JobRow = await this.db.transaction(async (trx: Knex.Transaction) => {
				const row: q.JobRow = await q.insertJob(trx, { id: crypto.randomUUID(), club_id: clubId, file_name: fileName, options });
				await this.recordJob(trx, ctx, "imports.start", row);
				return row;
			});
			const actor = actorOf(ctx);
			ctx.meta.$statusCode = 202;
			ctx.meta.$responseHeaders = { Location: `/api/v1/imports/${job.id}` };
			let chunkIndex = 0;
			let cancelled = false;
			let unreported = 0;
			let reportedAt = 0;
			let genderLanguage: GenderLanguage = null;
			const sink = {
				header: async (map: { warnings: string[]; genderLanguage: GenderLanguage }) => {
					genderLanguage = map.genderLanguage;
					await q.addWarnings(this.db, job.id, map.warnings);
				},
				chunk: async (rows: ImportRow[]) => {
					for (const part of this.splitForWire(rows)) {
						const msg: WireChunk = { jobId: job.id, clubId, chunkIndex: chunkIndex++, options, genderLanguage, rowsJson: part.json, actor };
						await this.publishChunk(msg);
						unreported += part.count;
					}
					// Progress (totalRows so far) and "cancelled, on any node?" in one statement, at most
					// every PROGRESS_EVERY_MS: per chunk, it queued behind the workers' updates of the job row.
					if (Date.now() - reportedAt >= PROGRESS_EVERY_MS) {
						cancelled = !(await q.addPublished(this.db, job.id, unreported));
						unreported = 0;
						reportedAt = Date.now();
					}
				},
				stopped: () => cancelled,
			};
			try {
				const tooLarge = () => new ImportFileError(`The file is larger than the limit of ${this.maxBytes} bytes: nothing was imported.`, "FILE_TOO_LARGE");
				const whole = !spoolFirst || (await untilWritten(spooled, this.maxBytes, async () => !(await q.addPublished(this.db, job.id, 0)), PROGRESS_EVERY_MS, tooLarge));
				const result = whole ? await readCsv(source, { encoding: options.encoding, delimiter: options.delimiter, maxBytes: this.maxBytes, chunkRows: this.chunkRows, maxRowChars: MAX_ROW_CHARS }, sink) : null;
				if (result && !result.stopped) {
					if (result.blankLines) await q.addWarnings(this.db, job.id, [`${result.blankLines} blank line(s) skipped.`]);
					await q.setParsed(this.db, job.id, result.totalRows, chunkIndex);
					await this.finishIfDone(ctx, clubId, job.id);
				}
			} catch (err: any) {
				if (err instanceof ImportFileError) {
					const failed = await this.failJob(clubId, job.id, err.message);
					if (err.code === "FILE_TOO_LARGE") throw new PayloadTooLargeError(this.maxBytes);
					if (failed) return failed;
				} else if (err instanceof UploadStreamError) {
					// The client's bytes broke (cut, malformed, gone): 400 if anyone is still there to read it.
					await this.failJob(clubId, job.id, err.jobError);
					throw err;
				} else {
					await this.failJob(clubId, job.id, "The file could not be read to its end (internal error).");
					throw err;
				}
			} finally {
				// After the rest of the body was read away: a reply before its end resets the connection.
				await spooled.close();
			}
			const now = await q.findJob(this.db, clubId, job.id);
			const out = toJob(now!);
			ctx.emit("imports.progress", { clubId, job: out });
			return out;
		},

		/** The `file` part of a multipart body, as a stream (other parts are skipped): import.upload.ts. */
		multipartFile(this: any, stream: Readable | null, contentType: string): Promise<{ file: Readable; fileName: string | null }> {
			return multipartFile(stream, contentType, err => this.logger.debug("multipart error after the file part:", err));
		},

		/** groupId option: a group of the club (422 otherwise). */
		async checkGroup(this: any, ctx: Context<unknown, HttpMeta>, groupId: string | undefined): Promise<string | null> {
			return groupId === undefined ? null : clubGroupId(ctx, groupId);
		},

		/** tags option: a comma list, normalised like every client's tags (422 otherwise). */
		checkTags(this: any, tags: string | undefined): string[] {
			if (tags === undefined) return [];
			const r = normalizeTags(tags.split(",").map(t => t.trim()).filter(Boolean));
			if ("errors" in r) throw invalid(r.errors.map(e => ({ ...e, message: `${e.message} (in the 'tags' option)` })));
			return r.value;
		},

		/** Rows -> JSON parts whose message stays under MAX_MESSAGE_BYTES (a normal chunk is one part). */
		splitForWire(this: any, rows: ImportRow[]): Array<{ json: string; count: number }> {
			const json = JSON.stringify(rows);
			if (rows.length <= 1 || Buffer.byteLength(json) <= MAX_MESSAGE_BYTES) return [{ json, count: rows.length }];
			const half = Math.ceil(rows.length / 2);
			return [...this.splitForWire(rows.slice(0, half)), ...this.splitForWire(rows.slice(half))];
		},

		async publishChunk(this: any, msg: WireChunk): Promise<void> {
			if (this.inProcess) {
				// No broker between reader and workers: wait while this job has enough chunks queued.
				while ((this.localQueued.get(msg.jobId) ?? 0) >= LOCAL_WINDOW) {
					await new Promise<void>(resolve => this.localWaiters.push(resolve));
				}
				this.localQueued.set(msg.jobId, (this.localQueued.get(msg.jobId) ?? 0) + 1);
			}
			await this.broker.sendToChannel(CHUNK_CHANNEL, msg, { msgID: `${msg.jobId}:${msg.chunkIndex}` });
		},

		localDone(this: any, jobId: string) {
			if (!this.inProcess) return;
			const n = (this.localQueued.get(jobId) ?? 1) - 1;
			if (n <= 0) this.localQueued.delete(jobId);
			else this.localQueued.set(jobId, n);
			const waiters = this.localWaiters.splice(0);
			for (const w of waiters) w();
		},

		/** A chunk from the channel. Throwing NACKs it (JetStream redelivers it). */
		async onChunk(this: any, msg: ChunkMessage, raw: any): Promise<void> {
			const keepAlive = setInterval(() => raw?.working?.(), WORKING_EVERY_MS);
			try {
				if (!this.inProcess) {
					const delivery: number = raw?.info?.redeliveryCount ?? 1;
					if (delivery > MAX_ATTEMPTS) return await this.deadLetter(msg, `the chunk failed ${MAX_ATTEMPTS} times`);
					try {
						return await this.applyChunk(msg);
					} catch (err) {
						this.logger.warn(`Import ${msg.jobId} chunk ${msg.chunkIndex}: attempt ${delivery} failed:`, err);
						throw err;
					}
				}
				// In-process: no redelivery, so retry here, then dead-letter.
				for (let attempt = 1; ; attempt++) {
					try {
						return await this.applyChunk(msg);
					} catch (err) {
						this.logger.warn(`Import ${msg.jobId} chunk ${msg.chunkIndex}: attempt ${attempt} failed:`, err);
						if (attempt >= MAX_ATTEMPTS) {
							await this.deadLetter(msg, `the chunk failed ${MAX_ATTEMPTS} times`).catch((e: unknown) => this.logger.error("Dead-lettering failed:", e));
							return;
						}
						await sleep(200 * attempt);
					}
				}
			} finally {
				clearInterval(keepAlive);
				this.localDone(msg.jobId);
			}
		},

		/**
		 * Normalise, write through clients.importBatch, record once. The job is held open
		 * (q.holdJobOpen) from the status check to the record's commit, so a cancel waits for
		 * this chunk and the ended job counts exactly what was written; a chunk that comes
		 * after the job ended is dropped unwritten.
		 */
		async applyChunk(this: any, msg: ChunkMessage): Promise<void> {
			const { jobId, clubId, chunkIndex, options } = msg;
			const before: q.JobRow | undefined = await q.findJob(this.db, clubId, jobId);
			if (!q.isOpen(before)) return; // cancelled (or being cancelled) or failed: its remaining chunks are dropped
			if (await q.isRecorded(this.db, jobId, chunkIndex)) return;
			const { batch, errors, warnings } = await this.prepareRows(msg);
			const recorded: boolean = await this.db.transaction(async (trx: Knex.Transaction) => {
				await q.holdJobOpen(trx, jobId);
				const job: q.JobRow | undefined = await q.findJob(trx, clubId, jobId);
				if (!job || !q.isOpen(job)) return false; // ended, or a cancel came, while this chunk was being prepared
				if (await q.isRecorded(trx, jobId, chunkIndex)) return false;
				const outcome: ImportBatchOutcome = batch.length
					? await this.broker.call(
							"clients.importBatch",
							{ jobId, chunkIndex, onDuplicate: options.onDuplicate, dryRun: options.dryRun, existingBefore: job.created_at.toISOString(), rows: batch },
							{ meta: { clubId, actor: msg.actor }, timeout: 120_000 },
						)
					: { created: 0, updated: 0, skipped: 0, failed: 0, errors: [], updatedIds: [], replayed: false };
				const preFailed = msg.rows.length - batch.length;
				const counts: q.ChunkCounts = {
					rows: msg.rows.length,
					created: outcome.created,
					updated: outcome.updated,
					skipped: outcome.skipped,
					failed: preFailed + outcome.failed,
					possibleDuplicates: outcome.possibleDuplicates ?? 0,
				};
				const allErrors: ImportRowError[] = [...errors, ...outcome.errors].sort((a, b) => a.line - b.line);
				const done = await q.recordChunk(trx, job, chunkIndex, counts, allErrors);
				if (done && warnings.length) await q.addWarnings(trx, jobId, warnings);
				return done;
			});
			if (recorded) await this.announce(clubId, jobId);
		},

		/** A chunk given up on: every row not yet recorded becomes a failed row (never dropped). */
		async deadLetter(this: any, msg: ChunkMessage, reason: string): Promise<void> {
			const errors = msg.rows.map(r => ({ line: r.line, field: "", code: "IMPORT_CHUNK_FAILED", message: `Not imported: ${reason}.` }));
			const counts = { rows: msg.rows.length, created: 0, updated: 0, skipped: 0, failed: msg.rows.length };
			const recorded: boolean = await this.db.transaction(async (trx: Knex.Transaction) => {
				await q.holdJobOpen(trx, msg.jobId);
				const job: q.JobRow | undefined = await q.findJob(trx, msg.clubId, msg.jobId);
				if (!q.isOpen(job)) return false; // ended or being cancelled: its rows are dropped with the job's other unstarted chunks
				return q.recordChunk(trx, job, msg.chunkIndex, counts, errors, true);
			});
			if (!recorded) return;
			this.logger.error(`Import ${msg.jobId} chunk ${msg.chunkIndex} dead-lettered (${reason}): ${msg.rows.length} rows recorded as failed.`);
			await this.announce(msg.clubId, msg.jobId);
		},

		/** After a recorded chunk: progress, and completion when it was the last one. */
		async announce(this: any, clubId: string, jobId: string): Promise<void> {
			const last: q.JobRow | undefined = await q.findJob(this.db, clubId, jobId);
			if (aboutToComplete(last)) await refreshClientStatistics(this, last); // before anyone reads `completed` (import.statistics.ts)
			const done: q.JobRow | undefined = await this.completeJob(clubId, jobId);
			const row = done ?? (await q.findJob(this.db, clubId, jobId));
			if (!row || (!done && row.status !== "running")) return; // ended meanwhile: imports.finished was its last word
			const job = toJob(row);
			this.broker.emit("imports.progress", { clubId, job });
			if (done) this.broker.emit("imports.finished", { clubId, job });
		},

		/** Completes the job when its last chunk is recorded, with its audit entry (the import service is the actor). */
		completeJob(this: any, clubId: string, jobId: string): Promise<q.JobRow | undefined> {
			return this.db.transaction(async (trx: Knex.Transaction) => {
				const done: q.JobRow | undefined = await q.completeIfDone(trx, jobId);
				if (done) await this.recordJob(trx, serviceContext(this, clubId), "imports.finish", done);
				return done;
			});
		},

		/** A job's audit entry: started (no event), or ended (`imports.finished` with the job as GET /imports/:id shows it). */
		async recordJob(this: any, trx: Knex.Transaction, ctx: Context, action: string, row: q.JobRow): Promise<void> {
			const job = toJob(row);
			const changes = action === "imports.start" ? { status: [null, job.status] as [unknown, unknown] } : { status: ["running", job.status] as [unknown, unknown] };
			await this.recordChange(trx, ctx, { action, target: { type: "import", id: row.id }, changes, event: action === "imports.start" ? null : { type: "imports.finished", data: job } });
		},

		async finishIfDone(this: any, ctx: Context, clubId: string, jobId: string): Promise<void> {
			const last: q.JobRow | undefined = await q.findJob(this.db, clubId, jobId);
			if (aboutToComplete(last)) await refreshClientStatistics(this, last);
			const done: q.JobRow | undefined = await this.completeJob(clubId, jobId);
			if (done) ctx.emit("imports.finished", { clubId, job: toJob(done) });
		},

		async failJob(this: any, clubId: string, jobId: string, message: string): Promise<ImportJob | null> {
			const row: q.JobRow | undefined = await q.endJob(this.db, clubId, jobId, "failed", message, (trx, ended) => this.recordJob(trx, serviceContext(this, clubId), "imports.fail", ended));
			if (!row) return null;
			const job = toJob(row);
			this.broker.emit("imports.finished", { clubId, job });
			return job;
		},

		/** The chunk's rows through lib/normalize (the code behind POST /clients), groups resolved by name. */
		async prepareRows(this: any, msg: ChunkMessage): Promise<{ batch: Array<{ line: number; client: ImportBatchClient }>; errors: ImportRowError[]; warnings: string[] }> {
			const { clubId, options } = msg;
			const batch: Array<{ line: number; client: ImportBatchClient }> = [];
			const errors: ImportRowError[] = [];
			const warnings: string[] = [];
			const defaults = await this.clubDefaults(clubId);
			const fallbackGroup: string = options.groupId ?? defaults.defaultGroupId;
			for (const row of msg.rows) {
				if (row.error || !row.input) {
					if (row.error) errors.push(row.error);
					continue;
				}
				const input: Record<string, unknown> = { ...row.input };
				if (options.tags.length) input.tags = [...((row.input.tags as string[]) ?? []), ...options.tags];
				const norm = normalizeClientInput(input, { genderLanguage: msg.genderLanguage });
				if ("errors" in norm) {
					for (const e of norm.errors) errors.push({ line: row.line, field: e.field, code: errorCode(e), message: e.message });
					continue;
				}
				const value = norm.value as NormalizedClient;
				let groupId = fallbackGroup;
				let setGroup = options.groupId !== null;
				if (row.group) {
					const found: string | null = await this.groupByName(clubId, row.group);
					if (found) {
						groupId = found;
						setGroup = true;
					} else {
						warnings.push(`Group '${row.group.slice(0, 100)}' does not exist: its rows went to the ${options.groupId ? "import's" : "default"} group.`);
					}
				}
				batch.push({ line: row.line, client: { ...value, birthDate: value.birthDate ?? null, notes: value.notes ?? null, tags: value.tags ?? [], groupId, setGroup } });
			}
			return { batch, errors, warnings };
		},

		async clubDefaults(this: any, clubId: string): Promise<{ defaultGroupId: string }> {
			const hit = this.defaultsCache.get(clubId);
			if (hit && hit.until > Date.now()) return hit.value;
			const value = await this.broker.call("groups.defaults", {}, { meta: { clubId } });
			this.defaultsCache.set(clubId, { value, until: Date.now() + GROUP_CACHE_MS });
			return value;
		},

		async groupByName(this: any, clubId: string, name: string): Promise<string | null> {
			const key = `${clubId}\u0000${name.trim().toLowerCase()}`;
			const hit = this.groupCache.get(key);
			if (hit && hit.until > Date.now()) return hit.id;
			const group: { id: string } | null = await this.broker.call("groups.findByName", { name: name.trim().slice(0, 200) }, { meta: { clubId } });
			if (this.groupCache.size > 10_000) this.groupCache.clear();
			this.groupCache.set(key, { id: group?.id ?? null, until: Date.now() + GROUP_CACHE_MS });
			return group?.id ?? null;
		},
	},

	events: {
		// Group names may have changed: look them up again.
		"groups.updated"(this: any) {
			this.groupCache.clear();
		},
		"groups.deleted"(this: any) {
			this.groupCache.clear();
		},
		"groups.defaultChanged"(this: any) {
			this.defaultsCache.clear();
		},
	},

	created(this: any) {
		const env = readEnv();
		this.maxBytes = env.importMaxBytes;
		this.chunkRows = Math.max(1, env.importChunkRows);
		// The Fake adapter (no NATS transporter) neither persists, retries nor dead-letters.
		this.inProcess = this.broker.channelAdapter?.constructor?.name !== "NatsAdapter";
		this.localQueued = new Map<string, number>();
		this.localWaiters = [] as Array<() => void>;
		this.groupCache = new Map();
		this.defaultsCache = new Map();
	},
});

/** Reads what is left of an upload so the client gets our answer rather than a reset connection. */
function drain(source: unknown): void {
	const s = source as { resume?: () => void; on?: (ev: string, fn: () => void) => void };
	if (typeof s?.resume === "function") {
		s.on?.("error", () => undefined);
		s.resume();
	}
}

export default ImportService;
