/**
 * The upload (POST /imports): the options and the body checked, the job started, then the file
 * read as it arrives (import.reader.ts) and published chunk by chunk to the workers
 * (import.worker.ts). The body goes through a spool file at disk speed (import.spool.ts) and is
 * made safe against the wire first (import.body.ts).
 */
import crypto from "node:crypto";
import type { Readable } from "node:stream";
import type { Context } from "moleculer";
import { clubGroupId } from "../../lib/club-group";
import { invalid } from "../../lib/errors";
import type { HttpMeta } from "../../lib/http";
import { normalizeTags } from "../../lib/normalize/client";
import { defineMixin } from "../../lib/service";
import { creditedStream, type UploadFlowMeta } from "../../lib/upload-flow";
import { actorOf } from "../../mixins/outbox.mixin";
import type { GenderLanguage } from "./csv/headers";
import type { ImportRow } from "./csv/rows";
import { drain, guardUpload, multipartFile } from "./import.body";
import type { ImportEvents } from "./import.contract";
import { toJob, type ImportJob } from "./import.entity";
import { PayloadTooLargeError, UnsupportedMediaTypeError, UploadStreamError } from "./import.errors";
import * as q from "./import.queries";
import { ImportFileError, readCsv, type DelimiterOption, type ReadSink } from "./import.reader";
import { spool, untilWritten } from "./import.spool";
import type { ImportThis } from "./import.types";
import { splitForWire, type WireChunk } from "./import.wire";

/** Longest CSV row, in characters. */
const MAX_ROW_CHARS = 64 * 1024;
/** While a file is read, its job's totalRows moves (and a cancel is noticed) this often. */
const PROGRESS_EVERY_MS = 500;
/** Multipart adds its boundaries and part headers around the file. */
const MULTIPART_OVERHEAD = 64 * 1024;
const CSV_TYPES = /^(text\/(csv|plain|comma-separated-values|tab-separated-values)|application\/(csv|vnd\.ms-excel|octet-stream))\s*(;|$)/i;

export interface UploadParams {
	onDuplicate?: "skip" | "update";
	delimiter?: DelimiterOption;
	encoding?: "auto" | "utf-8" | "windows-1252";
	groupId?: string;
	tags?: string;
	dryRun?: boolean;
	fileName?: string;
}

export interface UploadMeta extends HttpMeta {
	upload?: { contentType: string; contentLength: number | null; flow?: UploadFlowMeta };
	$params?: Record<string, unknown>;
}

/** What the upload gives the service's `this`. */
export interface UploadMembers {
	/** The upload: checks, the job, then the file read and published chunk by chunk. */
	upload(ctx: Context<UploadParams, UploadMeta>): Promise<ImportJob>;
	/** groupId option: a group of the club (422 otherwise). */
	checkGroup(ctx: Context<unknown, HttpMeta>, groupId: string | undefined): Promise<string | null>;
	/** tags option: a comma list, normalised like every client's tags (422 otherwise). */
	checkTags(tags: string | undefined): string[];
}

export const UploadMixin = defineMixin<ImportThis>({
	methods: {
		async upload(ctx: Context<UploadParams, UploadMeta>): Promise<ImportJob> {
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
			// Heard from now on: a failure of the body while the options are checked must not go unheard (import.body.ts).
			const guarded = stream ? guardUpload(stream) : null;
			const contentType = upload.contentType.trim();
			const multipart = /^multipart\/form-data\s*;/i.test(contentType);
			// Refusals read the rest of the body away, so the client gets the answer, not a reset connection.
			const refuse = (err: Error) => {
				drain(stream);
				return err;
			};
			if (contentType && !multipart && !CSV_TYPES.test(contentType)) throw refuse(new UnsupportedMediaTypeError());
			if (upload.contentLength !== null && upload.contentLength > this.maxBytes + (multipart ? MULTIPART_OVERHEAD : 0)) {
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
			} catch (err) {
				throw refuse(err as Error);
			}
			let body: Readable | null = stream;
			let fileName: string | null = p.fileName ?? null;
			if (multipart) {
				const part = await multipartFile(stream, contentType, err => this.logger.debug("multipart error after the file part:", err)).catch((err: Error) => {
					throw refuse(err);
				});
				body = part.file;
				fileName = part.fileName ?? fileName;
			}
			// A failure of the body, whenever it comes, is one UploadStreamError out of the iteration (import.body.ts).
			let source: AsyncIterable<Buffer> = (multipart && body ? guardUpload(body) : guarded) ?? (async function* () {})();
			// The body goes to a spool file at disk speed, whatever the pace of the workers: the client's
			// exchange is never held (a client paced by the import met the server's request timeout, and
			// Node's fetch failed with EPIPE), and over a transporter, which has no backpressure, memory stays flat.
			// An upload whose size is not known up front (chunked, or multipart near the limit) is spooled
			// whole before any row is handed on, so one over the limit is refused before a row is written.
			const spoolFirst = upload.contentLength === null || upload.contentLength > this.maxBytes;
			const spooled = spool(source, this.maxBytes);
			source = spooled.chunks;
			const job = await this.db.transaction(async trx => {
				const row = await q.insertJob(trx, { id: crypto.randomUUID(), club_id: clubId, file_name: fileName, options });
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
			const sink: ReadSink = {
				header: async map => {
					genderLanguage = map.genderLanguage;
					await q.addWarnings(this.db, job.id, map.warnings);
				},
				chunk: async (rows: ImportRow[]) => {
					for (const part of splitForWire(rows)) {
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
			} catch (err) {
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
			ctx.emit("imports.progress", { clubId, job: out } satisfies ImportEvents["imports.progress"]);
			return out;
		},

		async checkGroup(ctx: Context<unknown, HttpMeta>, groupId: string | undefined): Promise<string | null> {
			return groupId === undefined ? null : clubGroupId(ctx, groupId);
		},

		checkTags(tags: string | undefined): string[] {
			if (tags === undefined) return [];
			const r = normalizeTags(tags.split(",").map(t => t.trim()).filter(Boolean));
			if ("errors" in r) throw invalid(r.errors.map(e => ({ ...e, message: `${e.message} (in the 'tags' option)` })));
			return r.value;
		},
	},
});
