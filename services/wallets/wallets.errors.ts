/** The wallets' business refusals, with stable types (callers branch on `err.type`). */
import { ConflictError, invalid } from "../../lib/errors";

export class InsufficientFundsError extends ConflictError {
	constructor(data: { walletId: string; balance: number; amount: number }) {
		super("INSUFFICIENT_FUNDS", "The wallet's balance is lower than the amount", data);
		this.name = "InsufficientFundsError";
	}
}

export class WalletExistsError extends ConflictError {
	constructor(data: { walletId: string; currency: string }) {
		super("WALLET_EXISTS", `The client already has a ${data.currency} wallet`, data);
		this.name = "WalletExistsError";
	}
}

export class RefundExceedsDebitError extends ConflictError {
	constructor(data: { transactionId: string; debitAmount: number; refunded: number; refundable: number; amount: number | null }) {
		super("REFUND_EXCEEDS_DEBIT", data.refundable === 0 ? "The debit is already fully refunded" : `At most ${data.refundable} of this debit can still be refunded`, data);
		this.name = "RefundExceedsDebitError";
	}
}

export class BalanceLimitError extends ConflictError {
	constructor(data: { walletId: string }) {
		super("BALANCE_LIMIT_EXCEEDED", "The wallet's balance would exceed the largest exact amount (2^53 - 1)", data);
		this.name = "BalanceLimitError";
	}
}

export class WalletClosedError extends ConflictError {
	constructor(data: { walletId: string }) {
		super("WALLET_CLOSED", "The wallet's client was deleted: no money can go into it", data);
		this.name = "WalletClosedError";
	}
}

/** Refunding a top-up or a refund: only debits are refundable (422, field transactionId). */
export const notRefundable = (type: string) =>
	invalid({ field: "transactionId", type: "notRefundable", message: `Only debits can be refunded; this transaction is a ${type}.` });

/** A bus caller addressed the wallet both ways, or neither. */
export const badAddress = (message: string) => invalid({ field: "walletId", type: "walletAddress", message });
