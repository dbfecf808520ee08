/**
 * The workers: every import node takes chunks off the channel (import.channels.ts), normalises
 * their rows with the code behind POST /clients (lib/normalize/client.ts), writes them through
 * clients.importBatch (exactly once per chunk) and records the chunk's result once (chunk_results
 * keyed by job and chunk, the job's counters moved in the same transaction); the job completes
 * when every chunk is recorded. A worker killed mid-chunk: the chunk is redelivered and applied
 * once. A chunk that keeps failing becomes failed rows, never a silent drop.
 *
 * Over JetStream the channel retries and dead-letters; in one process (the Fake adapter, which
 * does neither) the worker retries a chunk itself, and the reader waits while LOCAL_WINDOW chunks
 * of its job are queued.
 */
import type { Knex } from "knex";
import { normalizeClientInput, type NormalizedClient } from "../../lib/normalize/client";
import { defineMixin } from "../../lib/service";
import type { ImportBatchClient, ImportBatchOutcome, ImportBatchParams, ImportRowError } from "../clients/clients.contract";
import { ADAPTER_MAX_RETRIES, CHUNK_CHANNEL, DEAD_CHANNEL, MAX_ATTEMPTS, MAX_IN_FLIGHT, WORKING_EVERY_MS, channelsOf, type ChannelDelivery } from "./import.channels";
import type { ImportEvents } from "./import.contract";
import { toJob } from "./import.entity";
import * as q from "./import.queries";
import { aboutToComplete, refreshClientStatistics } from "./import.statistics";
import type { ImportThis } from "./import.types";
import { fromWire, type ChunkMessage, type WireChunk } from "./import.wire";

/** In-process only: chunks of one job waiting for a worker before the reader pauses. */
const LOCAL_WINDOW = 4;
/** A chunk's write through clients.importBatch may take this long. */
const IMPORT_BATCH_TIMEOUT_MS = 120_000;

type BatchRow = ImportBatchParams["rows"][number];

/** A chunk's rows ready for clients.importBatch, and what was refused or noticed on the way. */
export interface PreparedRows {
	batch: BatchRow[];
	errors: ImportRowError[];
	warnings: string[];
}

/** What the workers give the service's `this`. */
export interface WorkerMembers {
	/** Sends a chunk to the workers (in one process: waits while its job has LOCAL_WINDOW queued). */
	publishChunk(msg: WireChunk): Promise<void>;
	/** A chunk from the channel. Throwing NACKs it (JetStream redelivers it). */
	onChunk(msg: ChunkMessage, raw: ChannelDelivery | undefined): Promise<void>;
	applyChunk(msg: ChunkMessage): Promise<void>;
	/** A chunk given up on: every row not yet recorded becomes a failed row (never dropped). */
	deadLetter(msg: ChunkMessage, reason: string): Promise<void>;
	/** After a recorded chunk: progress, and completion when it was the last one. */
	announce(clubId: string, jobId: string): Promise<void>;
	/** The chunk's rows through lib/normalize (the code behind POST /clients), groups resolved by name. */
	prepareRows(msg: ChunkMessage): Promise<PreparedRows>;
	localDone(jobId: string): void;
	/** The Fake adapter (no NATS transporter) neither persists, retries nor dead-letters. */
	inProcess: boolean;
	localQueued: Map<string, number>;
	localWaiters: Array<() => void>;
}

/** A field error of lib/normalize as a row error code: REQUIRED, INVALID_<FIELD>. */
const errorCode = (e: { field: string; type: string }) =>
	e.type === "required"
		? "REQUIRED"
		: `INVALID_${e.field
				.replace(/\[\d+\]$/, "")
				.replace(/([a-z])([A-Z])/g, "$1_$2")
				.toUpperCase()}`;

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

const NOTHING_WRITTEN: ImportBatchOutcome = { created: 0, updated: 0, skipped: 0, failed: 0, errors: [], updatedIds: [], replayed: false };

export const WorkerMixin = defineMixin<ImportThis>({
	channels: {
		[CHUNK_CHANNEL]: {
			maxInFlight: MAX_IN_FLIGHT,
			maxRetries: ADAPTER_MAX_RETRIES,
			deadLettering: { enabled: true, queueName: DEAD_CHANNEL },
			handler(this: ImportThis, msg: WireChunk, raw?: ChannelDelivery) {
				return this.onChunk(fromWire(msg), raw);
			},
		},
		/** Chunks JetStream gave up on (past ADAPTER_MAX_RETRIES): their rows become failed rows. */
		[DEAD_CHANNEL]: {
			handler(this: ImportThis, msg: WireChunk) {
				return this.deadLetter(fromWire(msg), "the chunk could not be delivered to a worker");
			},
		},
	},

	methods: {
		async publishChunk(msg: WireChunk): Promise<void> {
			if (this.inProcess) {
				// No broker between reader and workers: wait while this job has enough chunks queued.
				while ((this.localQueued.get(msg.jobId) ?? 0) >= LOCAL_WINDOW) {
					await new Promise<void>(resolve => this.localWaiters.push(resolve));
				}
				this.localQueued.set(msg.jobId, (this.localQueued.get(msg.jobId) ?? 0) + 1);
			}
			await channelsOf(this.broker).sendToChannel(CHUNK_CHANNEL, msg, { msgID: `${msg.jobId}:${msg.chunkIndex}` });
		},

		localDone(jobId: string) {
			if (!this.inProcess) return;
			const n = (this.localQueued.get(jobId) ?? 1) - 1;
			if (n <= 0) this.localQueued.delete(jobId);
			else this.localQueued.set(jobId, n);
			const waiters = this.localWaiters.splice(0);
			for (const w of waiters) w();
		},

		async onChunk(msg: ChunkMessage, raw: ChannelDelivery | undefined): Promise<void> {
			const keepAlive = setInterval(() => raw?.working?.(), WORKING_EVERY_MS);
			try {
				if (!this.inProcess) {
					const delivery = raw?.info?.redeliveryCount ?? 1;
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
		async applyChunk(msg: ChunkMessage): Promise<void> {
			const { jobId, clubId, chunkIndex, options } = msg;
			const before = await q.findJob(this.db, clubId, jobId);
			if (!q.isOpen(before)) return; // cancelled (or being cancelled) or failed: its remaining chunks are dropped
			if (await q.isRecorded(this.db, jobId, chunkIndex)) return;
			const { batch, errors, warnings } = await this.prepareRows(msg);
			const recorded = await this.db.transaction(async (trx: Knex.Transaction) => {
				await q.holdJobOpen(trx, jobId);
				const job = await q.findJob(trx, clubId, jobId);
				if (!job || !q.isOpen(job)) return false; // ended, or a cancel came, while this chunk was being prepared
				if (await q.isRecorded(trx, jobId, chunkIndex)) return false;
				const params: ImportBatchParams = { jobId, chunkIndex, onDuplicate: options.onDuplicate, dryRun: options.dryRun, existingBefore: job.created_at.toISOString(), rows: batch };
				// A call inside a transaction, the exception to CONTRIBUTING.md's rule on calling another service
				// while holding one: the job's SHARED advisory lock (no row lock; only a cancel or a failure waits
				// for it) must cover the write, so an ended job counts exactly what was written. importBatch applies
				// a (job, chunk) once, so a retried call writes nothing twice.
				const outcome = batch.length
					? await this.broker.call<ImportBatchOutcome, ImportBatchParams>("clients.importBatch", params, { meta: { clubId, actor: msg.actor }, timeout: IMPORT_BATCH_TIMEOUT_MS })
					: NOTHING_WRITTEN;
				const counts: q.ChunkCounts = {
					rows: msg.rows.length,
					created: outcome.created,
					updated: outcome.updated,
					skipped: outcome.skipped,
					failed: msg.rows.length - batch.length + outcome.failed,
					possibleDuplicates: outcome.possibleDuplicates ?? 0,
				};
				const allErrors = [...errors, ...outcome.errors].sort((a, b) => a.line - b.line);
				const done = await q.recordChunk(trx, job, chunkIndex, counts, allErrors);
				if (done && warnings.length) await q.addWarnings(trx, jobId, warnings);
				return done;
			});
			if (recorded) await this.announce(clubId, jobId);
		},

		async deadLetter(msg: ChunkMessage, reason: string): Promise<void> {
			const errors = msg.rows.map(r => ({ line: r.line, field: "", code: "IMPORT_CHUNK_FAILED", message: `Not imported: ${reason}.` }));
			const counts = { rows: msg.rows.length, created: 0, updated: 0, skipped: 0, failed: msg.rows.length };
			const recorded = await this.db.transaction(async (trx: Knex.Transaction) => {
				await q.holdJobOpen(trx, msg.jobId);
				const job = await q.findJob(trx, msg.clubId, msg.jobId);
				if (!q.isOpen(job)) return false; // ended or being cancelled: its rows are dropped with the job's other unstarted chunks
				return q.recordChunk(trx, job, msg.chunkIndex, counts, errors, true);
			});
			if (!recorded) return;
			this.logger.error(`Import ${msg.jobId} chunk ${msg.chunkIndex} dead-lettered (${reason}): ${msg.rows.length} rows recorded as failed.`);
			await this.announce(msg.clubId, msg.jobId);
		},

		async announce(clubId: string, jobId: string): Promise<void> {
			const last = await q.findJob(this.db, clubId, jobId);
			if (aboutToComplete(last)) await refreshClientStatistics(this, last); // before anyone reads `completed` (import.statistics.ts)
			const done = await this.completeJob(clubId, jobId);
			const row = done ?? (await q.findJob(this.db, clubId, jobId));
			if (!row || (!done && row.status !== "running")) return; // ended meanwhile: imports.finished was its last word
			const job = toJob(row);
			this.broker.emit("imports.progress", { clubId, job } satisfies ImportEvents["imports.progress"]);
			if (done) this.broker.emit("imports.finished", { clubId, job } satisfies ImportEvents["imports.finished"]);
		},

		async prepareRows(msg: ChunkMessage): Promise<PreparedRows> {
			const { clubId, options } = msg;
			const out: PreparedRows = { batch: [], errors: [], warnings: [] };
			const defaults = await this.clubDefaults(clubId);
			const fallbackGroup = options.groupId ?? defaults.defaultGroupId;
			for (const row of msg.rows) {
				if (row.error || !row.input) {
					if (row.error) out.errors.push(row.error);
					continue;
				}
				const input: Record<string, unknown> = { ...row.input };
				if (options.tags.length) input.tags = [...((row.input.tags as string[]) ?? []), ...options.tags];
				const norm = normalizeClientInput(input, { genderLanguage: msg.genderLanguage });
				if ("errors" in norm) {
					for (const e of norm.errors) out.errors.push({ line: row.line, field: e.field, code: errorCode(e), message: e.message });
					continue;
				}
				const value = norm.value as NormalizedClient;
				let groupId = fallbackGroup;
				let setGroup = options.groupId !== null;
				if (row.group) {
					const found = await this.groupByName(clubId, row.group);
					if (found) {
						groupId = found;
						setGroup = true;
					} else {
						out.warnings.push(`Group '${row.group.slice(0, 100)}' does not exist: its rows went to the ${options.groupId ? "import's" : "default"} group.`);
					}
				}
				const client: ImportBatchClient = { ...value, birthDate: value.birthDate ?? null, notes: value.notes ?? null, tags: value.tags ?? [], groupId, setGroup };
				out.batch.push({ line: row.line, client });
			}
			return out;
		},
	},

	created() {
		this.inProcess = channelsOf(this.broker).channelAdapter?.constructor?.name !== "NatsAdapter";
		this.localQueued = new Map();
		this.localWaiters = [];
	},
});
