/**
 * The audit trail: who changed what, when. Fed by every service's transactional outbox
 * (channel `outbox.entries`, group "audit"; mixins/outbox.mixin.ts), stored idempotently on the
 * entry id. Read-only over REST: `GET /audit` (admin) and `GET /clients/:id/history` (viewer).
 * No route changes or deletes an entry. Erasing a client (its `clients.delete` entry, or a merge
 * that erases the source) replaces the personal values in that client's entries with null.
 */
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { defineService, type AppService } from "../../lib/service";
import { DbMixin, type DbMembers } from "../../mixins/db.mixin";
import { OUTBOX_CHANNEL, outboxConsumer, type OutboxMessage } from "../../mixins/outbox.mixin";
import { listParams, paginate, type Page } from "../../lib/pagination";
import { NotFoundError, invalid } from "../../lib/errors";
import { UUID_RE } from "../../lib/tenant.middleware";
import { isCalendarDate, parseInstant } from "../../lib/dates";
import type { HttpMeta } from "../../lib/http";
import { pageOf } from "../../lib/openapi";
import * as q from "./audit.queries";
import type { AuditEntry, ClientHistoryParams, ListAuditParams } from "./audit.contract";

const toEntry = (r: q.EntryRow): AuditEntry => ({
	id: r.id,
	at: new Date(r.at).toISOString(),
	actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name ?? r.actor_id },
	action: r.action,
	target: { type: r.target_type, id: r.target_id },
	changes: r.changes,
	requestId: r.request_id,
});

/** The AuditEntry shape of the OpenAPI document (lib/openapi/schemas/audit.ts). */
const entryPage = pageOf("AuditEntry");

/** The clients a message erases: a client deletion, or the source of a merge. */
function erasedClients(m: OutboxMessage): string[] {
	const data = (m.event?.data ?? {}) as Record<string, unknown>;
	if (m.event?.type === "clients.deleted" && typeof data.clientId === "string") return [data.clientId];
	if (m.event?.type === "clients.merged" && typeof data.sourceId === "string") return [data.sourceId];
	if (m.action === "clients.delete" && m.target?.type === "client") return [m.target.id];
	return [];
}

const when = (field: string) => ({ type: "string", optional: true, min: 1, max: 40, description: `ISO 8601 date-time; entries ${field === "from" ? "at or after" : "at or before"} it` });
const filterParams = {
	targetType: { type: "string", optional: true, min: 1, max: 64 },
	targetId: { type: "string", optional: true, min: 1, max: 200 },
	actorId: { type: "string", optional: true, min: 1, max: 200 },
	action: { type: "string", optional: true, min: 1, max: 100 },
	from: when("from"),
	to: when("to"),
} as const;

function isoParam(value: string | undefined, field: string): string | undefined {
	if (value === undefined) return undefined;
	// lib/dates.ts: every part real (2031-02-30T10:00:00Z is a 422, never March 2nd); a bare date is its UTC midnight.
	const t = isCalendarDate(value) ? Date.parse(`${value}T00:00:00Z`) : parseInstant(value);
	if (t === undefined) throw invalid({ field, type: "date", message: `'${field}' must be an ISO 8601 date-time, e.g. 2026-12-01T10:00:00Z` });
	return new Date(t).toISOString();
}

interface Pending {
	msg: OutboxMessage;
	resolve: () => void;
	reject: (e: unknown) => void;
}

interface AuditMethods {
	/** Queues a message for the next write (one statement for every message that arrived meanwhile). */
	store(msg: OutboxMessage): Promise<void>;
	flush(): Promise<void>;
	flushBatch(): Promise<void>;
}

interface AuditState {
	pending: Pending[];
	flushScheduled: boolean;
	flushing: Set<Promise<void>>;
	closing: boolean;
}

type AuditThis = AppService & DbMembers & AuditMethods & AuditState;

const AuditService = defineService<AuditThis>({
	name: "audit",
	mixins: [DbMixin({ schema: "audit" })],
	settings: { rest: "/" },

	channels: {
		[OUTBOX_CHANNEL]: outboxConsumer("audit", function (this: AuditThis, msg: OutboxMessage) {
			return this.store(msg);
		}),
	},

	actions: {
		/** The club's trail, newest first, filtered. */
		list: {
			rest: "GET /audit",
			auth: "admin",
			params: { ...filterParams, ...listParams },
			openapi: {
				summary: "The club's audit trail",
				description:
					"Every committed change, through REST or the bus, has exactly one entry: who (`actor`: a staff member, an API key, the platform, or a `service` on the bus), when, what (`action`, `target`) and, for updates, `changes: { field: [before, after] }`. " +
					"Newest first, paged (`?limit=` 1..500, `?cursor=`). Filters combine: `targetType`, `targetId`, `actorId`, `action` (exact), `from` / `to` (ISO 8601, inclusive). " +
					"Entries appear a moment after the change (they are relayed from the changing service). No route changes or deletes an entry; an erased client's entries keep their field names with the personal values null.",
				tags: ["audit"],
				responses: { "200": { description: "A page of entries", schema: entryPage } },
			},
			async handler(ctx: Context<ListAuditParams, HttpMeta>): Promise<Page<AuditEntry>> {
				const p = ctx.params;
				const filter: q.EntryFilter = { targetType: p.targetType, targetId: p.targetId, actorId: p.actorId, action: p.action, from: isoParam(p.from, "from"), to: isoParam(p.to, "to") };
				return paginate(q.entriesOfClub(this.db, ctx.meta.clubId, filter), { limit: p.limit, cursor: p.cursor, timeColumn: "at" }, toEntry);
			},
		},

		/** One client's entries, newest first. */
		clientHistory: {
			rest: "GET /clients/:id/history",
			auth: "viewer",
			params: { id: { type: "string", min: 1, max: 64 }, ...listParams },
			openapi: {
				summary: "A client's history",
				description:
					"The audit entries whose target is this client (created, updated, categories, imported, deleted…), newest first, paged like every list. " +
					"404 for an unknown client, another club's, or one that was deleted (erased): its entries stay in `GET /audit?targetType=client&targetId=` for admins, with the personal values null.",
				tags: ["clients", "audit"],
				responses: { "200": { description: "A page of the client's entries", schema: entryPage } },
			},
			async handler(ctx: Context<ClientHistoryParams, HttpMeta>): Promise<Page<AuditEntry>> {
				if (!UUID_RE.test(ctx.params.id)) throw new NotFoundError("Client");
				await ctx.call("clients.get", { id: ctx.params.id }); // 404 when unknown, deleted or another club's
				const query = q.entriesOfClub(this.db, ctx.meta.clubId, { targetType: "client", targetId: ctx.params.id.toLowerCase() });
				return paginate(query, { limit: ctx.params.limit, cursor: ctx.params.cursor, timeColumn: "at" }, toEntry);
			},
		},
	},

	methods: {
		store(msg: OutboxMessage): Promise<void> {
			return new Promise<void>((resolve, reject) => {
				this.pending.push({ msg, resolve, reject });
				if (!this.flushScheduled) {
					this.flushScheduled = true;
					setImmediate(() => this.flush());
				}
			});
		},

		flush(): Promise<void> {
			const run = this.flushBatch();
			this.flushing.add(run);
			return run.finally(() => this.flushing.delete(run));
		},

		async flushBatch(): Promise<void> {
			this.flushScheduled = false;
			const batch = this.pending.splice(0);
			if (!batch.length) return;
			try {
				// Not started yet, or stopping: the message is retried (it stays in its outbox or in JetStream).
				if (!this.db || this.closing) throw Object.assign(new Error("the audit store is not running"), { name: "NotReady" });
				const messages = dedupe(batch.map(b => b.msg));
				const erasures = messages.flatMap(m => erasedClients(m).map(id => ({ clubId: m.clubId, type: "client", id })));
				if (!erasures.length) await q.insertEntries(this.db, messages);
				else {
					await this.db.transaction(async (trx: Knex.Transaction) => {
						await q.insertEntries(trx, messages);
						await q.eraseTargets(trx, erasures);
					});
				}
				for (const b of batch) b.resolve();
			} catch (err) {
				for (const b of batch) b.reject(err);
			}
		},
	},

	created() {
		this.pending = [];
		this.flushScheduled = false;
		this.flushing = new Set<Promise<void>>();
		this.closing = false;
		// Writes in progress finish before the pool closes (db.mixin.ts); later ones are refused (retried).
		this.beforeDbClose = [
			...(this.beforeDbClose ?? []),
			async () => {
				this.closing = true;
				await Promise.allSettled([...this.flushing]);
			},
		];
	},

	started() {
		this.closing = false;
	},
});

function dedupe(messages: OutboxMessage[]): OutboxMessage[] {
	const seen = new Set<string>();
	return messages.filter(m => {
		const k = `${m.clubId}:${m.id}`;
		if (seen.has(k)) return false;
		seen.add(k);
		return true;
	});
}

export default AuditService;
