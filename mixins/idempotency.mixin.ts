/**
 * Idempotency-Key semantics of API.md, for any service with a DbMixin:
 *   - keys are scoped to the club (and stored in the calling service's own schema);
 *   - same key + same params: the first answer is replayed (status and body, or the same 4xx);
 *   - same key + other params: 422 IDEMPOTENCY_KEY_REUSED;
 *   - same key while the first is running: the second waits for it and replays it
 *     (409 IDEMPOTENCY_IN_PROGRESS if that takes longer than the wait limit);
 *   - missing where required: 400 IDEMPOTENCY_KEY_REQUIRED.
 * The work, its effects and the stored answer commit in ONE transaction, so a crash or a
 * retry can never apply the work twice. Keys are scoped to the club ACROSS routes and
 * services: before anything runs, the key is claimed club-wide for this request
 * (claimKey, services/clubs/clubs.claims.ts), so a key used on a top-up and then on
 * POST /clients with another body is 422 IDEMPOTENCY_KEY_REUSED. The key is ctx.params.idempotencyKey (bus callers)
 * or ctx.meta.idempotencyKey (the gateway's Idempotency-Key header).
 *
 * Usage inside an action:
 *   return this.idempotent(ctx, async (trx, onCommit) => {
 *     ...writes with trx...
 *     onCommit(() => ctx.emit("wallets.transacted", payload));   // only on a fresh run
 *     return created(ctx, body);
 *   }, { required: true });
 *
 * Migration: `await createIdempotencyTable(knex)` in the service's own migrations.
 */
import crypto from "node:crypto";
import type { Knex } from "knex";
import type { Context, ServiceSchema } from "moleculer";
import { BadRequestError, ConflictError, invalid, isClientError } from "../lib/errors";
import { ClaimBatcher } from "./idempotency.claims";
import { keyReusedError, rebuildError, storedError } from "./idempotency.errors";

export { keyReusedError, storedError } from "./idempotency.errors";

export const IDEMPOTENCY_TABLE = "idempotency_keys";

export async function createIdempotencyTable(knex: Knex): Promise<void> {
	await knex.schema.createTable(IDEMPOTENCY_TABLE, t => {
		t.uuid("club_id").notNullable();
		t.string("key", 255).notNullable();
		t.string("request_hash", 64).notNullable();
		t.text("action").notNullable();
		t.integer("status_code");
		t.json("response"); // json keeps the text as written: a replay is byte-for-byte the first answer
		t.json("error");
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
		t.primary(["club_id", "key"]);
	});
}

/** JSON with sorted keys, so the same params always hash the same. */
export function stableStringify(value: unknown): string {
	if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
	if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
	const obj = value as Record<string, unknown>;
	return `{${Object.keys(obj)
		.filter(k => obj[k] !== undefined)
		.sort()
		.map(k => `${JSON.stringify(k)}:${stableStringify(obj[k])}`)
		.join(",")}}`;
}

export type OnCommit = (fn: () => unknown) => void;

export interface IdempotentOptions {
	/** 400 IDEMPOTENCY_KEY_REQUIRED when no key is given (money-moving actions). */
	required?: boolean;
	/** How long a retry waits for the same key's first run before 409 (default 10 s). */
	waitMs?: number;
}

type Outcome<T> = { kind: "fresh"; value: T; after: Array<() => unknown> } | { kind: "replay"; value: T } | { kind: "error"; err: unknown };

export function keyOf(ctx: Context<any, any>): string | undefined {
	const fromParams = ctx.params?.idempotencyKey;
	const key = typeof fromParams === "string" ? fromParams : ctx.meta?.idempotencyKey;
	return typeof key === "string" ? key : undefined;
}

export function requestHash(ctx: Context<any, any>): string {
	const { idempotencyKey: _ignored, ...params } = (ctx.params ?? {}) as Record<string, unknown>;
	return crypto.createHash("sha256").update(`${ctx.action?.name}\n${stableStringify(params)}`).digest("hex");
}

/**
 * Claims the request's key club-wide (422 IDEMPOTENCY_KEY_REUSED when the club used it for
 * another request, on any route). Once per call: a request that falls back from a batch to
 * the mixin does not claim twice.
 */
export async function claimKey(service: any, ctx: Context<any, any>, key: string, hash: string): Promise<void> {
	const locals = (ctx as any).locals ?? ((ctx as any).locals = {});
	if (locals.idempotencyClaim === `${key}\n${hash}`) return;
	service.$claims = service.$claims ?? new ClaimBatcher(service.broker);
	await (service.$claims as ClaimBatcher).claim(ctx.meta.clubId, key, hash);
	locals.idempotencyClaim = `${key}\n${hash}`;
}

/** What IdempotencyMixin gives a service's `this`. */
export interface IdempotencyMembers {
	/** Runs `work` in a transaction once per Idempotency-Key of the club; a replay answers what the first call answered. */
	idempotent<T>(ctx: Context<any, any>, work: (trx: Knex.Transaction, onCommit: OnCommit) => Promise<T>, opts?: IdempotentOptions): Promise<T>;
}

export function IdempotencyMixin(): Partial<ServiceSchema> {
	return {
		methods: {
			async idempotent<T>(this: any, ctx: Context<any, any>, work: (trx: Knex.Transaction, onCommit: OnCommit) => Promise<T>, opts: IdempotentOptions = {}): Promise<T> {
				const key = keyOf(ctx);
				const db: Knex = this.db;
				if (key === undefined) {
					if (opts.required) throw new BadRequestError("This call moves money: give an Idempotency-Key", "IDEMPOTENCY_KEY_REQUIRED");
					const after: Array<() => unknown> = [];
					const value = await db.transaction(trx => work(trx, fn => after.push(fn)));
					for (const fn of after) await fn();
					return value;
				}
				if (key.length < 1 || key.length > 255) {
					throw invalid({ field: "idempotencyKey", type: "stringLength", message: "The idempotency key must be 1 to 255 characters." });
				}
				const clubId: string = ctx.meta.clubId;
				const hash = requestHash(ctx);
				await claimKey(this, ctx, key, hash);
				let outcome: Outcome<T>;
				try {
					outcome = await db.transaction(async trx => {
						await trx.raw(`SET LOCAL lock_timeout = '${Math.max(100, opts.waitMs ?? 10_000)}ms'`);
						const inserted = await trx.raw(
							`INSERT INTO ${IDEMPOTENCY_TABLE} (club_id, key, request_hash, action) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING key`,
							[clubId, key, hash, ctx.action?.name ?? ""],
						);
						if (inserted.rows.length === 0) {
							const row = await trx(IDEMPOTENCY_TABLE).where({ club_id: clubId, key }).first();
							if (row.request_hash !== hash) throw keyReusedError();
							if (row.error) return { kind: "error", err: rebuildError(row.error) } as Outcome<T>;
							if (row.status_code) ctx.meta.$statusCode = row.status_code;
							return { kind: "replay", value: row.response as T };
						}
						await trx.raw("SAVEPOINT idempotent_work");
						const after: Array<() => unknown> = [];
						try {
							const value = await work(trx, fn => after.push(fn));
							await trx(IDEMPOTENCY_TABLE)
								.where({ club_id: clubId, key })
								.update({ status_code: ctx.meta.$statusCode ?? 200, response: JSON.stringify(value ?? null) });
							return { kind: "fresh", value, after };
						} catch (err: any) {
							if (!isClientError(err)) throw err; // nothing stored: a retry may run again
							await trx.raw("ROLLBACK TO SAVEPOINT idempotent_work");
							await trx(IDEMPOTENCY_TABLE).where({ club_id: clubId, key }).update({ status_code: err.code, error: JSON.stringify(storedError(err)) });
							return { kind: "error", err };
						}
					});
				} catch (err: any) {
					if (err?.code === "55P03") {
						throw new ConflictError("IDEMPOTENCY_IN_PROGRESS", "A request with this Idempotency-Key is still running; retry shortly");
					}
					throw err;
				}
				if (outcome.kind === "error") throw outcome.err;
				if (outcome.kind === "fresh") for (const fn of outcome.after) await fn();
				return outcome.value;
			},
		},
	};
}
