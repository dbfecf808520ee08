/**
 * Webhooks: a club's endpoints, their signing secrets and the deliveries of its events.
 *
 * Events come from the transactional outbox of every service (channel `outbox.entries`,
 * group "webhooks"): a committed change that carries an API.md event type becomes one
 * delivery per endpoint that takes it, idempotently on the entry's id (a redelivered entry
 * adds nothing), and the channel acks only once the deliveries are written. Nothing
 * committed is lost between the change and the receiver.
 *
 * An endpoint takes the event types it lists (or "*"); each event becomes one delivery per
 * endpoint, kept in this service's schema and worked by the delivery worker of every
 * webhooks node (webhooks.worker.ts): signed as Standard Webhooks say, retried on
 * WEBHOOK_RETRY_SCHEDULE_S, then failed. A paused endpoint keeps its deliveries pending and
 * sends them when it is resumed. Secrets are shown once (create, rotate) and kept sealed.
 * URLs are checked against SSRF at registration and again before every attempt
 * (webhooks.ssrf.ts).
 */
import { pageOf, ref } from "../../lib/openapi";
import { WEBHOOK_EVENTS } from "../../lib/openapi/schemas";
import crypto from "node:crypto";
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { defineService, type AppService } from "../../lib/service";
import { DbMixin, type DbMembers } from "../../mixins/db.mixin";
import { ConflictError, NotFoundError, rejectNulls } from "../../lib/errors";
import { created, noContent, type HttpMeta } from "../../lib/http";
import { UUID_RE } from "../../lib/tenant.middleware";
import { listParams, paginate, type Page } from "../../lib/pagination";
import { readEnv } from "../../moleculer.config";
import * as q from "./webhooks.queries";
import { checkRegisteredUrl } from "./webhooks.ssrf";
import { newSecret, seal, sealingKey } from "./webhooks.signing";
import { DeliveryWorker } from "./webhooks.worker";
import { OUTBOX_CHANNEL, OutboxMixin, outboxConsumer, type OutboxMembers, type OutboxMessage } from "../../mixins/outbox.mixin";
import type { Delivery, WebhookEndpoint, WebhookEventType } from "./webhooks.contract";

/** The event types an endpoint may subscribe to (API.md "Webhooks"; one list, in lib/openapi/schemas/webhooks.ts). */
const EVENT_TYPES: readonly WebhookEventType[] = WEBHOOK_EVENTS;
const TEST_EVENT = "webhook.test";

// ---------------------------------------------------------------- entities (webhooks.contract.ts)

const toEndpoint = (r: q.EndpointRow): WebhookEndpoint => ({
	id: r.id,
	url: r.url,
	events: r.events,
	description: r.description,
	status: r.status,
	createdAt: r.created_at.toISOString(),
	updatedAt: r.updated_at.toISOString(),
});

const toDelivery = (r: q.DeliveryRow): Delivery => ({
	id: r.id,
	eventId: r.event_id,
	type: r.type,
	status: r.status,
	attempts: r.attempts,
	lastStatus: r.last_status,
	lastError: r.last_error,
	nextAttemptAt: r.status === "pending" && r.next_attempt_at ? r.next_attempt_at.toISOString() : null,
	createdAt: r.created_at.toISOString(),
});

/** The body a receiver gets (its bytes are what the signature covers). */
const deliveryBody = (type: string, timestamp: string, data: unknown): string => JSON.stringify({ type, timestamp, data });

// ---------------------------------------------------------------- validation rules

const ONE_LINE = /^[^\u0000-\u001F\u007F]*$/;
const ID = { type: "string", min: 1, max: 64 } as const;
const URL_RULE = { type: "string", trim: true, min: 1, max: 2048, pattern: ONE_LINE, description: "https: URL (http: only with WEBHOOK_ALLOW_HTTP=true) that resolves to public addresses only" } as const;
const EVENTS_RULE = {
	type: "array",
	min: 1,
	max: EVENT_TYPES.length + 1,
	items: { type: "enum", values: [...EVENT_TYPES, "*"] },
	description: `Event types to receive, or ["*"] for all of them: ${EVENT_TYPES.join(", ")}.`,
} as const;
const DESCRIPTION_RULE = { type: "string", trim: true, max: 500, pattern: ONE_LINE, nullable: true, optional: true } as const;
const STATUS_RULE = { type: "enum", values: [...q.ENDPOINT_STATUSES], optional: true, description: "paused: deliveries wait (pending) and go out on resume" } as const;

/** The audit trail's `{ field: [before, after] }` of an endpoint (never a secret: endpoints hold none). */
function changesOf(before: WebhookEndpoint | null, after: WebhookEndpoint | null): Record<string, [unknown, unknown]> {
	const out: Record<string, [unknown, unknown]> = {};
	for (const field of ["url", "events", "description", "status"] as const) {
		const b = before ? before[field] : null;
		const a = after ? after[field] : null;
		if (JSON.stringify(b) !== JSON.stringify(a)) out[field] = [b, a];
	}
	return out;
}

const isUuid = (id: unknown): id is string => typeof id === "string" && UUID_RE.test(id);

/** "*" stands for every type; otherwise the listed types, deduplicated, in the catalogue's order. */
const canonicalEvents = (events: string[]): string[] => (events.includes("*") ? ["*"] : EVENT_TYPES.filter(t => events.includes(t)));


// ---------------------------------------------------------------- OpenAPI shapes

const endpointEntity = ref("WebhookEndpoint");
const withSecret = ref("WebhookEndpointCreated");
const rotated = ref("WebhookSecretRotated");
const deliveryEntity = ref("Delivery");
const URL_REFUSED = { description: "URL_NOT_ALLOWED: not https: (unless WEBHOOK_ALLOW_HTTP), credentials in it, or its host resolves to a loopback, private, link-local, unspecified... address (unless WEBHOOK_ALLOW_PRIVATE); or VALIDATION_ERROR" };

interface WebhooksMethods {
	/** One outbox entry: a delivery per endpoint of its club that takes its event type. */
	ingest(msg: OutboxMessage): Promise<number>;
	endpointOf(ctx: Context<unknown, HttpMeta>, id: string): Promise<q.EndpointRow>;
	/** Registration's SSRF check (the worker runs it again before every attempt). */
	checkUrl(url: string): Promise<void>;
}

interface WebhooksState {
	sealingKey: Buffer;
	worker: DeliveryWorker | null;
}

type WebhooksThis = AppService & DbMembers & OutboxMembers & WebhooksMethods & WebhooksState;

const WebhooksService = defineService<WebhooksThis>({
	name: "webhooks",
	mixins: [DbMixin({ schema: "webhooks" }), OutboxMixin()],
	settings: { rest: "/" },

	channels: {
		[OUTBOX_CHANNEL]: outboxConsumer("webhooks", function (this: WebhooksThis, msg: OutboxMessage) {
			return this.ingest(msg);
		}),
	},

	actions: {
		create: {
			rest: "POST /webhooks",
			auth: "admin",
			params: { $$strict: true, url: URL_RULE, events: EVENTS_RULE, description: DESCRIPTION_RULE, status: STATUS_RULE },
			openapi: {
				summary: "Register a webhook endpoint",
				description:
					"Answers the endpoint with its signing `secret`, shown only here (and on rotation). Every delivery is a POST of `{ type, timestamp, data }` " +
					"with the Standard Webhooks headers `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256 of \"{id}.{timestamp}.{body}\">`, " +
					"keyed with the base64-decoded part of the secret after `whsec_`). A 2xx within 10 s delivers it; anything else is retried on WEBHOOK_RETRY_SCHEDULE_S, then failed.",
				tags: ["webhooks"],
				requestExample: { url: "https://hooks.example.com/clubhouse", events: ["clients.created", "wallets.transacted"], description: "Accounting sync" },
				responses: { "201": { description: "The endpoint and its secret", schema: withSecret }, "422": URL_REFUSED },
			},
			async handler(ctx: Context<{ url: string; events: string[]; description?: string | null; status?: q.EndpointStatus }, HttpMeta>) {
				const p = ctx.params;
				rejectNulls(p as any, ["status"]);
				await this.checkUrl(p.url);
				const secret = newSecret();
				const row: q.EndpointRow = await this.db.transaction(async (trx: Knex.Transaction) => {
					const ep = await q.insertEndpoint(
						trx,
						{ id: crypto.randomUUID(), club_id: ctx.meta.clubId, url: p.url, events: canonicalEvents(p.events), description: p.description ?? null, status: p.status ?? "active" },
						seal(secret, this.sealingKey),
						crypto.randomUUID(),
					);
					const after = toEndpoint(ep);
					await this.recordChange(trx, ctx, { action: "webhooks.create", target: { type: "webhook", id: ep.id }, changes: changesOf(null, after) });
					return ep;
				});
				return created(ctx, { ...toEndpoint(row), secret }, `/api/v1/webhooks/${row.id}`);
			},
		},

		list: {
			rest: "GET /webhooks",
			auth: "admin",
			params: { ...listParams },
			openapi: { summary: "List webhook endpoints", description: "Newest first; no secrets.", tags: ["webhooks"], responses: { "200": { description: "A page of endpoints", schema: pageOf("WebhookEndpoint") } } },
			async handler(ctx: Context<{ limit?: number; cursor?: string }, HttpMeta>): Promise<Page<WebhookEndpoint>> {
				return paginate(q.endpointsOfClub(this.db, ctx.meta.clubId), { limit: ctx.params.limit, cursor: ctx.params.cursor }, toEndpoint);
			},
		},

		get: {
			rest: "GET /webhooks/:id",
			auth: "admin",
			params: { id: ID },
			openapi: { summary: "Get a webhook endpoint", tags: ["webhooks"], responses: { "200": { description: "The endpoint (no secret)", schema: endpointEntity } } },
			async handler(ctx: Context<{ id: string }, HttpMeta>): Promise<WebhookEndpoint> {
				return toEndpoint(await this.endpointOf(ctx, ctx.params.id));
			},
		},

		update: {
			rest: "PATCH /webhooks/:id",
			auth: "admin",
			params: { $$strict: true, id: ID, url: { ...URL_RULE, optional: true }, events: { ...EVENTS_RULE, optional: true }, description: DESCRIPTION_RULE, status: STATUS_RULE },
			openapi: {
				summary: "Change a webhook endpoint (url, events, description; status active|paused)",
				description: "Pausing keeps new deliveries pending; resuming (`status: \"active\"`) sends them, then the endpoint's retries carry on. A new `url` is checked like on registration.",
				tags: ["webhooks"],
				responses: { "200": { description: "The endpoint", schema: endpointEntity }, "422": URL_REFUSED },
			},
			async handler(ctx: Context<{ id: string; url?: string; events?: string[]; description?: string | null; status?: q.EndpointStatus }, HttpMeta>): Promise<WebhookEndpoint> {
				const p = ctx.params;
				if (!isUuid(p.id)) throw new NotFoundError("Webhook endpoint");
				rejectNulls(p as any, ["url", "events", "status"]);
				if (p.url !== undefined) await this.checkUrl(p.url);
				const row: q.EndpointRow = await this.db.transaction(async (trx: Knex.Transaction) => {
					const current = await q.lockEndpoint(trx, ctx.meta.clubId, p.id);
					if (!current) throw new NotFoundError("Webhook endpoint");
					const changes: Parameters<typeof q.updateEndpoint>[3] = {};
					if (p.url !== undefined) changes.url = p.url;
					if (p.events !== undefined) changes.events = canonicalEvents(p.events);
					if (p.description !== undefined) changes.description = p.description;
					if (p.status !== undefined) changes.status = p.status;
					if (!Object.keys(changes).length) return current;
					const updated = await q.updateEndpoint(trx, ctx.meta.clubId, p.id, changes);
					const diff = changesOf(toEndpoint(current), toEndpoint(updated));
					if (Object.keys(diff).length) await this.recordChange(trx, ctx, { action: "webhooks.update", target: { type: "webhook", id: p.id }, changes: diff });
					return updated;
				});
				if (row.status === "active") this.worker?.kick();
				return toEndpoint(row);
			},
		},

		remove: {
			rest: "DELETE /webhooks/:id",
			auth: "admin",
			params: { id: ID },
			openapi: { summary: "Delete a webhook endpoint", description: "Its secrets and deliveries go with it; nothing more is sent to it.", tags: ["webhooks"], responses: { "204": { description: "Deleted" } } },
			async handler(ctx: Context<{ id: string }, HttpMeta>) {
				if (!isUuid(ctx.params.id)) throw new NotFoundError("Webhook endpoint");
				await this.db.transaction(async (trx: Knex.Transaction) => {
					const current = await q.lockEndpoint(trx, ctx.meta.clubId, ctx.params.id);
					if (!current) throw new NotFoundError("Webhook endpoint");
					await q.deleteEndpoint(trx, ctx.meta.clubId, current.id);
					await this.recordChange(trx, ctx, { action: "webhooks.delete", target: { type: "webhook", id: current.id }, changes: changesOf(toEndpoint(current), null) });
				});
				return noContent(ctx);
			},
		},

		rotateSecret: {
			rest: "POST /webhooks/:id/rotate-secret",
			auth: "admin",
			params: { $$strict: true, id: ID },
			openapi: {
				summary: "Rotate an endpoint's signing secret",
				description: "Answers the new secret (shown only here). For 24 h the previous secret keeps signing beside it: each delivery then carries two signatures.",
				tags: ["webhooks"],
				responses: { "200": { description: "The endpoint with its new secret", schema: rotated } },
			},
			async handler(ctx: Context<{ id: string }, HttpMeta>) {
				if (!isUuid(ctx.params.id)) throw new NotFoundError("Webhook endpoint");
				const secret = newSecret();
				const [row, until] = await this.db.transaction(async (trx: Knex.Transaction): Promise<[q.EndpointRow, Date]> => {
					const ep = await q.lockEndpoint(trx, ctx.meta.clubId, ctx.params.id);
					if (!ep) throw new NotFoundError("Webhook endpoint");
					const until = await q.rotateSecret(trx, ctx.meta.clubId, ep.id, crypto.randomUUID(), seal(secret, this.sealingKey));
					await this.recordChange(trx, ctx, { action: "webhooks.rotateSecret", target: { type: "webhook", id: ep.id } });
					return [ep, until];
				});
				return { ...toEndpoint(row), secret, previousSecretExpiresAt: new Date(until).toISOString() };
			},
		},

		test: {
			rest: "POST /webhooks/:id/test",
			auth: "admin",
			params: { $$strict: true, id: ID },
			openapi: {
				summary: "Send a webhook.test event to the endpoint",
				description: "Queues a `webhook.test` delivery (whatever events the endpoint takes) and answers 202 with it; follow it in the endpoint's deliveries. A paused endpoint gets it on resume.",
				tags: ["webhooks"],
				responses: { "202": { description: "The queued delivery", schema: deliveryEntity } },
			},
			async handler(ctx: Context<{ id: string }, HttpMeta>): Promise<Delivery> {
				const ep = await this.endpointOf(ctx, ctx.params.id);
				const eventId = crypto.randomUUID();
				const data = { endpointId: ep.id, message: "A test event from Clubhouse" };
				const row: q.DeliveryRow = await this.db.transaction(async (trx: Knex.Transaction) => {
					const [d] = await q.insertDeliveries(trx, [
						{ id: crypto.randomUUID(), club_id: ctx.meta.clubId, endpoint_id: ep.id, event_id: eventId, type: TEST_EVENT, body: deliveryBody(TEST_EVENT, new Date().toISOString(), data) },
					]);
					await this.recordChange(trx, ctx, { action: "webhooks.test", target: { type: "webhook", id: ep.id } });
					return d;
				});
				this.worker?.kick();
				ctx.meta.$statusCode = 202;
				return toDelivery(row);
			},
		},

		deliveries: {
			rest: "GET /webhooks/:id/deliveries",
			auth: "admin",
			params: { id: ID, status: { type: "enum", values: [...q.DELIVERY_STATUSES], optional: true }, ...listParams },
			openapi: { summary: "An endpoint's deliveries", description: "Newest first; `?status=` filters.", tags: ["webhooks"], responses: { "200": { description: "A page of deliveries", schema: pageOf("Delivery") } } },
			async handler(ctx: Context<{ id: string; status?: q.DeliveryStatus; limit?: number; cursor?: string }, HttpMeta>): Promise<Page<Delivery>> {
				const ep = await this.endpointOf(ctx, ctx.params.id);
				const query = q.deliveriesOf(this.db, ctx.meta.clubId, ep.id, ctx.params.status);
				return paginate(query, { limit: ctx.params.limit, cursor: ctx.params.cursor }, toDelivery);
			},
		},

		retry: {
			rest: "POST /webhooks/:id/deliveries/:deliveryId/retry",
			auth: "admin",
			params: { $$strict: true, id: ID, deliveryId: ID },
			openapi: {
				summary: "Send a delivery again now",
				description:
					"Any delivery (pending, delivered or failed) is due again at once with a fresh retry schedule and the same `webhook-id`. 409 `DELIVERY_IN_FLIGHT` while a node is sending it.",
				tags: ["webhooks"],
				responses: { "202": { description: "The delivery, due now", schema: deliveryEntity }, "409": { description: "DELIVERY_IN_FLIGHT" } },
			},
			async handler(ctx: Context<{ id: string; deliveryId: string }, HttpMeta>): Promise<Delivery> {
				const { id, deliveryId } = ctx.params;
				if (!isUuid(id) || !isUuid(deliveryId)) throw new NotFoundError("Delivery");
				const row: q.DeliveryRow | undefined = await this.db.transaction(async (trx: Knex.Transaction) => {
					const d = await q.rearmDelivery(trx, ctx.meta.clubId, id, deliveryId);
					if (d) await this.recordChange(trx, ctx, { action: "webhooks.retry", target: { type: "delivery", id: d.id } });
					return d;
				});
				if (!row) {
					if (await q.findDelivery(this.db, ctx.meta.clubId, id, deliveryId)) throw new ConflictError("DELIVERY_IN_FLIGHT", "The delivery is being sent right now; retry it once this attempt has ended");
					throw new NotFoundError("Delivery");
				}
				this.worker?.kick();
				ctx.meta.$statusCode = 202;
				return toDelivery(row);
			},
		},
	},

	methods: {
		async ingest( msg: OutboxMessage): Promise<number> {
			const type = msg?.event?.type;
			if (!type || !(EVENT_TYPES as readonly string[]).includes(type) || !isUuid(msg.clubId)) return 0;
			const endpoints = await q.endpointsFor(this.db, msg.clubId, type);
			if (!endpoints.length) return 0;
			const body = deliveryBody(type, msg.at, msg.event!.data);
			const rows = await q.insertDeliveries(
				this.db,
				endpoints.map(ep => ({ id: crypto.randomUUID(), club_id: msg.clubId, endpoint_id: ep.id, event_id: msg.id, type, body })),
			);
			if (rows.length) this.worker?.kick();
			return rows.length;
		},

		async endpointOf(ctx: Context<unknown, HttpMeta>, id: string): Promise<q.EndpointRow> {
			const row = isUuid(id) ? await q.findEndpoint(this.db, ctx.meta.clubId, id) : undefined;
			if (!row) throw new NotFoundError("Webhook endpoint");
			return row;
		},

		async checkUrl( url: string): Promise<void> {
			const env = readEnv();
			await checkRegisteredUrl(url, { allowHttp: env.webhookAllowHttp, allowPrivate: env.webhookAllowPrivate });
		},
	},

	created() {
		const env = readEnv();
		if (!env.webhookSecretsKey && !env.platformApiKey) this.logger.warn("Webhooks: neither WEBHOOK_SECRETS_KEY nor PLATFORM_API_KEY is set; secrets are sealed under a fixed key");
		this.sealingKey = sealingKey(env.webhookSecretsKey ?? env.platformApiKey ?? "clubhouse");
	},

	async started() {
		this.worker = new DeliveryWorker({ db: this.db, logger: this.logger, sealingKey: this.sealingKey });
		this.worker.start();
	},

	async stopped() {
		await this.worker?.stop();
		this.worker = null;
	},
});

export default WebhooksService;
