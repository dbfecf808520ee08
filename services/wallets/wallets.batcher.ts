/**
 * Group commit for debits of one wallet.
 *
 * A durable commit costs a WAL flush, and a debit holds its wallet's row lock until its
 * commit is flushed: one transaction per debit caps a hot wallet at 1 / flush latency
 * (bench/wallets: ~380 raw-SQL debits/s on one row here). So debits that arrive together
 * for the same wallet on this node run in ONE transaction, with the same guarantees as
 * IdempotencyMixin, record for record in the same idempotency table:
 *   1. their keys are inserted (ON CONFLICT DO NOTHING): a key that already exists (a
 *      replay, a reuse with another body, or one in flight) leaves the batch and goes
 *      through IdempotencyMixin afterwards, which replays, refuses or waits as usual;
 *   2. the wallet row is locked (FOR UPDATE) and the debits are decided in arrival order
 *      against the locked balance; the ledger rows go in with one INSERT, the balance with
 *      one UPDATE (CHECK balance >= 0 still guards it);
 *   3. every key's answer (201 + entry, or 409 INSUFFICIENT_FUNDS) is stored, then COMMIT.
 * That is six round trips per batch (BEGIN; keys + lock; balance + ledger; audit entries; answers; COMMIT):
 * on a busy database the round trips under the lock are what a hot wallet pays for.
 * Each key is also claimed club-wide (claimKey, as the mixin does): the claim goes out when the
 * debit arrives (mixins/idempotency.claims.ts groups the club's claims), so it is usually
 * answered while the debit waits for its batch; the batch awaits its claims before BEGIN (no
 * call to another service under the wallet's lock). A key the club used for another request
 * gets its 422 IDEMPOTENCY_KEY_REUSED decided under the lock and stored like any answer. The stored answers have the mixin's
 * shape (storedError), so a replay through the mixin answers exactly what the batch did.
 * If the transaction fails, nothing of it exists: a lock timeout or deadlock sends every
 * item through the mixin one by one; any other error fails them all (a retry is safe).
 * Several nodes batching the same wallet queue on its row lock.
 */
import type { Knex } from "knex";
import type { Context } from "moleculer";
import { answerOf, refusalOf, storeAnswers, type Answer } from "../../mixins/idempotency.queries";
import { DEFAULT_WAIT_MS } from "../../mixins/idempotency.mixin";
import { debitMany, lockWalletClaimingKeys, type TransactionRow, type WalletRow } from "./wallets.queries";
import { InsufficientFundsError } from "./wallets.errors";
import { isClientError } from "../../lib/errors";

export const MAX_BATCH = 256;
/** Lingering for the callers of the previous batch: at most LINGER_SHARE of its duration (and LINGER_MAX_MS), and no longer than LINGER_GAP_MS without a new arrival. */
const LINGER_MAX_MS = 30;
const LINGER_SHARE = 0.5;
const LINGER_GAP_MS = 4;
const ACTION = "wallets.debit";

export interface DebitItem {
	clubId: string;
	/** The wallet named by the request; the batch reads it under its lock (unknown: every item falls back). */
	walletId: string;
	key: string;
	hash: string;
	id: string;
	amount: number;
	reference: string | null;
	toBody(row: TransactionRow): unknown;
	/** The key's club-wide claim (mixins/idempotency.claims.ts); rejects 422 when the club used the key for another request. */
	claim(): Promise<void>;
	/** The caller's context: whose debit it is (the audit entry's actor and request). */
	ctx: Context<any, any>;
}

/** Records the audit entries of the batch's debits inside its transaction (the outbox). */
export type RecordDebits = (trx: Knex.Transaction, done: Array<{ ctx: Context<any, any>; wallet: WalletRow; row: TransactionRow }>) => Promise<void>;

export type DebitOutcome = { kind: "fresh"; row: TransactionRow; body: unknown; wallet: WalletRow } | { kind: "refused"; err: InsufficientFundsError | Error } | { kind: "fallback" };

interface Pending {
	item: DebitItem;
	/** The club-wide claim's answer: null, or the error it was refused with. */
	claimed: Promise<unknown>;
	resolve(o: DebitOutcome): void;
	reject(err: unknown): void;
}

/** Errors after which the batch is retried item by item through the mixin. */
const FALL_BACK = new Set(["55P03", "40P01", "40001", "WALLET_NOT_FOUND"]);

/** One wallet's debits on this node: those waiting, and whether a batch is under way. */
interface Lane {
	queue: Pending[];
	running: number;
	/** A start is scheduled (setImmediate) or lingering. */
	starting: boolean;
	/** The previous batch's size (with what queued behind it) and duration, in this busy spell. */
	last: number;
	lastMs: number;
}

export class DebitBatcher {
	private readonly lanes = new Map<string, Lane>();

	/** What the batches did (tests and the bench read it). */
	readonly stats = { batches: 0, debits: 0, largest: 0, fallbacks: 0 };

	/**
	 * @param lockTimeoutMs how long a batch waits for the wallet's row lock (or a key held by
	 *   another run) before every item goes through the mixin instead (as long as the mixin waits).
	 */
	constructor(
		private readonly db: () => Knex,
		private readonly record: RecordDebits,
		public lockTimeoutMs: number = DEFAULT_WAIT_MS,
	) {}

	debit(item: DebitItem): Promise<DebitOutcome> {
		const qk = `${item.clubId}:${item.walletId}`;
		// The club-wide claim goes out now (ClaimBatcher groups the club's claims of this turn): by the
		// time the debit's batch starts it has usually been answered. Awaited before the batch's transaction.
		const claimed = item.claim().then(
			() => null,
			(err: unknown) => err,
		);
		return new Promise((resolve, reject) => {
			let lane = this.lanes.get(qk);
			if (!lane) this.lanes.set(qk, (lane = { queue: [], running: 0, starting: false, last: 0, lastMs: 0 }));
			lane.queue.push({ item, claimed, resolve, reject });
			// Let the debits that arrive in this same turn join the batch.
			this.kick(qk, lane);
		});
	}

	/**
	 * Starts the lane's next batch when none is under way. (Starting the next one while the
	 * previous commits, to queue on the row lock, was tried: over HTTP the callers then settle
	 * into two alternating half batches, twice the commits; bench/wallets was slower.)
	 */
	private kick(qk: string, lane: Lane): void {
		if (lane.starting || lane.running > 0 || lane.queue.length === 0) return;
		lane.starting = true;
		setImmediate(() => void this.start(qk, lane));
	}

	private async start(qk: string, lane: Lane): Promise<void> {
		// Busy (the previous batch was a group): the callers it answered come
		// back one by one (over HTTP each goes through the gateway first) and would form a second,
		// alternating batch, twice the commits for the same debits. Wait for them while they keep
		// coming (a gap of LINGER_GAP_MS ends it), at most LINGER_SHARE of a batch or LINGER_MAX_MS.
		if (lane.last > 1 && lane.queue.length < lane.last) {
			const until = Date.now() + Math.min(LINGER_MAX_MS, lane.lastMs * LINGER_SHARE);
			let size = lane.queue.length;
			let lastArrival = Date.now();
			while (lane.queue.length < lane.last && Date.now() < until && Date.now() - lastArrival < LINGER_GAP_MS) {
				await new Promise(r => setTimeout(r, 1));
				if (lane.queue.length > size) [size, lastArrival] = [lane.queue.length, Date.now()];
			}
		}
		lane.starting = false;
		const batch = lane.queue.splice(0, MAX_BATCH);
		if (batch.length === 0) return this.idle(qk, lane);
		lane.running++;
		const started = Date.now();
		try {
			await this.run(batch);
		} finally {
			lane.running--;
			lane.last = batch.length + lane.queue.length;
			lane.lastMs = Date.now() - started;
			this.kick(qk, lane);
			this.idle(qk, lane);
		}
	}

	/** A lane with nothing waiting or under way is forgotten (its busy spell is over). */
	private idle(qk: string, lane: Lane): void {
		if (lane.running === 0 && !lane.starting && lane.queue.length === 0 && this.lanes.get(qk) === lane) this.lanes.delete(qk);
	}

	private async run(batch: Pending[]): Promise<void> {
		// One key once per batch: the repeats wait for it and replay through the mixin.
		const seen = new Set<string>();
		const inBatch: Pending[] = [];
		const repeats: Pending[] = [];
		for (const p of batch) {
			if (seen.has(p.item.key)) repeats.push(p);
			else inBatch.push(p);
			seen.add(p.item.key);
		}
		// The club-wide claims are answered before the transaction begins (no call to another
		// service while holding the wallet's lock); a refused key is decided under the lock below.
		const claims = new Map<Pending, unknown>();
		for (const p of inBatch) claims.set(p, await p.claimed);
		let outcomes: Map<Pending, DebitOutcome>;
		this.stats.batches++;
		this.stats.largest = Math.max(this.stats.largest, inBatch.length);
		try {
			outcomes = await this.db().transaction(trx => this.apply(trx, inBatch, claims));
		} catch (err: any) {
			if (FALL_BACK.has(err?.code)) {
				this.stats.fallbacks += batch.length;
				for (const p of batch) p.resolve({ kind: "fallback" });
			} else {
				for (const p of batch) p.reject(err);
			}
			return;
		}
		this.stats.debits += [...outcomes.values()].filter(o => o.kind === "fresh").length;
		this.stats.fallbacks += repeats.length + inBatch.filter(p => !outcomes.has(p)).length;
		for (const p of inBatch) p.resolve(outcomes.get(p) ?? { kind: "fallback" });
		for (const p of repeats) p.resolve({ kind: "fallback" });
	}

	private async apply(trx: Knex.Transaction, batch: Pending[], claims: Map<Pending, unknown>): Promise<Map<Pending, DebitOutcome>> {
		const out = new Map<Pending, DebitOutcome>();
		const { clubId, walletId } = batch[0].item;
		// One round trip: the lock timeout, the keys (a key that exists leaves the batch), then
		// the wallet's row lock. Round trips are what a hot wallet pays for, under its lock.
		const claims0 = batch.map(p => ({ key: p.item.key, hash: p.item.hash }));
		const locked = await lockWalletClaimingKeys(trx, { clubId, walletId, action: ACTION, claims: claims0, lockTimeoutMs: this.lockTimeoutMs });
		// Unknown wallet: undo the keys; the mixin answers (and stores) the 404 for each.
		if (!locked) throw Object.assign(new Error("no such wallet"), { name: "WalletNotFound", code: "WALLET_NOT_FOUND" });
		const { wallet } = locked;
		const mine = new Set<string>(locked.freshKeys);
		const answers: Answer[] = [];
		// A key the club already used for another request: 422, stored under the key like any answer.
		const fresh: Pending[] = [];
		for (const p of batch.filter(p => mine.has(p.item.key))) {
			const err: any = claims.get(p);
			if (!err) fresh.push(p);
			else if (isClientError(err)) {
				out.set(p, { kind: "refused", err });
				answers.push(refusalOf(p.item.key, err));
			} else throw err; // the claims could not be checked: nothing of the batch is kept
		}
		const start: number = wallet.balance;
		let balance = start;
		const debits: Array<{ p: Pending; balanceAfter: number }> = [];
		for (const p of fresh) {
			if (balance >= p.item.amount) {
				balance -= p.item.amount;
				debits.push({ p, balanceAfter: balance });
			} else {
				const err = new InsufficientFundsError({ walletId: wallet.id, balance, amount: p.item.amount });
				out.set(p, { kind: "refused", err });
				answers.push(refusalOf(p.item.key, err));
			}
		}
		if (debits.length) {
			// The balance and the ledger rows in one statement (under the lock taken above).
			const rows = await debitMany(trx, {
				clubId,
				walletId: wallet.id,
				from: start,
				to: balance,
				debits: debits.map(d => ({ id: d.p.item.id, amount: d.p.item.amount, balanceAfter: d.balanceAfter, reference: d.p.item.reference })),
			});
			if (rows.length !== debits.length) throw Object.assign(new Error("wallet balance changed under its row lock"), { name: "LedgerInvariantError" });
			const byId = new Map<string, TransactionRow>(rows.map(r => [r.id, r]));
			await this.record(trx, debits.map(d => ({ ctx: d.p.item.ctx, wallet, row: byId.get(d.p.item.id)! })));
			for (const d of debits) {
				const row = byId.get(d.p.item.id)!;
				const body = d.p.item.toBody(row);
				out.set(d.p, { kind: "fresh", row, body, wallet });
				answers.push(answerOf(d.p.item.key, 201, body));
			}
		}
		await storeAnswers(trx, clubId, answers);
		return out;
	}
}
