/**
 * The wallets service's contract (types only): the actions other services call and the event it
 * emits, as CONTRIBUTING.md's inter-service table lists them. Other services import this file
 * (`import type`), never the service's other files. Every action takes the club from ctx.meta.clubId.
 */

export type TransactionType = "top_up" | "debit" | "refund" | "transfer_out" | "transfer_in";

/** The API.md Wallet. */
export interface Wallet {
	id: string;
	clientId: string;
	currency: string;
	balance: number;
	createdAt: string;
	updatedAt: string;
}

/** The API.md Transaction (a ledger entry; never changes). */
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

/** How a caller names the wallet: REST uses the path `id`; bus callers may use `walletId`, or `clientId` + `currency`. */
export interface WalletAddress {
	id?: string;
	walletId?: string;
	clientId?: string;
	currency?: string;
}

/** `wallets.debit` (and `wallets.topUp`): answers the Transaction; bus callers pass `idempotencyKey`. */
export interface MoveParams extends WalletAddress {
	amount: number;
	reference?: string;
	idempotencyKey?: string;
}

/** `wallets.refund`: answers the refund's Transaction; the wallet may be left out (the debit names it). */
export interface RefundParams extends WalletAddress {
	transactionId: string;
	amount?: number;
	reference?: string;
	idempotencyKey?: string;
}

/** `wallets.balance`: the client's balance in a currency (no wallet: walletId null, balance 0). */
export interface BalanceParams {
	clientId: string;
	currency: string;
}

export interface BalanceAnswer {
	walletId: string | null;
	balance: number;
	currency: string;
}

/** `wallets.closeClientWallets` (client deletion): closes them, or 409 WALLET_NOT_EMPTY; `wallets.reopenClientWallets` undoes it. */
export interface ClientWalletsParams {
	clientId: string;
}

export interface CloseClientWalletsAnswer {
	closed: true;
}

export interface ReopenClientWalletsAnswer {
	reopened: true;
}

/** `wallets.mergeClients` / `wallets.abortMerge` (client merge); `wallets.mergePlan` takes the two ids only. */
export interface MergeParams {
	mergeId: string;
	sourceId: string;
	targetId: string;
}

export interface MergeResult {
	/** Source wallets re-owned by the target (a currency the target had no wallet in). */
	wallets: number;
	/** Balances carried into the target's wallet of the same currency (amount > 0 only). */
	transferred: Array<{ currency: string; amount: number }>;
	movedWalletIds: string[];
	closedWalletIds: string[];
}

export type MergePlanAnswer = Pick<MergeResult, "wallets" | "transferred">;

export type MergeClientsAnswer = MergeResult & { replayed: boolean };

export interface AbortMergeAnswer {
	status: "applied" | "aborted";
	result: MergeResult | null;
}

/** `wallets.transacted`, emitted after commit. */
export interface TransactedEvent {
	clubId: string;
	walletId: string;
	clientId: string;
	transaction: Transaction;
}

export interface WalletsEvents {
	"wallets.transacted": TransactedEvent;
}
