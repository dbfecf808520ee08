/**
 * Club wallets: one wallet per client and currency, and an immutable, idempotent ledger.
 *
 *   - Money moves only through one conditional SQL statement per movement (balance and
 *     ledger entry together; the debit's `balance >= amount` is in its WHERE, and the table
 *     has CHECK (balance >= 0)), inside IdempotencyMixin's transaction, so the movement,
 *     the balance and the stored answer commit together or not at all.
 *   - Ledger entries can never change: a trigger raises on UPDATE/DELETE/TRUNCATE.
 *   - Refunds of one debit are decided one at a time under a row lock on that debit, so
 *     the total refunded never exceeds it, even under parallel refunds.
 *   - The booking system calls wallets.debit / wallets.refund / wallets.balance over the
 *     bus with `idempotencyKey` as a param; it may name the wallet by `walletId` (or `id`,
 *     as REST does) or by `clientId` + `currency`.
 */
import { pageOf, ref } from "../../lib/openapi";
import crypto from "node:crypto";
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { defineService } from "../../lib/service";
import { DbMixin } from "../../mixins/db.mixin";
import { OutboxMixin, diffChanges, type ChangeEntry } from "../../mixins/outbox.mixin";
import { IdempotencyMixin, claimKey, keyOf, requestHash, type OnCommit } from "../../mixins/idempotency.mixin";
import { ConflictError, NotFoundError, invalid, isClientError, type FieldError } from "../../lib/errors";
import { created, type HttpMeta } from "../../lib/http";
import { listParams, type Page } from "../../lib/pagination";
import { UUID_RE } from "../../lib/tenant.middleware";
import * as q from "./wallets.queries";
import { DebitBatcher, type DebitOutcome } from "./wallets.batcher";
import { closeOwner, lockOpenOwner } from "./wallets.owners.queries";
import { WalletsMergeMixin } from "./wallets.merge";
import { BalanceLimitError, InsufficientFundsError, RefundExceedsDebitError, WalletClosedError, WalletExistsError, badAddress, notRefundable } from "./wallets.errors";
import {
	toTransaction,
	toWallet,
	transactionEntity,
	walletEntity,
	type BalanceAnswer,
	type BalanceParams,
	type ClientWallet,
	type MoveParams,
	type Reconciliation,
	type RefundParams,
	type TransactedEvent,
	type Transaction,
	type Wallet,
	type WalletAddress,
} from "./wallets.types";

export const MAX_AMOUNT = 1_000_000_000;
export const RECENT_TRANSACTIONS = 10;
const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

const id = { type: "string", min: 1, max: 64 } as const;
const amount = { type: "number", integer: true, min: 1, max: MAX_AMOUNT, description: "Minor units, 1..1 000 000 000" } as const;
const reference = { type: "string", trim: true, min: 1, max: 255, optional: true, description: "Free text, e.g. a booking id" } as const;
const idempotencyKey = { type: "string", min: 1, max: 255, optional: true, description: "Bus callers: the idempotency key (REST: the Idempotency-Key header)" } as const;
/** Bus callers may name the wallet instead of giving its id (the REST route always has the id in the path). */
const busAddress = {
	walletId: { ...id, optional: true, description: "Bus only: the wallet's id (same as the path id)" },
	clientId: { ...id, optional: true, description: "Bus only: with currency, names the client's wallet instead of its id" },
	currency: { type: "string", trim: true, length: 3, optional: true, description: "Bus only: with clientId (ISO 4217)" },
} as const;

const walletsPage = pageOf("Transaction");
const clientWalletEntity = ref("ClientWallet");

/** ISO 4217, upper-cased; 422 on the given field otherwise. */
function currencyOf(value: string, field = "currency"): string {
	const code = value.trim().toUpperCase();
	if (!CURRENCIES.has(code)) throw invalid({ field, type: "currency", message: `The '${field}' is not an ISO 4217 currency code.` });
	return code;
}

const transactionLocation = (t: Transaction) => `/api/v1/wallets/${t.walletId}/transactions/${t.id}`;

/** A balance over 2^53 - 1 trips the wallets_balance_max CHECK: a 409, not a 500. */
function isBalanceMax(err: any): boolean {
	return err?.code === "23514" && err?.constraint === "wallets_balance_max";
}

const MOVEMENT_ACTION: Record<string, string> = { top_up: "wallets.topUp", debit: "wallets.debit", refund: "wallets.refund" };

/** A money movement's audit entry: the wallet's balance before and after, and the webhook event. */
function movementEntry(wallet: q.WalletRow, row: q.TransactionRow): ChangeEntry {
	const before = row.type === "debit" ? row.balance_after + row.amount : row.balance_after - row.amount;
	return {
		action: MOVEMENT_ACTION[row.type] ?? `wallets.${row.type}`,
		target: { type: "wallet", id: wallet.id },
		changes: { balance: [before, row.balance_after] },
		event: { type: "wallets.transacted", data: toTransaction(row) },
	};
}

const WalletsService = defineService({
	name: "wallets",
	mixins: [DbMixin({ schema: "wallets", appendOnly: ["transactions"] }), IdempotencyMixin(), OutboxMixin(), WalletsMergeMixin],
	settings: { rest: "/" },

	actions: {
		/** Opens a client's wallet in one currency (one per currency). */
		create: {
			rest: "POST /clients/:id/wallets",
			auth: "staff",
			idempotency: "optional",
			params: {
				$$strict: true,
				id,
				currency: { type: "string", trim: true, min: 1, max: 3 },
				idempotencyKey,
			},
			openapi: {
				summary: "Open a wallet for a client",
				description: "One wallet per client and ISO 4217 currency: a second one is 409 `WALLET_EXISTS` (data: `{ walletId, currency }`). The client must exist in the club (404 otherwise, also when the client is deleted while the wallet is being opened: a deleted client never gets an open wallet).",
				tags: ["wallets"],
				responses: { "201": { description: "The new wallet, balance 0", schema: walletEntity }, "409": { description: "WALLET_EXISTS" } },
			},
			async handler(this: any, ctx: Context<{ id: string; currency: string }, HttpMeta>): Promise<Wallet> {
				const currency = currencyOf(ctx.params.currency);
				if (!UUID_RE.test(ctx.params.id)) throw new NotFoundError("Client");
				const client: { id: string } = await ctx.call("clients.get", { id: ctx.params.id });
				const clubId = ctx.meta.clubId;
				return this.idempotent(ctx, async (trx: Knex.Transaction) => {
					// Under the owner's lock: a deletion that closed this client's wallets meanwhile wins (wallets.owners.queries.ts).
					if (!(await lockOpenOwner(trx, clubId, client.id))) throw new NotFoundError("Client");
					const row = await q.insertWallet(trx, { id: crypto.randomUUID(), club_id: clubId, client_id: client.id, currency });
					if (!row) {
						const existing = await q.findWalletOf(trx, clubId, client.id, currency);
						throw new WalletExistsError({ walletId: existing!.id, currency });
					}
					const wallet = toWallet(row);
					await this.recordChange(trx, ctx, { action: "wallets.create", target: { type: "wallet", id: row.id }, changes: diffChanges(null, wallet) });
					return created(ctx, wallet, `/api/v1/wallets/${row.id}`);
				});
			},
		},

		/** One wallet with its balance (readable after its client was deleted). */
		get: {
			rest: "GET /wallets/:id",
			auth: "viewer",
			params: { id },
			openapi: { summary: "Get a wallet", tags: ["wallets"], responses: { "200": { description: "The wallet", schema: walletEntity } } },
			async handler(this: any, ctx: Context<{ id: string }, HttpMeta>): Promise<Wallet> {
				const row = UUID_RE.test(ctx.params.id) ? await q.findWallet(this.db, ctx.meta.clubId, ctx.params.id) : undefined;
				if (!row) throw new NotFoundError("Wallet");
				return toWallet(row);
			},
		},

		/** The wallet's ledger, newest first. */
		transactions: {
			rest: "GET /wallets/:id/transactions",
			auth: "viewer",
			params: { id, ...listParams },
			openapi: { summary: "List a wallet's transactions (newest first)", description: "Newest first in the exact order the entries were applied to the balance.", tags: ["wallets"], responses: { "200": { description: "A page of ledger entries", schema: walletsPage } } },
			async handler(this: any, ctx: Context<{ id: string; limit?: number; cursor?: string }, HttpMeta>): Promise<Page<Transaction>> {
				const clubId = ctx.meta.clubId;
				const wallet = UUID_RE.test(ctx.params.id) ? await q.findWallet(this.db, clubId, ctx.params.id) : undefined;
				if (!wallet) throw new NotFoundError("Wallet");
				const page = await q.pageTransactions(this.db, clubId, wallet.id, ctx.params);
				return { items: page.rows.map(toTransaction), nextCursor: page.nextCursor };
			},
		},

		/** One ledger entry of the wallet. */
		transaction: {
			rest: "GET /wallets/:id/transactions/:transactionId",
			auth: "viewer",
			params: { id, transactionId: id },
			openapi: { summary: "Get one transaction of a wallet", tags: ["wallets"], responses: { "200": { description: "The ledger entry", schema: transactionEntity } } },
			async handler(this: any, ctx: Context<{ id: string; transactionId: string }, HttpMeta>): Promise<Transaction> {
				const { id: walletId, transactionId } = ctx.params;
				const row = UUID_RE.test(walletId) && UUID_RE.test(transactionId) ? await q.findTransaction(this.db, ctx.meta.clubId, walletId, transactionId) : undefined;
				if (!row) throw new NotFoundError("Transaction");
				return toTransaction(row);
			},
		},

		/** Client panel: the client's wallets, each with its 10 newest entries. */
		ofClient: {
			rest: "GET /clients/:id/wallets",
			auth: "viewer",
			params: { id },
			openapi: {
				summary: "A client's wallets with their recent transactions",
				description: "Each wallet carries `recentTransactions` (newest 10). The wallets of a deleted client stay readable here and by wallet id.",
				tags: ["wallets"],
				responses: { "200": { description: "The client's wallets", schema: pageOf("ClientWallet") } },
			},
			async handler(this: any, ctx: Context<{ id: string }, HttpMeta>): Promise<Page<ClientWallet>> {
				const clubId = ctx.meta.clubId;
				if (!UUID_RE.test(ctx.params.id)) throw new NotFoundError("Client");
				const wallets = await q.walletsOfClient(this.db, clubId, ctx.params.id);
				// No wallet here: an unknown (or another club's) client is a 404, a known one has none yet.
				if (!wallets.length) await ctx.call("clients.get", { id: ctx.params.id });
				const recent = await q.recentTransactions(this.db, clubId, wallets.map(w => w.id), RECENT_TRANSACTIONS);
				const byWallet = new Map<string, Transaction[]>();
				for (const t of recent) {
					const list = byWallet.get(t.wallet_id) ?? [];
					list.push(toTransaction(t));
					byWallet.set(t.wallet_id, list);
				}
				return { items: wallets.map(w => ({ ...toWallet(w), recentTransactions: byWallet.get(w.id) ?? [] })), nextCursor: null };
			},
		},

		/** Puts money in the wallet. */
		topUp: {
			rest: "POST /wallets/:id/top-up",
			auth: "staff",
			idempotency: "required",
			retryPolicy: { enabled: false },
			params: { $$strict: true, id: { ...id, optional: true }, ...busAddress, amount, reference, idempotencyKey },
			openapi: {
				summary: "Top up a wallet",
				description: "A deleted client's wallet (still readable, with its ledger) takes no more money: 409 `WALLET_CLOSED` (data: `{ walletId }`).",
				tags: ["wallets"],
				responses: { "201": { description: "The ledger entry", schema: transactionEntity }, "409": { description: "WALLET_CLOSED, or the same Idempotency-Key still in flight" } },
				errors: ["BALANCE_LIMIT_EXCEEDED"],
			},
			async handler(this: any, ctx: Context<MoveParams, HttpMeta>): Promise<Transaction> {
				return this.move(ctx, async (trx: Knex.Transaction, onCommit: OnCommit) => {
					const wallet = await this.resolveWallet(trx, ctx.meta.clubId, ctx.params);
					const row = await this.credit(trx, { type: "top_up", id: crypto.randomUUID(), clubId: ctx.meta.clubId, walletId: wallet.id, amount: ctx.params.amount, reference: ctx.params.reference ?? null, refundOf: null });
					return this.transacted(ctx, onCommit, wallet, row, trx);
				});
			},
		},

		/** Takes money from the wallet; never below zero (409 INSUFFICIENT_FUNDS). */
		debit: {
			rest: "POST /wallets/:id/debit",
			auth: "staff",
			idempotency: "required",
			retryPolicy: { enabled: false },
			params: { $$strict: true, id: { ...id, optional: true }, ...busAddress, amount, reference, idempotencyKey },
			openapi: {
				summary: "Debit a wallet",
				description: "The balance never goes below zero: 409 `INSUFFICIENT_FUNDS` (data: `{ walletId, balance, amount }`). Bus callers (`wallets.debit`) pass `idempotencyKey` as a param and may name the wallet by `walletId` or by `clientId` + `currency`.",
				tags: ["wallets"],
				responses: { "201": { description: "The ledger entry", schema: transactionEntity }, "409": { description: "INSUFFICIENT_FUNDS, or the same Idempotency-Key still in flight" } },
			},
			async handler(this: any, ctx: Context<MoveParams, HttpMeta>): Promise<Transaction> {
				const batched = await this.batchedDebit(ctx);
				if (batched) return batched;
				// Replays, reused or missing keys, unknown wallets: the mixin answers them one by one.
				return this.move(ctx, async (trx: Knex.Transaction, onCommit: OnCommit) => {
					const clubId = ctx.meta.clubId;
					const wallet: q.WalletRow = await this.resolveWallet(trx, clubId, ctx.params);
					const row = await q.debit(trx, { id: crypto.randomUUID(), clubId, walletId: wallet.id, amount: ctx.params.amount, reference: ctx.params.reference ?? null });
					if (!row) {
						const now = await q.findWallet(trx, clubId, wallet.id);
						throw new InsufficientFundsError({ walletId: wallet.id, balance: now?.balance ?? 0, amount: ctx.params.amount });
					}
					return this.transacted(ctx, onCommit, wallet, row, trx);
				});
			},
		},

		/** Gives back all or part of a debit (never more than was debited, in total). */
		refund: {
			rest: "POST /wallets/:id/refund",
			auth: "staff",
			idempotency: "required",
			retryPolicy: { enabled: false },
			params: {
				$$strict: true,
				id: { ...id, optional: true },
				...busAddress,
				transactionId: id,
				amount: { ...amount, optional: true, description: "Minor units; default: what is left of the debit" },
				reference,
				idempotencyKey,
			},
			openapi: {
				summary: "Refund a debit (all or part)",
				description:
					"Only debits are refundable: a top-up or refund id is 422 (field `transactionId`, type `notRefundable`). Without `amount`, refunds what is left of the debit. " +
					"The total refunded never exceeds the debit: 409 `REFUND_EXCEEDS_DEBIT` (data: `{ transactionId, debitAmount, refunded, refundable, amount }`). " +
					"The debit must belong to this wallet (404 otherwise). Bus callers (`wallets.refund`) may omit the wallet: the debit names it. " +
					"A deleted client's wallet takes no more money: 409 `WALLET_CLOSED` (data: `{ walletId }`).",
				tags: ["wallets"],
				responses: { "201": { description: "The refund's ledger entry", schema: transactionEntity }, "409": { description: "REFUND_EXCEEDS_DEBIT, WALLET_CLOSED, or the same Idempotency-Key still in flight" } },
				errors: ["BALANCE_LIMIT_EXCEEDED"],
			},
			async handler(this: any, ctx: Context<RefundParams, HttpMeta>): Promise<Transaction> {
				// fastest-validator lets an optional null through; "refund everything" is said by leaving it out.
				if (ctx.params.amount === null) throw invalid({ field: "amount", type: "number", message: "The 'amount' field must be a number." });
				return this.move(ctx, async (trx: Knex.Transaction, onCommit: OnCommit) => {
					const clubId = ctx.meta.clubId;
					const p = ctx.params;
					const named = p.id !== undefined || p.walletId !== undefined || p.clientId !== undefined || p.currency !== undefined;
					const wallet: q.WalletRow | undefined = named ? await this.resolveWallet(trx, clubId, p) : undefined;
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
					const target: q.WalletRow = wallet ?? (await q.findWallet(trx, clubId, debit.wallet_id))!;
					const row = await this.credit(trx, { type: "refund", id: crypto.randomUUID(), clubId, walletId: target.id, amount: value, reference: p.reference ?? null, refundOf: debit.id });
					return this.transacted(ctx, onCommit, target, row, trx);
				});
			},
		},

		/** Bus (booking system): the client's balance in a currency; no wallet → walletId null, balance 0. */
		balance: {
			params: { $$strict: true, clientId: id, currency: { type: "string", trim: true, length: 3 } },
			async handler(this: any, ctx: Context<BalanceParams, HttpMeta>): Promise<BalanceAnswer> {
				const currency = currencyOf(ctx.params.currency);
				const row = UUID_RE.test(ctx.params.clientId) ? await q.findWalletOf(this.db, ctx.meta.clubId, ctx.params.clientId, currency) : undefined;
				return { walletId: row?.id ?? null, balance: row?.balance ?? 0, currency };
			},
		},

		/**
		 * Internal (client deletion): closes the client's wallets, or 409 WALLET_NOT_EMPTY when
		 * one holds money. Decided under the wallets' row locks, so no credit slips in between.
		 */
		closeClientWallets: {
			params: { clientId: "string" },
			async handler(this: any, ctx: Context<{ clientId: string }, HttpMeta>): Promise<{ closed: true }> {
				if (UUID_RE.test(ctx.params.clientId)) {
					const withMoney: string[] = await this.db.transaction(async (trx: Knex.Transaction) => {
						const r = await q.closeClientWallets(trx, ctx.meta.clubId, ctx.params.clientId);
						await this.recordClosed(trx, ctx, r.closed, true);
						return r.withMoney;
					});
					if (withMoney.length) throw new ConflictError("WALLET_NOT_EMPTY", "The client's wallet is not empty: refund or spend it first", { clientId: ctx.params.clientId });
				}
				return { closed: true };
			},
		},

		/** Internal: the client's deletion did not go through after closeClientWallets. */
		reopenClientWallets: {
			params: { clientId: "string" },
			async handler(this: any, ctx: Context<{ clientId: string }, HttpMeta>): Promise<{ reopened: true }> {
				if (UUID_RE.test(ctx.params.clientId)) {
					await this.db.transaction(async (trx: Knex.Transaction) => this.recordClosed(trx, ctx, await q.reopenClientWallets(trx, ctx.meta.clubId, ctx.params.clientId), false));
				}
				return { reopened: true };
			},
		},

		/** Proves every wallet of the club against its ledger; answers the mismatches. */
		reconcile: {
			rest: "GET /wallets/reconciliation",
			auth: "admin",
			params: {},
			openapi: {
				summary: "Reconcile every wallet with its ledger",
				description:
					"For every wallet of the club: balance = Σ top_up + Σ refund + Σ transfer_in − Σ debit − Σ transfer_out, the newest entry's balanceAfter = balance, and each entry's balanceAfter = the running sum of the entries up to it. " +
					"`ok` is true when `mismatches` is empty. Also on the bus as `wallets.reconcile`.",
				tags: ["wallets"],
				responses: {
					"200": {
						description: "The reconciliation",
						schema: {
							type: "object",
							properties: {
								ok: { type: "boolean" },
								checkedWallets: { type: "integer" },
								checkedEntries: { type: "integer" },
								checkedAt: { type: "string" },
								mismatches: {
									type: "array",
									items: {
										type: "object",
										properties: {
											walletId: { type: "string" },
											clientId: { type: "string" },
											currency: { type: "string" },
											balance: { type: "integer" },
											ledgerBalance: { type: "integer" },
											lastBalanceAfter: { type: ["integer", "null"] },
											entries: { type: "integer" },
											brokenEntries: { type: "integer" },
										},
									},
								},
							},
						},
					},
				},
			},
			async handler(this: any, ctx: Context<unknown, HttpMeta>): Promise<Reconciliation> {
				// One snapshot: balances and entries as of the same instant.
				const r = await this.db.transaction(async (trx: Knex.Transaction) => {
					await trx.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
					return q.reconcile(trx, ctx.meta.clubId);
				});
				return {
					ok: r.mismatches.length === 0,
					checkedWallets: r.checked,
					checkedEntries: r.entries,
					mismatches: r.mismatches.map((m: q.Mismatch) => ({
						walletId: m.wallet_id,
						clientId: m.client_id,
						currency: m.currency,
						balance: m.balance,
						ledgerBalance: m.ledger_balance,
						lastBalanceAfter: m.last_balance_after,
						entries: m.entries,
						brokenEntries: m.broken_entries,
					})),
					checkedAt: new Date().toISOString(),
				};
			},
		},
	},

	created(this: any) {
		this.batcher = new DebitBatcher(
			() => this.db,
			(trx, done) => this.recordChanges(trx, done.map(d => ({ ctx: d.ctx, entry: movementEntry(d.wallet, d.row) }))),
		);
	},

	events: {
		/** A wallet opened while its client was being deleted is closed too (when empty). */
		"clients.deleted": {
			async handler(this: any, ctx: Context<{ clubId?: string; clientId?: string }>) {
				const { clubId, clientId } = ctx.params ?? {};
				if (typeof clubId !== "string" || !UUID_RE.test(clubId) || typeof clientId !== "string" || !UUID_RE.test(clientId)) return;
				await this.db.transaction(async (trx: Knex.Transaction) => {
					await closeOwner(trx, clubId, clientId);
					await this.recordClosed(trx, ctx, await q.closeEmptyClientWallets(trx, clubId, clientId), true, clubId);
				});
			},
		},
	},

	methods: {
		/** The wallet named by the path id / walletId, or by clientId + currency (404 when not the club's). */
		async resolveWallet(this: any, db: q.Db, clubId: string, p: WalletAddress): Promise<q.WalletRow> {
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

		/** Top-up or refund; a balance past 2^53 - 1 is a 409. */
		async credit(this: any, trx: Knex.Transaction, m: Parameters<typeof q.credit>[1]): Promise<q.TransactionRow> {
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

		/** Audit entries of wallets closed (or opened again) around a client's deletion. */
		async recordClosed(this: any, trx: Knex.Transaction, ctx: Context, walletIds: string[], closed: boolean, clubId?: string): Promise<void> {
			await this.recordChange(
				trx,
				ctx,
				walletIds.map(id => ({ clubId, action: closed ? "wallets.close" : "wallets.reopen", target: { type: "wallet", id }, changes: { closed: [!closed, closed] } })),
			);
		},

		/** The movement's audit entry in its transaction; the 201 answer, and `wallets.transacted` once it has committed. */
		async transacted(this: any, ctx: Context<unknown, HttpMeta>, onCommit: OnCommit, wallet: q.WalletRow, row: q.TransactionRow, trx: Knex.Transaction): Promise<Transaction> {
			await this.recordChange(trx, ctx, movementEntry(wallet, row));
			const transaction = toTransaction(row);
			const event: TransactedEvent = { clubId: ctx.meta.clubId, walletId: wallet.id, clientId: wallet.client_id, transaction };
			onCommit(() => ctx.emit("wallets.transacted", event));
			return created(ctx, transaction, transactionLocation(transaction));
		},

		/**
		 * A fresh keyed debit of a known wallet joins that wallet's group commit (wallets.batcher.ts).
		 * Answers null when the mixin must handle the call instead.
		 */
		async batchedDebit(this: any, ctx: Context<MoveParams, HttpMeta>): Promise<Transaction | null> {
			const key = keyOf(ctx);
			if (key === undefined || key.length < 1 || key.length > 255) return null;
			const clubId = ctx.meta.clubId;
			const p = ctx.params;
			// Named by id (REST always is): the batch reads the wallet under its lock, no lookup first.
			let walletId = p.clientId === undefined && p.currency === undefined && (p.id === undefined || p.walletId === undefined || p.id === p.walletId) ? (p.id ?? p.walletId) : undefined;
			if (walletId === undefined || !UUID_RE.test(walletId)) {
				try {
					walletId = (await this.resolveWallet(this.db, clubId, p)).id as string;
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

		/** Runs a money movement idempotently; a replayed 201 gets its Location back too. */
		async move(this: any, ctx: Context<unknown, HttpMeta>, work: (trx: Knex.Transaction, onCommit: OnCommit) => Promise<Transaction>): Promise<Transaction> {
			const tx: Transaction = await this.idempotent(ctx, work, { required: true });
			if (ctx.meta.$statusCode === 201 && tx?.id) ctx.meta.$location = transactionLocation(tx);
			return tx;
		},
	},
});

export default WalletsService;
