/** The wallets' action params (fastest-validator rules) and the OpenAPI shapes their routes answer. */
import { pageOf } from "../../lib/openapi";

const MAX_AMOUNT = 1_000_000_000;

export const id = { type: "string", min: 1, max: 64 } as const;
export const amount = { type: "number", integer: true, min: 1, max: MAX_AMOUNT, description: "Minor units, 1..1 000 000 000" } as const;
export const reference = { type: "string", trim: true, min: 1, max: 255, optional: true, description: "Free text, e.g. a booking id" } as const;
export const idempotencyKey = { type: "string", min: 1, max: 255, optional: true, description: "Bus callers: the idempotency key (REST: the Idempotency-Key header)" } as const;
/** Bus callers may name the wallet instead of giving its id (the REST route always has the id in the path). */
export const busAddress = {
	walletId: { ...id, optional: true, description: "Bus only: the wallet's id (same as the path id)" },
	clientId: { ...id, optional: true, description: "Bus only: with currency, names the client's wallet instead of its id" },
	currency: { type: "string", trim: true, length: 3, optional: true, description: "Bus only: with clientId (ISO 4217)" },
} as const;

export const walletsPage = pageOf("Transaction");
export const clientWalletsPage = pageOf("ClientWallet");

/** GET /wallets/reconciliation's answer. */
export const reconciliationSchema = {
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
} as const;
