/** Named schemas of the booking guard and bookings. */
import { PAYMENT_METHODS } from "../../products";
import { defineSchema, entity, ref } from "../registry";
import { AT, IDS, currency, id, minor, nullableTime, time } from "./blocks";

defineSchema("BookingReason", entity({ code: { type: "string", enum: ["PRODUCT_NOT_VISIBLE", "GROUP_NOT_ALLOWED", "FUTURE_BOOKING_LIMIT", "PAYMENT_METHOD_NOT_ALLOWED", "STARTS_IN_PAST", "INSUFFICIENT_WALLET_BALANCE"] }, message: { type: "string" } }), {
	code: "FUTURE_BOOKING_LIMIT",
	message: "The client already has 4 future bookings (the group allows 4).",
});
defineSchema(
	"BookingPrice",
	entity(
		{
			base: minor("The price asked"),
			discountPercent: { type: "number" },
			categoryId: { type: ["string", "null"], description: "The category giving the discount" },
			discount: minor("The discount"),
			final: minor("base - discount (VAT included)"),
			vatRate: { type: ["integer", "null"], description: "Basis points" },
			vatAmount: minor("round(final * vatRate / (10000 + vatRate))"),
			currency,
		},
		"VAT-inclusive price after the client's best category discount.",
	),
	{ base: 2000, discountPercent: 20, categoryId: IDS.category, discount: 400, final: 1600, vatRate: 2100, vatAmount: 278, currency: "EUR" },
);
defineSchema(
	"BookingCheck",
	{
		type: "object",
		description: "The guard's answer: may this client book this product then, and at what price.",
		required: ["allowed", "visible", "reasons", "paymentMethods"],
		properties: {
			allowed: { type: "boolean" },
			visible: { type: "boolean", description: "The client may see the product" },
			reasons: { type: "array", items: ref("BookingReason"), description: "Why not (empty when allowed)" },
			paymentMethods: { type: "array", items: { type: "string", enum: PAYMENT_METHODS } },
			price: ref("BookingPrice"),
		},
	},
	{ allowed: true, visible: true, reasons: [], paymentMethods: ["card", "wallet"], price: { base: 2000, discountPercent: 20, categoryId: IDS.category, discount: 400, final: 1600, vatRate: 2100, vatAmount: 278, currency: "EUR" } },
);
export const bookingExample = {
	id: IDS.booking,
	clientId: IDS.client,
	productId: "court-1",
	startsAt: "2026-11-28T18:00:00.000Z",
	endsAt: "2026-11-28T19:30:00.000Z",
	status: "confirmed",
	seriesId: null,
	reference: "resa-4411",
	channel: "online",
	createdAt: AT,
	cancelledAt: null,
};
defineSchema(
	"Booking",
	entity({
		id,
		clientId: id,
		productId: { type: "string" },
		startsAt: time,
		endsAt: time,
		status: { type: "string", enum: ["confirmed", "cancelled"] },
		seriesId: { type: ["string", "null"], description: "Set on every occurrence of a series" },
		reference: { type: ["string", "null"], description: "The booking system's own reference" },
		channel: { type: "string", enum: ["online", "staff"] },
		createdAt: time,
		cancelledAt: nullableTime,
	}),
	bookingExample,
);
defineSchema("BookingList", entity({ bookings: { type: "array", items: ref("Booking") } }, "The bookings made or cancelled: one, or the occurrences of a series."), { bookings: [bookingExample] });
