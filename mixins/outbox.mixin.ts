/**
 * The transactional outbox: how a change leaves a service for sure (the audit trail, webhooks).
 *
 *   mixins: [DbMixin({ schema: "clients" }), OutboxMixin()]
 *   await this.db.transaction(async trx => {
 *       ...the change...
 *       await this.recordChange(trx, ctx, { action: "clients.update", target: { type: "client", id },
 *           changes: { email: [before, after] }, event: { type: "clients.updated", data: client } });
 *   });
 *
 * recordChange writes a row into the service's own `<schema>.outbox` table inside the caller's
 * transaction, so the row exists exactly when the change does. A relay in every instance of the
 * service then publishes committed rows to the reliable channel `outbox.entries` (msgID = row id)
 * and marks them published:
 *   - it wakes right after the commit (knex's transaction promise), and also polls every
 *     OUTBOX_POLL_MS, so rows left by a node that died right after its commit are published by the
 *     next run on that node or on any other node running the service;
 *   - it takes rows with `FOR UPDATE SKIP LOCKED`, so several nodes share the work without fighting;
 *   - a failed publish leaves the row unpublished and is retried (backing off up to 30 s).
 * Over NATS the channel is JetStream (at least once; JetStream also drops a re-published msgID
 * within its duplicate window). Without NATS (the embedded default) the channels' Fake adapter
 * neither persists nor retries, so the relay does not use it: it hands each message to the local
 * consumers' handlers itself and marks the row published only once every handler resolved.
 * Either way a message can arrive twice: consumers are idempotent on `id`.
 *
 * A consumer declares `channels: { [OUTBOX_CHANNEL]: outboxConsumer("audit", handler) }`.
 * Each service's migration creates its table with `createOutboxTable(knex, "<schema>")`.
 */
import crypto from "node:crypto";
import type { Knex } from "knex";
import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import { readEnv } from "../moleculer.config";
import { defineMixin, type AppService } from "../lib/service";
import type { DbMembers } from "./db.mixin";
import * as q from "./outbox.queries";

export { createOutboxTable, dropOutboxTable } from "./outbox.queries";

export const OUTBOX_CHANNEL = "outbox.entries";

export interface Actor {
	type: "staff" | "key" | "platform" | "service";
	id: string;
	name: string | null;
}

export interface ChangeTarget {
	type: string;
	id: string;
}

/** What a service says about one committed change. */
export interface ChangeEntry {
	/** `<service>.<verb>`, e.g. "clients.update". */
	action: string;
	target: ChangeTarget;
	/** Updates: `{ field: [before, after] }`. */
	changes?: Record<string, [unknown, unknown]> | null;
	/** The domain event for webhooks (API.md event types), `data` as the REST API shows the entity. */
	event?: { type: string; data: unknown } | null;
	/** Only when the change creates the tenant itself (clubs.create): the club it belongs to. */
	clubId?: string;
}

/** The message on `outbox.entries`, one per row. */
export interface OutboxMessage {
	id: string;
	clubId: string;
	at: string;
	service: string;
	action: string;
	actor: Actor;
	requestId: string | null;
	target: ChangeTarget;
	changes: Record<string, [unknown, unknown]> | null;
	event: { type: string; data: unknown } | null;
}

/** Rows one relay run takes at once. */
const RELAY_BATCH = 200;
/** Published rows are kept this long (for inspection), then pruned. */
const KEEP_PUBLISHED_MS = 60 * 60 * 1000;
const PRUNE_EVERY_MS = 10 * 60 * 1000;
const MAX_BACKOFF_MS = 30_000;


/** Who made the change: the gateway's actor (key, staff member, platform), else the bus caller. */
export function actorOf(ctx: Context<any, any>): Actor {
	const meta = (ctx.meta ?? {}) as Record<string, any>;
	const a = meta.actor;
	if (a && typeof a === "object" && typeof a.type === "string" && a.id != null) {
		return { type: a.type, id: String(a.id), name: a.name == null ? null : String(a.name) };
	}
	if (meta.platform) return { type: "platform", id: "platform", name: "platform" };
	if (meta.keyId) return { type: "key", id: String(meta.keyId), name: meta.keyName == null ? null : String(meta.keyName) };
	const id = ctx.caller ?? ctx.nodeID ?? "unknown";
	return { type: "service", id, name: id };
}

/** The context of a change a service makes on its own (a job completing): the service is the actor. */
export function serviceContext(service: { name: string; broker: { nodeID: string } }, clubId: string): Context<any, any> {
	return { meta: { clubId }, caller: service.name, nodeID: service.broker.nodeID, requestID: null } as unknown as Context<any, any>;
}


function toMessage(r: q.OutboxRow): OutboxMessage {
	return {
		id: r.id,
		clubId: r.club_id,
		at: new Date(r.at).toISOString(),
		service: r.service,
		action: r.action,
		actor: r.actor,
		requestId: r.request_id,
		target: { type: r.target_type, id: r.target_id },
		changes: r.changes,
		event: r.event,
	};
}

/** Timestamps every entity carries: not changes of their own. */
const NOT_CHANGES = new Set(["id", "createdAt", "updatedAt"]);

/**
 * `{ field: [before, after] }` for the fields that differ between two API-shaped entities;
 * `before` null (a creation) lists every field the entity has. Null when nothing differs.
 */
export function diffChanges(before: Record<string, any> | null, after: Record<string, any>, ignore: Iterable<string> = NOT_CHANGES): Record<string, [unknown, unknown]> | null {
	const skip = new Set(ignore);
	const out: Record<string, [unknown, unknown]> = {};
	for (const k of Object.keys(after)) {
		if (skip.has(k)) continue;
		const a = after[k] === undefined ? null : after[k];
		if (!before) {
			if (a !== null && !(Array.isArray(a) && !a.length)) out[k] = [null, a];
			continue;
		}
		const b = before[k] === undefined ? null : before[k];
		if (JSON.stringify(a) !== JSON.stringify(b)) out[k] = [b, a];
	}
	return Object.keys(out).length ? out : null;
}

/** The root transaction of a (possibly nested) knex transaction: its promise settles on commit. */
function rootTransaction(trx: any): any {
	let t = trx;
	while (t?.parentTransaction) t = t.parentTransaction;
	return t;
}

/** A consumer of `outbox.entries` in its own group (one delivery per group). Throwing retries the message. */
export function outboxConsumer<T = unknown>(group: string, handler: (this: T, msg: OutboxMessage) => Promise<unknown>) {
	return {
		group,
		maxInFlight: 32,
		maxRetries: 1000,
		// A group's first subscription also takes what was published before it existed (the adapter's default is "new").
		nats: { consumerOptions: { config: { deliver_policy: "all" } }, streamConfig: OUTBOX_STREAM_CONFIG },
		handler,
	};
}

/** JetStream keeps outbox messages a week: a consumer group down that long loses nothing younger. */
const OUTBOX_STREAM_CONFIG = { max_age: 7 * 24 * 3600 * 1e9 };

/** Publishing needs the stream; the relay may run before any consumer created it. */
const streamsMade = new WeakMap<object, Promise<void>>();
function ensureOutboxStream(broker: any): Promise<void> {
	const adapter = broker.channelAdapter;
	let made = streamsMade.get(adapter);
	if (!made) {
		const subject = adapter.addPrefixTopic(OUTBOX_CHANNEL);
		made = Promise.resolve(adapter.createStream(subject.split(".").join("_"), [subject], OUTBOX_STREAM_CONFIG));
		made.catch(() => streamsMade.delete(adapter));
		streamsMade.set(adapter, made);
	}
	return made;
}

/** Does this node publish over JetStream (NATS transporter) or hand messages to local handlers? */
function relaysOverJetStream(broker: any): boolean {
	return broker.channelAdapter?.constructor?.name === "NatsAdapter";
}

/** What OutboxMixin gives a service's `this`. */
export interface OutboxMembers {
	recordChange(trx: Knex | Knex.Transaction, ctx: Context<any, any>, entry: ChangeEntry | ChangeEntry[]): Promise<void>;
	recordChanges(trx: Knex | Knex.Transaction, list: Array<{ ctx: Context<any, any>; entry: ChangeEntry }>): Promise<void>;
	/** Relay what is committed now (called after each commit; also on a timer). */
	outboxWake(): void;
	/** Tests: stop (true) or resume (false) this instance's relay. */
	outboxPause(paused: boolean): void;
}

/** The relay's own methods and state, on the service's `this`. */
interface RelayMembers {
	outboxRun(): Promise<void>;
	outboxRelayBatch(): Promise<{ taken: number; failed: number }>;
	outboxPublish(msg: OutboxMessage): Promise<void>;
	outboxPrune(): Promise<void>;
	outboxStop(): Promise<void>;
	outbox: RelayState;
}

interface RelayState {
	running: Promise<void> | null;
	again: boolean;
	stopped: boolean;
	paused: boolean;
	backoffMs: number;
	retryTimer: NodeJS.Timeout | null;
	pollTimer: NodeJS.Timeout | null;
	prunedAt: number;
}

/** The broker as @moleculer/channels extends it at run time. */
type ChannelsBroker = ServiceBroker & { sendToChannel(channel: string, payload: unknown, opts?: Record<string, unknown>): Promise<unknown> };

type OutboxThis = AppService & DbMembers & OutboxMembers & RelayMembers;

export function OutboxMixin(): Partial<ServiceSchema> {
	return defineMixin<OutboxThis>({
		methods: {
			/** Writes the change's entry (or entries) in the caller's transaction; published after commit. */
			recordChange(trx: Knex | Knex.Transaction, ctx: Context<any, any>, entry: ChangeEntry | ChangeEntry[]): Promise<void> {
				return this.recordChanges(trx, (Array.isArray(entry) ? entry : [entry]).map(e => ({ ctx, entry: e })));
			},

			/** The same for entries of several callers at once (a batch of their changes in one transaction). */
			async recordChanges(trx: Knex | Knex.Transaction, list: Array<{ ctx: Context<any, any>; entry: ChangeEntry }>): Promise<void> {
				if (!list.length) return;
				const at = new Date();
				const rows = list.map(({ ctx, entry: e }) => {
					const clubId = e.clubId ?? (ctx.meta as any)?.clubId;
					if (!clubId) throw Object.assign(new Error(`recordChange(${e.action}): no club`), { name: "OutboxError" });
					return {
						club_id: clubId,
						id: crypto.randomUUID(),
						at,
						service: this.name,
						action: e.action,
						actor: JSON.stringify(actorOf(ctx)),
						request_id: ctx.requestID ?? null,
						target_type: e.target.type,
						target_id: String(e.target.id),
						changes: e.changes ? JSON.stringify(e.changes) : null,
						event: e.event ? JSON.stringify(e.event) : null,
					};
				});
				await q.insertEntries(trx, rows);
				const root = rootTransaction(trx);
				const committed: Promise<unknown> | undefined = root?.executionPromise;
				if (committed && typeof committed.then === "function") committed.then(() => this.outboxWake(), () => undefined);
				else this.outboxWake();
			},

			/** Runs the relay now (or again right after the run in progress). */
			outboxWake(): void {
				const s = this.outbox;
				if (!s || s.stopped) return;
				if (s.running) {
					s.again = true;
					return;
				}
				if (s.retryTimer) return; // backing off after a failure; the timer runs it
				s.running = this.outboxRun().finally(() => {
					s.running = null;
				});
			},

			async outboxRun(): Promise<void> {
				const s = this.outbox;
				try {
					do {
						s.again = false;
						if (s.paused || !this.db) return;
						const { taken, failed } = await this.outboxRelayBatch();
						if (failed) throw Object.assign(new Error(`${failed} outbox message(s) could not be published`), { name: "OutboxPublishError" });
						if (taken >= RELAY_BATCH) s.again = true;
					} while (s.again && !s.stopped);
					s.backoffMs = 0;
					if (Date.now() - s.prunedAt > PRUNE_EVERY_MS) await this.outboxPrune();
				} catch (err) {
					if (s.stopped) return;
					s.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(250, s.backoffMs * 2));
					this.logger.warn(`Outbox relay: ${(err as Error)?.message ?? err}; retrying in ${s.backoffMs} ms`);
					s.retryTimer = setTimeout(() => {
						s.retryTimer = null;
						this.outboxWake();
					}, s.backoffMs);
					s.retryTimer.unref?.();
				}
			},

			/** One relay run: takes unpublished rows nobody else holds, publishes them, marks the published ones. */
			async outboxRelayBatch(): Promise<{ taken: number; failed: number }> {
				return this.db.transaction(async (trx: Knex.Transaction) => {
					const rows = await q.takeUnpublished(trx, RELAY_BATCH);
					if (!rows.length) return { taken: 0, failed: 0 };
					const results = await Promise.allSettled(rows.map(r => this.outboxPublish(toMessage(r))));
					const done = rows.filter((_, i) => results[i].status === "fulfilled");
					const failed = results.find(r => r.status === "rejected") as PromiseRejectedResult | undefined;
					if (failed) this.logger.debug("Outbox publish failed:", failed.reason);
					if (done.length) {
						await q.markPublished(trx, done);
					}
					return { taken: rows.length, failed: rows.length - done.length };
				});
			},

			/** One message out: JetStream with msgID = id, or straight to the local consumers (awaited). */
			async outboxPublish(msg: OutboxMessage): Promise<void> {
				if (relaysOverJetStream(this.broker)) {
					await ensureOutboxStream(this.broker);
					await (this.broker as ChannelsBroker).sendToChannel(OUTBOX_CHANNEL, msg, { msgID: msg.id });
					return;
				}
				const handlers: Array<Promise<unknown>> = [];
				for (const svc of this.broker.services as any[]) {
					const def = svc.schema?.channels?.[OUTBOX_CHANNEL];
					const fn = typeof def === "function" ? def : def?.handler;
					if (typeof fn === "function") handlers.push(Promise.resolve().then(() => fn.call(svc, msg, null)));
				}
				await Promise.all(handlers);
			},

			async outboxPrune(): Promise<void> {
				this.outbox.prunedAt = Date.now();
				await q.prunePublished(this.db, new Date(Date.now() - KEEP_PUBLISHED_MS));
			},

			/** No more runs; waits for the one in progress (rows it could not finish stay for the next run). */
			async outboxStop(): Promise<void> {
				const s = this.outbox;
				s.stopped = true;
				if (s.pollTimer) clearInterval(s.pollTimer);
				if (s.retryTimer) clearTimeout(s.retryTimer);
				s.pollTimer = s.retryTimer = null;
				await s.running?.catch(() => undefined);
			},

			/** Tests: stop relaying (as if the node died right after its commits) or resume. */
			outboxPause(paused: boolean): void {
				this.outbox.paused = paused;
				if (!paused) this.outboxWake();
			},
		},

		created() {
			this.outbox = { running: null, again: false, stopped: false, paused: false, backoffMs: 0, retryTimer: null, pollTimer: null, prunedAt: Date.now() };
			// The relay stops before the pool closes (db.mixin.ts), whichever mixin stops first.
			this.beforeDbClose = [...(this.beforeDbClose ?? []), () => this.outboxStop()];
		},

		started() {
			const s = this.outbox;
			s.stopped = false;
			s.pollTimer = setInterval(() => this.outboxWake(), readEnv().outboxPollMs);
			s.pollTimer.unref?.();
			// Rows left unpublished by a previous life of this node (or a dead one).
			setImmediate(() => this.outboxWake());
		},

		stopped() {
			return this.outboxStop();
		},
	});
}
