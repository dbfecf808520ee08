/**
 * POST /clients/:id/merge: the source client's bookings, wallets, tags and categories go to
 * the target, then the source is erased like a delete. All or nothing across services:
 *
 *   1. Under both clients' row locks (taken in id order, held to the end: two merges of the
 *      same clients, in either direction, run one after the other; the second finds one side
 *      gone: 404), the plan is made and a `merges` row is committed (`running`).
 *   2. The pivot: wallets.mergeClients, one transaction in the wallets service, applied at
 *      most once per merge id. A refusal (4xx) means nothing moved: the merge is called off.
 *      When the outcome is unknown (the wallets node died, a timeout), wallets.abortMerge
 *      settles it for good: either the step was applied (the merge goes on) or it never will
 *      be (the merge is called off, both clients as they were, 503).
 *   3. After the pivot every step can only succeed, so it is carried forward, never undone:
 *      the bookings are re-owned (booking-guard.moveClientBookings, idempotent), then in the
 *      transaction still holding the locks: tags and categories united, the source erased,
 *      the merge marked `completed`.
 * A merge whose node died, or that could not learn the wallets' outcome, stays `running`;
 * every clients node sweeps such merges (settings.mergeSweepMs) and resolves them the same
 * way: completed when the wallets applied their step, otherwise called off. Until then a new
 * merge of either client is 409 MERGE_PENDING.
 * The target's future-booking limit is not enforced retroactively: the answer warns
 * (FUTURE_BOOKING_LIMIT_EXCEEDED) when the target now has more future bookings than its group allows.
 */
import crypto from "node:crypto";
import { Errors, type Context } from "moleculer";
import type { Knex } from "knex";
import { ConflictError, NotFoundError, invalid, isClientError } from "../../lib/errors";
import type { HttpMeta } from "../../lib/http";
import { UUID_RE } from "../../lib/tenant.middleware";
import { withCategories, type Client } from "./clients.entity";
import { defineMixin, type AppService } from "../../lib/service";
import type { DbMembers } from "../../mixins/db.mixin";
import type { OutboxMembers } from "../../mixins/outbox.mixin";
import { ref } from "../../lib/openapi";
import * as q from "./clients.queries";
import * as mq from "./clients.merge.queries";

export interface MergeParams {
	id: string;
	sourceId: string;
	dryRun?: boolean;
}

export interface Moved {
	bookings: number;
	tags: number;
	categories: number;
	wallets: number;
	transferred: Array<{ currency: string; amount: number }>;
}

export interface MergeWarning {
	code: "FUTURE_BOOKING_LIMIT_EXCEEDED";
	message: string;
	data: { maxFutureBookings: number; futureBookings: number };
}

export interface MergeAnswer {
	target: Client;
	moved: Moved;
	dryRun: boolean;
	warnings: MergeWarning[];
}

interface Plan {
	moved: Moved;
	targetFutureBookings: number;
	maxFutureBookings: number | null;
}

interface WalletsStep {
	wallets: number;
	transferred: Array<{ currency: string; amount: number }>;
}


type Call = (action: string, params: unknown, opts?: Record<string, unknown>) => Promise<any>;

export interface MergeSettings {
	/** How often a clients node looks for merges left running (a node died mid-merge). */
	mergeSweepMs: number;
	/** A merge is left to the sweep once it has been running this long without a change. */
	mergeStaleMs: number;
}

export interface MergeState {
	mergeSweep: ReturnType<typeof setInterval> | null;
	sweeping: Promise<void> | null;
}

export interface MergeMethods {
	checkPair(rows: q.ClientRow[], targetId: string, sourceId: string): { target: q.ClientRow; source: q.ClientRow };
	mergePlan(ctx: Context<unknown, HttpMeta>, db: Knex, target: q.ClientRow, source: q.ClientRow): Promise<Plan>;
	warningsOf(futureBookings: number, maxFutureBookings: number | null): MergeWarning[];
	dryRunMerge(ctx: Context<unknown, HttpMeta>, targetId: string, sourceId: string): Promise<MergeAnswer>;
	runMerge(ctx: Context<unknown, HttpMeta>, targetId: string, sourceId: string): Promise<MergeAnswer>;
	decideWallets(call: Call, p: { mergeId: string; sourceId: string; targetId: string }, until: number): Promise<{ status: "applied" | "aborted"; result: WalletsStep | null } | null>;
	completeMerge(ctx: Context<unknown, HttpMeta>, trx: Knex.Transaction, clubId: string, merge: { id: string; target_id: string; source_id: string; plan: Plan }, wallets: WalletsStep, call: Call): Promise<MergeAnswer>;
	announceMerge(emit: (name: string, payload: unknown) => unknown, clubId: string, target: Client, sourceId: string): void;
	sweepMerges(): Promise<void>;
	resolveMerge(clubId: string, mergeId: string): Promise<void>;
}

type MergeThis = AppService<MergeSettings> & DbMembers & OutboxMembers & MergeMethods & MergeState;

/** How long the coordinator keeps asking the wallets for a merge's outcome before leaving it to the sweep. */
const DECIDE_FOR_MS = 20_000;
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

const notFound = () => new NotFoundError("Client");
const unavailable = (message: string, data: unknown) => new Errors.MoleculerRetryableError(message, 503, "MERGE_INTERRUPTED", data);
/** Calls that never reached a wallets node: nothing can have been applied. */
const neverSent = (err: any) => err?.type === "SERVICE_NOT_AVAILABLE" || err?.type === "SERVICE_NOT_FOUND";

const mergeAnswerSchema = ref("ClientMergeResult");

export const MergeMixin = defineMixin<MergeThis>({
	settings: {
		/** How often a clients node looks for merges left running (a node died mid-merge). */
		mergeSweepMs: 5_000,
		/** A merge is left to the sweep once it has been running this long without a change. */
		mergeStaleMs: 5_000,
	},

	actions: {
		merge: {
			rest: "POST /clients/:id/merge",
			auth: "staff",
			timeout: 120_000,
			params: {
				$$strict: true,
				id: { type: "string", min: 1, max: 200 },
				sourceId: { type: "string", min: 1, max: 200, description: "The client merged into :id (then erased)" },
				dryRun: { type: "boolean", optional: true, description: "Answer exactly what would move, change nothing" },
			},
			openapi: {
				summary: "Merge a duplicate client into this one",
				description:
					"The source's bookings (every status), tags, categories and wallets move to the target (:id). A wallet in a currency both hold is emptied into the target's through a pair of ledger entries " +
					"(`transfer_out` / `transfer_in`, reference `merge:<sourceId>`) and closed; the others change owner. Then the source is erased like a delete (404 after, its e-mail free again). " +
					"All or nothing across services: a failure leaves both clients as they were; when a service could not tell whether its step was applied, the answer is 503 MERGE_INTERRUPTED and the merge is settled " +
					"by the cluster within seconds (completed if the wallets applied their step, otherwise called off), meanwhile another merge of either client is 409 MERGE_PENDING. " +
					"The target's future-booking limit is not enforced retroactively: `warnings` says FUTURE_BOOKING_LIMIT_EXCEEDED when it now holds more future bookings than its group allows. " +
					"Two merges of the same clients run one after the other (the second then finds one side gone: 404). " +
					"`dryRun: true` answers exactly what would move and changes nothing. Another club's id (either side): 404. A verified source: 409 SOURCE_VERIFIED. The same id twice: 422. " +
					"Event `clients.merged { clubId, targetId, sourceId }` (and clients.updated for the target, clients.deleted for the source).",
				tags: ["clients"],
				responses: {
					"200": { description: "What moved (or would move)", schema: mergeAnswerSchema },
				},
				errors: ["SOURCE_VERIFIED", "MERGE_PENDING", "MERGE_ABORTED", "BALANCE_LIMIT_EXCEEDED", "MERGE_INTERRUPTED"],
			},
			async handler(ctx: Context<MergeParams, HttpMeta>): Promise<MergeAnswer> {
				const targetId = ctx.params.id.toLowerCase();
				const sourceId = ctx.params.sourceId.toLowerCase();
				if (targetId === sourceId) throw invalid({ field: "sourceId", type: "sameClient", message: "The 'sourceId' must be another client than the one merged into." });
				if (!UUID_RE.test(targetId) || !UUID_RE.test(sourceId)) throw notFound();
				if (ctx.params.dryRun) return this.dryRunMerge(ctx, targetId, sourceId);
				return this.runMerge(ctx, targetId, sourceId);
			},
		},
	},

	started() {
		this.mergeSweep = setInterval(() => {
			if (this.sweeping) return;
			this.sweeping = this.sweepMerges()
				.catch((err: unknown) => this.logger.warn("Merge sweep:", err))
				.finally(() => (this.sweeping = null));
		}, this.settings.mergeSweepMs);
		this.mergeSweep.unref?.();
	},

	async stopped() {
		if (this.mergeSweep) clearInterval(this.mergeSweep);
		this.mergeSweep = null;
		// A sweep under way finishes on the pool before the db mixin closes it (never waited on for long).
		if (this.sweeping) await Promise.race([this.sweeping, sleep(3_000)]);
	},

	methods: {
		/** Both live clients of the club (404 otherwise), the source not verified (409). */
		checkPair(rows: q.ClientRow[], targetId: string, sourceId: string): { target: q.ClientRow; source: q.ClientRow } {
			const target = rows.find(r => r.id === targetId && !r.deleted_at);
			const source = rows.find(r => r.id === sourceId && !r.deleted_at);
			if (!target || !source) throw notFound();
			if (source.verified) throw new ConflictError("SOURCE_VERIFIED", "The source is a verified client: merge it the other way round, into it", { sourceId });
			return { target, source };
		},

		/** What the merge would move, from both clients' rows and the other services' plans. */
		async mergePlan(ctx: Context<unknown, HttpMeta>, db: Knex, target: q.ClientRow, source: q.ClientRow): Promise<Plan> {
			const pair = { sourceId: source.id, targetId: target.id };
			const [wallets, bookings, group, cats] = await Promise.all([
				ctx.call("wallets.mergePlan", pair) as Promise<WalletsStep>,
				ctx.call("booking-guard.mergePlan", pair) as Promise<{ bookings: number; targetFutureBookings: number }>,
				ctx.call("groups.get", { id: target.group_id }) as Promise<{ maxFutureBookings: number | null }>,
				q.categoriesOf(db, target.club_id, [target.id, source.id]),
			]);
			const targetCats = new Set((cats.get(target.id) ?? []).map(c => c.category_id));
			return {
				moved: {
					bookings: bookings.bookings,
					tags: source.tags.filter(t => !target.tags.includes(t)).length,
					categories: (cats.get(source.id) ?? []).filter(c => !targetCats.has(c.category_id)).length,
					wallets: wallets.wallets,
					transferred: wallets.transferred,
				},
				targetFutureBookings: bookings.targetFutureBookings,
				maxFutureBookings: group.maxFutureBookings ?? null,
			};
		},

		warningsOf(futureBookings: number, maxFutureBookings: number | null): MergeWarning[] {
			if (maxFutureBookings === null || futureBookings <= maxFutureBookings) return [];
			return [
				{
					code: "FUTURE_BOOKING_LIMIT_EXCEEDED",
					message: `The target now holds ${futureBookings} future bookings, more than its group's limit of ${maxFutureBookings}: the limit is not enforced retroactively (existing bookings stay; new online ones are refused until it is below the limit again).`,
					data: { maxFutureBookings, futureBookings },
				},
			];
		},

		async dryRunMerge(ctx: Context<unknown, HttpMeta>, targetId: string, sourceId: string): Promise<MergeAnswer> {
			const rows: q.ClientRow[] = await q.liveClients(this.db, ctx.meta.clubId).whereIn("id", [targetId, sourceId]);
			const { target, source } = this.checkPair(rows, targetId, sourceId);
			const plan: Plan = await this.mergePlan(ctx, this.db, target, source);
			return { target: await withCategories(this.db, target), moved: plan.moved, dryRun: true, warnings: this.warningsOf(plan.targetFutureBookings, plan.maxFutureBookings) };
		},

		async runMerge(ctx: Context<unknown, HttpMeta>, targetId: string, sourceId: string): Promise<MergeAnswer> {
			const clubId = ctx.meta.clubId;
			const mergeId = crypto.randomUUID();
			let abort: { error: string } | null = null;
			try {
				const answer: MergeAnswer = await this.db.transaction(async (trx: Knex.Transaction) => {
					const { target, source } = this.checkPair(await mq.lockPair(trx, clubId, [targetId, sourceId]), targetId, sourceId);
					const pending = await mq.pendingMergeOf(trx, clubId, [targetId, sourceId]);
					if (pending) throw new ConflictError("MERGE_PENDING", "An earlier merge of one of these clients is being settled: try again in a few seconds", { mergeId: pending.id });
					const plan: Plan = await this.mergePlan(ctx, trx, target, source);
					await mq.insertMerge(this.db, { club_id: clubId, id: mergeId, target_id: targetId, source_id: sourceId, status: "running", plan });
					await mq.lockMerge(trx, clubId, mergeId);
					const call = (action: string, params: unknown, opts?: Record<string, unknown>): Promise<any> => ctx.call(action, params, { retries: 0, ...opts });
					let wallets: WalletsStep;
					try {
						wallets = await call("wallets.mergeClients", { mergeId, sourceId, targetId }, { timeout: 30_000 });
					} catch (err) {
						if (isClientError(err) && !neverSent(err)) {
							abort = { error: String((err as Error).message) };
							throw err;
						}
						const decided: { status: "applied" | "aborted"; result: WalletsStep | null } | null = await this.decideWallets(call, { mergeId, sourceId, targetId }, Date.now() + DECIDE_FOR_MS);
						if (decided?.status !== "applied") {
							if (decided?.status === "aborted" || neverSent(err)) abort = { error: `wallets: ${(err as Error).message}` };
							throw unavailable(decided ? "The wallets went away mid-merge: nothing was merged, try again" : "The wallets went away mid-merge: the merge is settled within seconds", { mergeId });
						}
						wallets = decided.result as WalletsStep;
					}
					return this.completeMerge(ctx, trx, clubId, { id: mergeId, target_id: targetId, source_id: sourceId, plan }, wallets, call);
				});
				this.announceMerge((name: string, payload: unknown) => ctx.emit(name, payload), clubId, answer.target, sourceId);
				return answer;
			} catch (err) {
				if (abort) await mq.setMerge(this.db, clubId, mergeId, { status: "aborted", error: (abort as { error: string }).error }).catch(() => undefined);
				throw err;
			}
		},

		/** Asks the wallets to call the merge off unless they applied it, until they answer or `until`. */
		async decideWallets(call: (a: string, p: unknown, o?: Record<string, unknown>) => Promise<any>, p: { mergeId: string; sourceId: string; targetId: string }, until: number) {
			for (let attempt = 0; ; attempt++) {
				try {
					return (await call("wallets.abortMerge", p, { timeout: 5_000 })) as { status: "applied" | "aborted"; result: WalletsStep | null };
				} catch (err) {
					if (Date.now() + 500 > until) {
						this.logger.warn(`Merge ${p.mergeId}: the wallets' outcome is still unknown (${(err as Error).message}); left to the sweep`);
						return null;
					}
					await sleep(Math.min(2_000, 250 * 2 ** attempt));
				}
			}
		},

		/**
		 * After the pivot: bookings re-owned, then (in `trx`, holding both clients' locks) tags and
		 * categories united, the source erased, the merge completed. A booking-guard failure leaves
		 * the merge running, for the sweep to carry forward.
		 */
		async completeMerge(
			ctx: Context<unknown, HttpMeta>,
			trx: Knex.Transaction,
			clubId: string,
			merge: { id: string; target_id: string; source_id: string; plan: Plan },
			wallets: WalletsStep,
			call: (a: string, p: unknown, o?: Record<string, unknown>) => Promise<any>,
		): Promise<MergeAnswer> {
			const pair = { sourceId: merge.source_id, targetId: merge.target_id };
			let bookings: { bookings: number; targetFutureBookings: number } | undefined;
			for (let attempt = 0; !bookings; attempt++) {
				try {
					bookings = await call("booking-guard.moveClientBookings", pair);
				} catch (err) {
					if (attempt >= 2) throw unavailable("The booking guard went away mid-merge: the merge completes within seconds", { mergeId: merge.id });
					await sleep(500 * (attempt + 1));
				}
			}
			const united = await mq.uniteInto(trx, clubId, merge.target_id, merge.source_id);
			await q.eraseClient(trx, clubId, merge.source_id);
			const moved: Moved = { ...merge.plan.moved, bookings: bookings.bookings, wallets: wallets.wallets, transferred: wallets.transferred };
			await mq.setMerge(trx, clubId, merge.id, { status: "completed", result: moved });
			await this.recordChange(trx, ctx, {
				action: "clients.merge",
				target: { type: "client", id: merge.target_id },
				changes: { mergedClientId: [null, merge.source_id], tags: [null, united.tags] },
				event: { type: "clients.merged", data: { targetId: merge.target_id, sourceId: merge.source_id } },
			});
			return { target: await withCategories(trx, united), moved, dryRun: false, warnings: this.warningsOf(bookings.targetFutureBookings, merge.plan.maxFutureBookings) };
		},

		announceMerge(emit: (name: string, payload: unknown) => unknown, clubId: string, target: Client, sourceId: string) {
			emit("clients.updated", { clubId, client: target });
			emit("clients.deleted", { clubId, clientId: sourceId });
			emit("clients.merged", { clubId, targetId: target.id, sourceId });
		},

		/** Resolves the merges left running (their node died, or the wallets' outcome was unknown). */
		async sweepMerges(): Promise<void> {
			if (!this.db || !this.mergeSweep) return;
			for (const m of await mq.staleMerges(this.db, this.settings.mergeStaleMs)) {
				if (!this.mergeSweep) return; // stopping
				await this.resolveMerge(m.club_id, m.id).catch((err: unknown) => this.logger.warn(`Merge ${m.id} not settled yet:`, err));
			}
		},

		async resolveMerge(clubId: string, mergeId: string): Promise<void> {
			const call = (action: string, params: unknown, opts?: Record<string, unknown>): Promise<any> => this.broker.call(action, params, { meta: { clubId }, retries: 0, ...opts });
			const answer: MergeAnswer | null = await this.db.transaction(async (trx: Knex.Transaction) => {
				const merge: mq.MergeRow | undefined = await mq.lockMerge(trx, clubId, mergeId, true);
				if (!merge || merge.status !== "running") return null;
				const rows = await mq.lockPair(trx, clubId, [merge.target_id, merge.source_id], true);
				if (rows.length < 2) return null; // a live runner (or a write) holds them: next sweep
				const pair = { mergeId, sourceId: merge.source_id, targetId: merge.target_id };
				const decided = await call("wallets.abortMerge", pair, { timeout: 5_000 });
				if (decided.status === "aborted") {
					await mq.setMerge(trx, clubId, mergeId, { status: "aborted", error: "settled by the sweep: the wallets had not applied it" });
					this.logger.info(`Merge ${mergeId} called off: both clients stay as they were`);
					return null;
				}
				if (rows.some(r => r.deleted_at)) {
					await mq.setMerge(trx, clubId, mergeId, { status: "aborted", error: "a client was deleted before the merge could complete" });
					this.logger.error(`Merge ${mergeId}: the wallets moved but a client was deleted meanwhile; left for an operator`);
					return null;
				}
				// The sweep acts for the service itself (the outbox names it as the actor).
				const asService = { meta: { clubId }, caller: this.fullName, nodeID: this.broker.nodeID, requestID: null } as unknown as Context<unknown, HttpMeta>;
				return this.completeMerge(asService, trx, clubId, { ...merge, plan: merge.plan as Plan }, decided.result, call);
			});
			if (answer) {
				this.logger.info(`Merge ${mergeId} completed by the sweep`);
				const m = (await mq.findMerge(this.db, clubId, mergeId))!;
				this.announceMerge((name: string, payload: unknown) => this.broker.emit(name, payload), clubId, answer.target, m.source_id);
			}
		},
	},
});
