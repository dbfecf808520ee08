/**
 * How money moves (the wallets' methods): naming the wallet, crediting it, debiting it (the group
 * commit of wallets.batcher.ts first, IdempotencyMixin for the rest), refunding a debit, and the
 * audit entry, answer and event of each movement. The service's actions call these.
 */
import crypto from "node:crypto";
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { defineMixin, type AppService } from "../../lib/service";
import type { DbMembers } from "../../mixins/db.mixin";
import type { ChangeEntry, OutboxMembers } from "../../mixins/outbox.mixin";
import { claimKey, isValidKey, keyOf, requestHash, type ClaimsHolder, type IdempotencyMembers, type OnCommit } from "../../mixins/idempotency.mixin";
import { NotFoundError, invalid, isClientError, type FieldError } from "../../lib/errors";
import { created, type HttpMeta } from "../../lib/http";
import { currencyOf } from "../../lib/money";
import { UUID_RE } from "../../lib/tenant.middleware";
import * as q from "./wallets.queries";
import type { DebitBatcher, DebitOutcome } from "./wallets.batcher";
import { BalanceLimitError, InsufficientFundsError, RefundExceedsDebitError, WalletClosedError, badAddress, notRefundable } from "./wallets.errors";
import { toTransaction, type MoveParams, type RefundParams, type TransactedEvent, type Transaction, type WalletAddress } from "./wallets.types";

export interface WalletsMethods {
	/** The wallet named by the path id / walletId, or by clientId + currency (404 when not the club's). */
	resolveWallet(db: q.Db, clubId: string, p: WalletAddress): Promise<q.WalletRow>;
	/** Top-up or refund; a balance past 2^53 - 1 is a 409. */
	credit(trx: Knex.Transaction, m: Parameters<typeof q.credit>[1]): Promise<q.TransactionRow>;
	/** A keyed top-up, idempotent. */
	topUpWallet(ctx: Context<MoveParams, HttpMeta>): Promise<Transaction>;
	/** A keyed debit: batched when it can be, else through the mixin. */
	debitWallet(ctx: Context<MoveParams, HttpMeta>): Promise<Transaction>;
	/** A keyed refund of (part of) a debit. */
	refundDebit(ctx: Context<RefundParams, HttpMeta>): Promise<Transaction>;
	/** Audit entries of wallets closed (or opened again) around a client's deletion. */
	recordClosed(trx: Knex.Transaction, ctx: Context, walletIds: string[], closed: boolean, clubId?: string): Promise<void>;
	/** The movement's audit entry in its transaction; the 201 answer, and `wallets.transacted` once it has committed. */
	transacted(ctx: Context<unknown, HttpMeta>, onCommit: OnCommit, wallet: q.WalletRow, row: q.TransactionRow, trx: Knex.Transaction): Promise<Transaction>;
	/** A fresh keyed debit of a known wallet joins that wallet's group commit; null when the mixin must handle the call instead. */
	batchedDebit(ctx: Context<MoveParams, HttpMeta>): Promise<Transaction | null>;
	/** Runs a money movement idempotently; a replayed 201 gets its Location back too. */
	move(ctx: Context<unknown, HttpMeta>, work: (trx: Knex.Transaction, onCommit: OnCommit) => Promise<Transaction>): Promise<Transaction>;
}

export interface WalletsState {
	/** The group commit of debits (created with the service). */
	batcher: DebitBatcher;
}

export type WalletsThis = AppService & DbMembers & OutboxMembers & IdempotencyMembers & ClaimsHolder & WalletsMethods & WalletsState;

const transactionLocation = (t: Transaction) => `/api/v1/wallets/${t.walletId}/transactions/${t.id}`;

/** A balance over 2^53 - 1 trips the wallets_balance_max CHECK: a 409, not a 500. */
export function isBalanceMax(err: any): boolean {
	return err?.code === "23514" && err?.constraint === "wallets_balance_max";
}

const MOVEMENT_ACTION: Record<string, string> = { top_up: "wallets.topUp", debit: "wallets.debit", refund: "wallets.refund" };

/** A money movement's audit entry: the wallet's balance before and after, and the webhook event. */
export function movementEntry(wallet: q.WalletRow, row: q.TransactionRow): ChangeEntry {
	const before = row.type === "debit" ? row.balance_after + row.amount : row.balance_after - row.amount;
	return {
		action: MOVEMENT_ACTION[row.type] ?? `wallets.${row.type}`,
		target: { type: "wallet", id: wallet.id },
		changes: { balance: [before, row.balance_after] },
		event: { type: "wallets.transacted", data: toTransaction(row) },
	};
}

export const WalletsMovementsMixin = defineMixin<WalletsThis>({
	methods: {
		async resolveWallet(db: q.Db, clubId: string, p: WalletAddress): Promise<q.WalletRow> {
			if (p.id !== undefined && p.walletId !== undefined && p.id !== p.walletId) throw badAddress("'id' and 'walletId' name different wallets.");
			const walletId = p.id ?? p.walletId;
			const byClient = p.clientId !== undefined || p.currency !== undefined;
			if (walletId !== undefined && byClient) throw badAddress("Name the wallet either by its id or by clientId + currency, not both.");
			if (walletId !== undefined) {
				const row = UUID_RE.test(walletId) ? await q.findWallet(db, clubId, walletId) : undefined;
				if (!row) throw new NotFoundError("Wallet");
				return row;
			}
			if (!byClient) throw badAddress("Name the wallet: walletId, or clientId + currency.");
			const missing: FieldError[] = [];
			if (p.clientId === undefined) missing.push({ field: "clientId", type: "required", message: "The 'clientId' is required with 'currency'." });
			if (p.currency === undefined) missing.push({ field: "currency", type: "required", message: "The 'currency' is required with 'clientId'." });
			if (missing.length) throw invalid(missing);
			const currency = currencyOf(p.currency!);
			const row = UUID_RE.test(p.clientId!) ? await q.findWalletOf(db, clubId, p.clientId!, currency) : undefined;
			if (!row) throw new NotFoundError("Wallet");
			return row;
		},

		async credit(trx: Knex.Transaction, m: Parameters<typeof q.credit>[1]): Promise<q.TransactionRow> {
			try {
				const row = await q.credit(trx, m);
				if (row) return row;
				if (await q.findWallet(trx, m.clubId, m.walletId)) throw new WalletClosedError({ walletId: m.walletId });
				throw new NotFoundError("Wallet");
			} catch (err) {
				if (isBalanceMax(err)) throw new BalanceLimitError({ walletId: m.walletId });
				throw err;
			}
		},

		async topUpWallet(ctx: Context<MoveParams, HttpMeta>): Promise<Transaction> {
			return this.move(ctx, async (trx, onCommit) => {
				const wallet = await this.resolveWallet(trx, ctx.meta.clubId, ctx.params);
				const row = await this.credit(trx, { type: "top_up", id: crypto.randomUUID(), clubId: ctx.meta.clubId, walletId: wallet.id, amount: ctx.params.amount, reference: ctx.params.reference ?? null, refundOf: null });
				return this.transacted(ctx, onCommit, wallet, row, trx);
			});
		},

		async debitWallet(ctx: Context<MoveParams, HttpMeta>): Promise<Transaction> {
			const batched = await this.batchedDebit(ctx);
			if (batched) return batched;
			// Replays, reused or missing keys, unknown wallets: the mixin answers them one by one.
			return this.move(ctx, async (trx, onCommit) => {
				const clubId = ctx.meta.clubId;
				const wallet = await this.resolveWallet(trx, clubId, ctx.params);
				const row = await q.debit(trx, { id: crypto.randomUUID(), clubId, walletId: wallet.id, amount: ctx.params.amount, reference: ctx.params.reference ?? null });
				if (!row) {
					const now = await q.findWallet(trx, clubId, wallet.id);
					throw new InsufficientFundsError({ walletId: wallet.id, balance: now?.balance ?? 0, amount: ctx.params.amount });
				}
				return this.transacted(ctx, onCommit, wallet, row, trx);
			});
		},

		async refundDebit(ctx: Context<RefundParams, HttpMeta>): Promise<Transaction> {
			// fastest-validator lets an optional null through; "refund everything" is said by leaving it out.
			if (ctx.params.amount === null) throw invalid({ field: "amount", type: "number", message: "The 'amount' field must be a number." });
			return this.move(ctx, async (trx, onCommit) => {
				const clubId = ctx.meta.clubId;
				const p = ctx.params;
				const named = p.id !== undefined || p.walletId !== undefined || p.clientId !== undefined || p.currency !== undefined;
				const wallet = named ? await this.resolveWallet(trx, clubId, p) : undefined;
				// Refunds of one debit queue on its row lock: each sees the ones before it.
				const locked = UUID_RE.test(p.transactionId) ? await q.lockForRefund(trx, clubId, p.transactionId) : undefined;
				if (!locked || (wallet && locked.row.wallet_id !== wallet.id)) throw new NotFoundError("Transaction");
				const debit = locked.row;
				if (debit.type !== "debit") throw notRefundable(debit.type);
				const refundable = debit.amount - locked.refunded;
				const value = p.amount ?? refundable;
				if (refundable <= 0 || value > refundable) {
					throw new RefundExceedsDebitError({ transactionId: debit.id, debitAmount: debit.amount, refunded: locked.refunded, refundable, amount: p.amount ?? null });
				}
				const target = wallet ?? (await q.findWallet(trx, clubId, debit.wallet_id))!;
				const row = await this.credit(trx, { type: "refund", id: crypto.randomUUID(), clubId, walletId: target.id, amount: value, reference: p.reference ?? null, refundOf: debit.id });
				return this.transacted(ctx, onCommit, target, row, trx);
			});
		},

		async recordClosed(trx: Knex.Transaction, ctx: Context, walletIds: string[], closed: boolean, clubId?: string): Promise<void> {
			await this.recordChange(
				trx,
				ctx,
				walletIds.map(id => ({ clubId, action: closed ? "wallets.close" : "wallets.reopen", target: { type: "wallet", id }, changes: { closed: [!closed, closed] } })),
			);
		},

		async transacted(ctx: Context<unknown, HttpMeta>, onCommit: OnCommit, wallet: q.WalletRow, row: q.TransactionRow, trx: Knex.Transaction): Promise<Transaction> {
			await this.recordChange(trx, ctx, movementEntry(wallet, row));
			const transaction = toTransaction(row);
			const event: TransactedEvent = { clubId: ctx.meta.clubId, walletId: wallet.id, clientId: wallet.client_id, transaction };
			onCommit(() => ctx.emit("wallets.transacted", event));
			return created(ctx, transaction, transactionLocation(transaction));
		},

		async batchedDebit(ctx: Context<MoveParams, HttpMeta>): Promise<Transaction | null> {
			const key = keyOf(ctx);
			if (key === undefined || !isValidKey(key)) return null;
			const clubId = ctx.meta.clubId;
			const p = ctx.params;
			// Named by id (REST always is): the batch reads the wallet under its lock, no lookup first.
			let walletId = p.clientId === undefined && p.currency === undefined && (p.id === undefined || p.walletId === undefined || p.id === p.walletId) ? (p.id ?? p.walletId) : undefined;
			if (walletId === undefined || !UUID_RE.test(walletId)) {
				try {
					walletId = (await this.resolveWallet(this.db, clubId, p)).id;
				} catch (err) {
					if (isClientError(err)) return null; // stored under the key by the mixin path
					throw err;
				}
			}
			const hash = requestHash(ctx);
			const outcome: DebitOutcome = await this.batcher.debit({
				clubId,
				walletId,
				key,
				hash,
				id: crypto.randomUUID(),
				amount: p.amount,
				reference: p.reference ?? null,
				toBody: toTransaction,
				claim: () => claimKey(this, ctx, key, hash), // club-wide, as the mixin does (awaited inside the batch)
				ctx,
			});
			if (outcome.kind === "fallback") return null;
			if (outcome.kind === "refused") throw outcome.err;
			// Committed: the answer and the event.
			const transaction = outcome.body as Transaction;
			ctx.emit("wallets.transacted", { clubId, walletId: outcome.wallet.id, clientId: outcome.wallet.client_id, transaction } satisfies TransactedEvent);
			return created(ctx, transaction, transactionLocation(transaction));
		},

		async move(ctx: Context<unknown, HttpMeta>, work: (trx: Knex.Transaction, onCommit: OnCommit) => Promise<Transaction>): Promise<Transaction> {
			const tx: Transaction = await this.idempotent(ctx, work, { required: true });
			if (ctx.meta.$statusCode === 201 && tx?.id) ctx.meta.$location = transactionLocation(tx);
			return tx;
		},
	},
});
