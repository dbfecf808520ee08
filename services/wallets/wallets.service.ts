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
import crypto from "node:crypto";
import type { Context } from "moleculer";
import { defineService } from "../../lib/service";
import { DbMixin } from "../../mixins/db.mixin";
import { OutboxMixin, diffChanges } from "../../mixins/outbox.mixin";
import { IdempotencyMixin } from "../../mixins/idempotency.mixin";
import { ConflictError, NotFoundError } from "../../lib/errors";
import { created, type HttpMeta } from "../../lib/http";
import { currencyOf } from "../../lib/money";
import { listParams, type Page } from "../../lib/pagination";
import { UUID_RE } from "../../lib/tenant.middleware";
import * as q from "./wallets.queries";
import { DebitBatcher } from "./wallets.batcher";
import { closeOwner, lockOpenOwner } from "./wallets.owners.queries";
import { WalletsMergeMixin } from "./wallets.merge";
import { WalletsMovementsMixin, movementEntry, type WalletsThis } from "./wallets.movements";
import { WalletExistsError } from "./wallets.errors";
import { amount, busAddress, clientWalletsPage, id, idempotencyKey, reconciliationSchema, reference, walletsPage } from "./wallets.schemas";
import type { ClientWalletsParams, CloseClientWalletsAnswer, ReopenClientWalletsAnswer } from "./wallets.contract";
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
	type Transaction,
	type Wallet,
} from "./wallets.types";

const RECENT_TRANSACTIONS = 10;

const WalletsService = defineService<WalletsThis>({
	name: "wallets",
	mixins: [DbMixin({ schema: "wallets", appendOnly: ["transactions"] }), IdempotencyMixin(), OutboxMixin(), WalletsMovementsMixin, WalletsMergeMixin],
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
			async handler(ctx: Context<{ id: string; currency: string }, HttpMeta>): Promise<Wallet> {
				const currency = currencyOf(ctx.params.currency);
				if (!UUID_RE.test(ctx.params.id)) throw new NotFoundError("Client");
				const client: { id: string } = await ctx.call("clients.get", { id: ctx.params.id });
				const clubId = ctx.meta.clubId;
				return this.idempotent(ctx, async trx => {
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
			async handler(ctx: Context<{ id: string }, HttpMeta>): Promise<Wallet> {
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
			async handler(ctx: Context<{ id: string; limit?: number; cursor?: string }, HttpMeta>): Promise<Page<Transaction>> {
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
			async handler(ctx: Context<{ id: string; transactionId: string }, HttpMeta>): Promise<Transaction> {
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
				responses: { "200": { description: "The client's wallets", schema: clientWalletsPage } },
			},
			async handler(ctx: Context<{ id: string }, HttpMeta>): Promise<Page<ClientWallet>> {
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
			async handler(ctx: Context<MoveParams, HttpMeta>): Promise<Transaction> {
				return this.topUpWallet(ctx);
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
			async handler(ctx: Context<MoveParams, HttpMeta>): Promise<Transaction> {
				return this.debitWallet(ctx);
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
			async handler(ctx: Context<RefundParams, HttpMeta>): Promise<Transaction> {
				return this.refundDebit(ctx);
			},
		},

		/** Bus (booking system): the client's balance in a currency; no wallet → walletId null, balance 0. */
		balance: {
			params: { $$strict: true, clientId: id, currency: { type: "string", trim: true, length: 3 } },
			async handler(ctx: Context<BalanceParams, HttpMeta>): Promise<BalanceAnswer> {
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
			async handler(ctx: Context<ClientWalletsParams, HttpMeta>): Promise<CloseClientWalletsAnswer> {
				if (UUID_RE.test(ctx.params.clientId)) {
					const withMoney: string[] = await this.db.transaction(async trx => {
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
			async handler(ctx: Context<ClientWalletsParams, HttpMeta>): Promise<ReopenClientWalletsAnswer> {
				if (UUID_RE.test(ctx.params.clientId)) {
					await this.db.transaction(async trx => this.recordClosed(trx, ctx, await q.reopenClientWallets(trx, ctx.meta.clubId, ctx.params.clientId), false));
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
						schema: reconciliationSchema,
					},
				},
			},
			async handler(ctx: Context<unknown, HttpMeta>): Promise<Reconciliation> {
				// One snapshot: balances and entries as of the same instant.
				const r = await this.db.transaction(async trx => {
					await q.readOnlySnapshot(trx);
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

	created() {
		this.batcher = new DebitBatcher(
			() => this.db,
			(trx, done) => this.recordChanges(trx, done.map(d => ({ ctx: d.ctx, entry: movementEntry(d.wallet, d.row) }))),
		);
	},

	events: {
		/** A wallet opened while its client was being deleted is closed too (when empty). */
		"clients.deleted": {
			async handler(ctx: Context<{ clubId?: string; clientId?: string }>) {
				const { clubId, clientId } = ctx.params ?? {};
				if (typeof clubId !== "string" || !UUID_RE.test(clubId) || typeof clientId !== "string" || !UUID_RE.test(clientId)) return;
				await this.db.transaction(async trx => {
					await closeOwner(trx, clubId, clientId);
					await this.recordClosed(trx, ctx, await q.closeEmptyClientWallets(trx, clubId, clientId), true, clubId);
				});
			},
		},
	},
});

export default WalletsService;
