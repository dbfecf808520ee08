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
 * The table's statements (claim a key, store an answer or an error, read a replay) are in
 * idempotency.queries.ts, shared with the wallets' debit batcher.
 */
import crypto from "node:crypto";
import type { Knex } from "knex";
import type { Context, ServiceBroker } from "moleculer";
import { BadRequestError, ConflictError, invalid, isClientError } from "../lib/errors";
import { defineMixin, type AppService } from "../lib/service";
import type { DbMembers } from "./db.mixin";
import { ClaimBatcher } from "./idempotency.claims";
import { IDEMPOTENCY_TABLE, claimKeyRow, readKey, replayOf, rollbackToSavepoint, savepoint, setLockTimeout, storeAnswer, storeError } from "./idempotency.queries";

export { keyReusedError, storedError } from "./idempotency.errors";
export { IDEMPOTENCY_TABLE } from "./idempotency.queries";

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
function stableStringify(value: unknown): string {
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

/** How long a keyed run waits for the same key's first run (the lock timeout of its transaction). */
export const DEFAULT_WAIT_MS = 10_000;

type Outcome<T> = { kind: "fresh"; value: T; after: Array<() => unknown> } | { kind: "replay"; value: T } | { kind: "error"; err: unknown };

export function keyOf(ctx: Context<any, any>): string | undefined {
	const fromParams = ctx.params?.idempotencyKey;
	const key = typeof fromParams === "string" ? fromParams : ctx.meta?.idempotencyKey;
	return typeof key === "string" ? key : undefined;
}

/** A key the table can hold (1..255 characters). */
export const isValidKey = (key: string): boolean => key.length >= 1 && key.length <= 255;

export function requestHash(ctx: Context<any, any>): string {
	const { idempotencyKey: _ignored, ...params } = (ctx.params ?? {}) as Record<string, unknown>;
	return crypto.createHash("sha256").update(`${ctx.action?.name}\n${stableStringify(params)}`).digest("hex");
}

/** The service side of the club-wide claims: one ClaimBatcher per service instance. */
export interface ClaimsHolder {
	broker: ServiceBroker;
	$claims?: ClaimBatcher;
}

/**
 * Claims the request's key club-wide (422 IDEMPOTENCY_KEY_REUSED when the club used it for
 * another request, on any route). Once per call: a request that falls back from a batch to
 * the mixin does not claim twice.
 */
export async function claimKey(service: ClaimsHolder, ctx: Context<any, any>, key: string, hash: string): Promise<void> {
	const locals = (ctx.locals ?? (ctx.locals = {})) as { idempotencyClaim?: string };
	if (locals.idempotencyClaim === `${key}\n${hash}`) return;
	service.$claims = service.$claims ?? new ClaimBatcher(service.broker);
	await service.$claims.claim(ctx.meta.clubId, key, hash);
	locals.idempotencyClaim = `${key}\n${hash}`;
}

/** What IdempotencyMixin gives a service's `this`. */
export interface IdempotencyMembers {
	/** Runs `work` in a transaction once per Idempotency-Key of the club; a replay answers what the first call answered. */
	idempotent<T>(ctx: Context<any, any>, work: (trx: Knex.Transaction, onCommit: OnCommit) => Promise<T>, opts?: IdempotentOptions): Promise<T>;
}

type IdempotencyThis = AppService & DbMembers & IdempotencyMembers & ClaimsHolder;

export function IdempotencyMixin() {
	return defineMixin<IdempotencyThis>({
		methods: {
			async idempotent<T>(ctx: Context<any, any>, work: (trx: Knex.Transaction, onCommit: OnCommit) => Promise<T>, opts: IdempotentOptions = {}): Promise<T> {
				const key = keyOf(ctx);
				const db = this.db;
				if (key === undefined) {
					if (opts.required) throw new BadRequestError("This call moves money: give an Idempotency-Key", "IDEMPOTENCY_KEY_REQUIRED");
					const after: Array<() => unknown> = [];
					const value = await db.transaction(trx => work(trx, fn => after.push(fn)));
					for (const fn of after) await fn();
					return value;
				}
				if (!isValidKey(key)) {
					throw invalid({ field: "idempotencyKey", type: "stringLength", message: "The idempotency key must be 1 to 255 characters." });
				}
				const clubId: string = ctx.meta.clubId;
				const hash = requestHash(ctx);
				await claimKey(this, ctx, key, hash);
				let outcome: Outcome<T>;
				try {
					outcome = await db.transaction(async trx => {
						await setLockTimeout(trx, opts.waitMs ?? DEFAULT_WAIT_MS);
						if (!(await claimKeyRow(trx, { clubId, key, hash, action: ctx.action?.name ?? "" }))) {
							const replay = replayOf((await readKey(trx, clubId, key))!, hash);
							if (replay.kind === "error") return { kind: "error", err: replay.err } as Outcome<T>;
							if (replay.status) ctx.meta.$statusCode = replay.status;
							return { kind: "replay", value: replay.value as T };
						}
						await savepoint(trx);
						const after: Array<() => unknown> = [];
						try {
							const value = await work(trx, fn => after.push(fn));
							await storeAnswer(trx, clubId, key, ctx.meta.$statusCode ?? 200, value);
							return { kind: "fresh", value, after };
						} catch (err: any) {
							if (!isClientError(err)) throw err; // nothing stored: a retry may run again
							await rollbackToSavepoint(trx);
							await storeError(trx, clubId, key, err);
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
	});
}
