/** Wallets: entities (API.md shapes) from rows; the public types are in wallets.contract.ts. */
import { ref } from "../../lib/openapi";
import type { Transaction, Wallet } from "./wallets.contract";
import type { TransactionRow, WalletRow } from "./wallets.queries";

export type { BalanceAnswer, BalanceParams, MoveParams, RefundParams, TransactedEvent, Transaction, Wallet, WalletAddress } from "./wallets.contract";

export interface ClientWallet extends Wallet {
	recentTransactions: Transaction[];
}

export interface ReconciliationMismatch {
	walletId: string;
	clientId: string;
	currency: string;
	balance: number;
	ledgerBalance: number;
	lastBalanceAfter: number | null;
	entries: number;
	brokenEntries: number;
}

export interface Reconciliation {
	ok: boolean;
	checkedWallets: number;
	checkedEntries: number;
	mismatches: ReconciliationMismatch[];
	checkedAt: string;
}

export const toWallet = (r: WalletRow): Wallet => ({
	id: r.id,
	clientId: r.client_id,
	currency: r.currency,
	balance: r.balance,
	createdAt: r.created_at.toISOString(),
	updatedAt: r.updated_at.toISOString(),
});

export const toTransaction = (r: TransactionRow): Transaction => ({
	id: r.id,
	walletId: r.wallet_id,
	type: r.type,
	amount: r.amount,
	balanceAfter: r.balance_after,
	reference: r.reference,
	refundOf: r.refund_of,
	createdAt: new Date(r.created_at).toISOString(),
});

export const walletEntity = ref("Wallet");

export const transactionEntity = ref("Transaction");
