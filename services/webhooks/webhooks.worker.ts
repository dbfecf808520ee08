/**
 * The delivery worker each webhooks node runs. It claims due deliveries (claimDue: FOR
 * UPDATE SKIP LOCKED + a lease, so nodes share the queue and never send one delivery at the
 * same time), checks the URL again (SSRF), signs and sends each, and records the outcome
 * under its claim. A node that dies mid-send leaves a lease that expires: the delivery is
 * then due again on any node (at least once). It wakes on its poll interval, when this node
 * queued a delivery (kick), and when a retry it scheduled falls due.
 */
import crypto from "node:crypto";
import type { Knex } from "knex";
import type { Logger } from "moleculer";
import { readEnv } from "../../moleculer.config";
import * as q from "./webhooks.queries";
import { checkUrl, type Lookup } from "./webhooks.ssrf";
import { signedHeaders, unseal } from "./webhooks.signing";
import { postOnce, type AttemptResult } from "./webhooks.sender";

export interface WorkerOptions {
	db: Knex;
	logger: Logger;
	sealingKey: Buffer;
	lookup?: Lookup;
	/** Called after each attempt (metrics, tests). */
	onAttempt?: (ok: boolean) => void;
}

const PRUNE_EVERY_MS = 10 * 60 * 1000;
const PRUNE_BATCH = 1000;

export class DeliveryWorker {
	/** Attempts this worker made (ok or not) since it was created. */
	attempts = 0;
	private inFlight = new Set<Promise<void>>();
	private pollTimer: NodeJS.Timeout | null = null;
	private pruneTimer: NodeJS.Timeout | null = null;
	private wakeTimer: NodeJS.Timeout | null = null;
	private wakeAt = Infinity;
	private claiming: Promise<void> | null = null;
	private again = false;
	private stopped = true;

	constructor(private readonly opts: WorkerOptions) {}

	start(): void {
		this.stopped = false;
		this.pollTimer = setInterval(() => this.kick(), readEnv().webhookPollMs);
		this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
		this.pruneTimer.unref?.();
		this.kick();
	}

	/** Stops claiming and waits for the attempts under way (each ends within the timeout). */
	async stop(): Promise<void> {
		this.stopped = true;
		if (this.pollTimer) clearInterval(this.pollTimer);
		if (this.pruneTimer) clearInterval(this.pruneTimer);
		if (this.wakeTimer) clearTimeout(this.wakeTimer);
		this.pollTimer = this.pruneTimer = this.wakeTimer = null;
		this.wakeAt = Infinity;
		await this.claiming; // the rows it takes are attempted: wait for them too
		await Promise.allSettled([...this.inFlight]);
	}

	/** Drops deliveries finished more than WEBHOOK_KEEP_DAYS ago, a batch at a time. */
	async prune(): Promise<number> {
		let total = 0;
		try {
			for (;;) {
				const n = await q.pruneFinished(this.opts.db, readEnv().webhookKeepDays, PRUNE_BATCH);
				total += n;
				if (n < PRUNE_BATCH || this.stopped) break;
			}
		} catch (err) {
			if (!this.stopped) this.opts.logger.warn("Webhooks: pruning finished deliveries failed:", (err as Error)?.message ?? err);
		}
		return total;
	}

	/** Look for due deliveries now. */
	kick(): void {
		if (this.stopped) return;
		if (this.claiming) {
			this.again = true;
			return;
		}
		this.claiming = this.claim().finally(() => {
			this.claiming = null;
		});
	}

	/** Wake up in `ms` (a retry this node scheduled), unless a wake-up comes sooner. */
	private wakeIn(ms: number): void {
		const at = Date.now() + ms;
		if (this.stopped || at >= this.wakeAt) return;
		if (this.wakeTimer) clearTimeout(this.wakeTimer);
		this.wakeAt = at;
		this.wakeTimer = setTimeout(() => {
			this.wakeAt = Infinity;
			this.wakeTimer = null;
			this.kick();
		}, ms + 5);
	}

	private async claim(): Promise<void> {
		try {
			do {
				this.again = false;
				const env = readEnv();
				const free = env.webhookConcurrency - this.inFlight.size;
				if (free <= 0 || this.stopped) break;
				const token = crypto.randomUUID();
				const rows = await q.claimDue(this.opts.db, free, env.webhookLeaseMs, token);
				for (const row of rows) {
					const p: Promise<void> = this.attempt(row, token).finally(() => {
						this.inFlight.delete(p);
						// Refill in batches (one claim per half of the slots), not one claim per finished attempt.
						if (this.inFlight.size <= Math.floor(readEnv().webhookConcurrency / 2)) this.kick();
					});
					this.inFlight.add(p);
				}
				if (rows.length === free) this.again = true;
			} while (this.again && !this.stopped);
		} catch (err) {
			if (!this.stopped) this.opts.logger.warn("Webhooks: claiming due deliveries failed:", (err as Error)?.message ?? err);
		}
	}

	private async attempt(row: q.ClaimedRow, token: string): Promise<void> {
		const env = readEnv();
		let result: AttemptResult;
		try {
			const target = await checkUrl(row.url, { allowHttp: env.webhookAllowHttp, allowPrivate: env.webhookAllowPrivate }, this.opts.lookup);
			const secrets = (row.secrets ?? []).map(s => unseal(s, this.opts.sealingKey)).filter((s): s is string => !!s);
			if (!secrets.length) result = { ok: false, status: null, error: "no secret of the endpoint could be read (was WEBHOOK_SECRETS_KEY changed?)" };
			else {
				const headers = signedHeaders(secrets, row.id, Math.floor(Date.now() / 1000), row.body);
				result = await postOnce(target, headers, row.body, env.webhookTimeoutMs);
			}
		} catch (err: any) {
			result = { ok: false, status: null, error: String(err?.message ?? err).slice(0, 300) };
		}
		try {
			if (result.ok) await q.markDelivered(this.opts.db, row.id, token, result.status!);
			else {
				const schedule = env.webhookRetryScheduleS;
				const retryInMs = row.schedule_pos < schedule.length ? Math.round(schedule[row.schedule_pos] * 1000) : null;
				await q.markFailed(this.opts.db, row.id, token, result.status, result.error ?? "failed", retryInMs);
				if (retryInMs !== null) this.wakeIn(retryInMs);
			}
		} catch (err) {
			// The lease runs out and the delivery is due again: sent twice at worst, never lost.
			if (!this.stopped) this.opts.logger.warn(`Webhooks: recording the outcome of delivery ${row.id} failed:`, (err as Error)?.message ?? err);
		}
		this.attempts++;
		this.opts.onAttempt?.(result.ok);
	}
}
