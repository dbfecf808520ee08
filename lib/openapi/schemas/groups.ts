/** Named schemas of groups, categories and product access. */
import { PAYMENT_METHODS } from "../../products";
import { defineSchema, entity } from "../registry";
import { AT, IDS, id, time } from "./blocks";

defineSchema(
	"Group",
	entity({
		id,
		name: { type: "string" },
		system: { type: "boolean", description: "The External group: cannot be renamed or deleted" },
		isDefault: { type: "boolean", description: "New clients without a groupId land here" },
		clientCount: { type: "integer" },
		maxFutureBookings: { type: ["integer", "null"], minimum: 0, description: "Confirmed future bookings a client may hold; null: no limit" },
		paymentMethods: { type: "array", items: { type: "string", enum: PAYMENT_METHODS } },
		vatRate: { type: ["integer", "null"], description: "Basis points (2100 = 21 %); null: none" },
		createdAt: time,
		updatedAt: time,
	}),
	{ id: IDS.group, name: "Juniors", system: false, isDefault: false, clientCount: 12, maxFutureBookings: 4, paymentMethods: ["card", "wallet"], vatRate: 2100, createdAt: AT, updatedAt: AT },
);
defineSchema(
	"Category",
	entity({
		id,
		name: { type: "string" },
		description: { type: ["string", "null"] },
		discountPercent: { type: "number", minimum: 0, maximum: 100, description: "0..100, at most 2 decimals" },
		clientCount: { type: "integer" },
		createdAt: time,
		updatedAt: time,
	}),
	{ id: IDS.category, name: "Students", description: "Under 26 with a student card", discountPercent: 20, clientCount: 8, createdAt: AT, updatedAt: AT },
);
defineSchema(
	"ProductAccess",
	entity({
		productId: { type: "string", description: "The booking system's id" },
		kind: { type: "string", enum: ["product", "activity"], description: "product: only these groups see and book it; activity: everyone sees it, only these groups book it" },
		groupIds: { type: "array", items: id },
		createdAt: time,
		updatedAt: time,
	}),
	{ productId: "court-1", kind: "product", groupIds: [IDS.group], createdAt: AT, updatedAt: AT },
);
