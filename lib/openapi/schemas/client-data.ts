/** Named schemas of a merge and of a client's data export (API.md). */
import { defineSchema, entity, ref } from "../registry";
import { AT2, currency, minor, time } from "./blocks";
import { clientExample } from "./clients";
import { bookingExample } from "./bookings";
import { transactionExample, walletExample } from "./wallets";

const count = (description: string) => ({ type: "integer", minimum: 0, description });
defineSchema(
	"ClientMergeResult",
	entity({
		target: ref("Client"),
		moved: entity({
			bookings: count("The source's bookings, every status, now the target's"),
			tags: count("Tags of the source the target did not have"),
			categories: count("Categories of the source the target did not have (one both hold keeps the widest validity)"),
			wallets: count("Wallets of the source in currencies the target had none in: they change owner, ledger and all"),
			transferred: {
				type: "array",
				description: "Balances carried into the target's wallet of the same currency (transfer_out / transfer_in, reference merge:<sourceId>); those source wallets are closed",
				items: entity({ currency, amount: minor("The amount carried over") }),
			},
		}),
		dryRun: { type: "boolean", description: "true: nothing changed, this is what would move" },
		warnings: {
			type: "array",
			description: "FUTURE_BOOKING_LIMIT_EXCEEDED: the target now holds more future bookings than its group's maxFutureBookings (the limit is not enforced retroactively)",
			items: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" }, data: { type: "object" } } },
		},
	}),
	{ target: clientExample, moved: { bookings: 3, tags: 1, categories: 0, wallets: 0, transferred: [{ currency: "EUR", amount: 1200 }] }, dryRun: false, warnings: [] },
);
defineSchema(
	"ClientDataExport",
	entity(
		{
			client: ref("Client"),
			categories: {
				type: "array",
				items: {
					allOf: [
						ref("ClientCategory"),
						{ type: "object", required: ["name", "description", "discountPercent"], properties: { name: { type: ["string", "null"] }, description: { type: ["string", "null"] }, discountPercent: { type: ["number", "null"] } } },
					],
				},
			},
			bookings: { type: "array", items: ref("Booking"), description: "Every booking, every status" },
			wallets: {
				type: "array",
				items: { allOf: [ref("Wallet"), { type: "object", required: ["transactions"], properties: { transactions: { type: "array", items: ref("Transaction"), description: "The whole ledger, oldest first" } } }] },
			},
			history: { type: "array", items: ref("AuditEntry"), description: "The client's audit history, oldest first" },
			exportedAt: time,
		},
		"Everything kept about one person (GET /clients/{id}/export).",
	),
	{
		client: clientExample,
		categories: [{ ...clientExample.categories[0], name: "Students", description: "Under 26 with a student card", discountPercent: 20 }],
		bookings: [bookingExample],
		wallets: [{ ...walletExample, transactions: [transactionExample] }],
		history: [],
		exportedAt: AT2,
	},
);
