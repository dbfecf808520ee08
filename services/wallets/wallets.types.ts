/** Wallets: entities (API.md shapes), action params and event payloads. */
import { ref } from "../../lib/openapi";
import type { TransactionRow, TransactionType, WalletRow } from "./wallets.queries";

export interface Wallet {
	id: string;
	clientId: string;
	currency: string;
	balance: number;
	createdAt: string;
	updatedAt: string;
}

export interface Transaction {
	id: string;
	walletId: string;
	type: TransactionType;
	amount: number;
	balanceAfter: number;
	reference: string | null;
	refundOf: string | null;
	createdAt: string;
}

export interface ClientWallet extends Wallet {
	recentTransactions: Transaction[];
}

/** How a caller names the wallet: REST uses the path `id`; bus callers may use `walletId`, or `clientId` + `currency`. */
export interface WalletAddress {
	id?: string;
	walletId?: string;
	clientId?: string;
	currency?: string;
}

export interface MoveParams extends WalletAddress {
	amount: number;
	reference?: string;
	idempotencyKey?: string;
}

export interface RefundParams extends WalletAddress {
	transactionId: string;
	amount?: number;
	reference?: string;
	idempotencyKey?: string;
}

export interface BalanceParams {
	clientId: string;
	currency: string;
}

export interface BalanceAnswer {
	walletId: string | null;
	balance: number;
	currency: string;
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

/** `wallets.transacted`, emitted after commit. */
export interface TransactedEvent {
	clubId: string;
	walletId: string;
	clientId: string;
	transaction: Transaction;
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
