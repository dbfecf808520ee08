/** Named schemas of wallets and their ledger. */
import { defineSchema, entity, ref } from "../registry";
import { AT, AT2, IDS, currency, id, minor, time } from "./blocks";

export const walletExample = { id: IDS.wallet, clientId: IDS.client, currency: "EUR", balance: 5000, createdAt: AT, updatedAt: AT2 };
export const transactionExample = { id: IDS.transaction, walletId: IDS.wallet, type: "top_up", amount: 5000, balanceAfter: 5000, reference: "front-desk", refundOf: null, createdAt: AT2 };
defineSchema("Wallet", entity({ id, clientId: id, currency, balance: minor("The balance"), createdAt: time, updatedAt: time }), walletExample);
defineSchema(
	"Transaction",
	entity(
		{
			id,
			walletId: id,
			type: { type: "string", enum: ["top_up", "debit", "refund", "transfer_in", "transfer_out"] },
			amount: { type: "integer", minimum: 1, description: "Always positive, in minor units (5000 = 50.00); at most 1 000 000 000, except a transfer_out / transfer_in (a merge carrying a whole balance over)" },
			balanceAfter: minor("The balance right after this entry"),
			reference: { type: ["string", "null"] },
			refundOf: { type: ["string", "null"], description: "The debit a refund gives back" },
			createdAt: time,
		},
		"One immutable ledger entry.",
	),
	transactionExample,
);
defineSchema(
	"ClientWallet",
	{ allOf: [ref("Wallet"), { type: "object", required: ["recentTransactions"], properties: { recentTransactions: { type: "array", items: ref("Transaction"), description: "Newest 10" } } }] },
	{ ...walletExample, recentTransactions: [transactionExample] },
);
