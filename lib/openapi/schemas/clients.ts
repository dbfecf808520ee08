/** Named schemas of clients, tags and verified profiles. */
import { defineSchema, entity, ref } from "../registry";
import { AT, IDS, country, date, gender, id, time } from "./blocks";

export const clientExample = {
	id: IDS.client,
	fullName: "Ana García",
	email: "ana.garcia@example.com",
	phone: "+34612345678",
	gender: "female",
	country: "ES",
	birthDate: "1990-04-12",
	notes: null,
	groupId: IDS.group,
	tags: ["junior", "morning"],
	categories: [{ categoryId: IDS.category, validFrom: "2026-09-01", validUntil: null }],
	verified: false,
	source: "staff",
	createdAt: AT,
	updatedAt: AT,
};
defineSchema(
	"ClientCategory",
	entity({ categoryId: id, validFrom: { ...date, description: "First day it applies; null: always" }, validUntil: { ...date, description: "Last day it applies; null: no end" } }),
	clientExample.categories[0],
);
defineSchema(
	"Client",
	entity({
		id,
		fullName: { type: "string" },
		email: { type: "string", format: "email", description: "Lower-cased; unique in the club" },
		phone: { type: "string", description: "E.164" },
		gender,
		country,
		birthDate: date,
		notes: { type: ["string", "null"] },
		groupId: id,
		tags: { type: "array", items: { type: "string" }, description: "Trimmed, lower-cased, deduplicated" },
		categories: { type: "array", items: ref("ClientCategory") },
		verified: { type: "boolean", description: "Linked to a verified profile: identity fields are read-only" },
		source: { type: "string", enum: ["staff", "import", "online"] },
		createdAt: time,
		updatedAt: time,
	}),
	clientExample,
);
/** The request body of POST /clients (generated from the action's params; this is its example). */
export const CLIENT_INPUT_EXAMPLE = { fullName: "Ana García", email: "ana.garcia@example.com", phone: "+34 612 34 56 78", gender: "female", country: "ES", birthDate: "1990-04-12", tags: ["junior"] };

const DUPLICATE_REASONS = ["SAME_PHONE", "SAME_NAME_AND_BIRTH_DATE", "SIMILAR_NAME"];
defineSchema(
	"PossibleDuplicate",
	entity({ clientId: id, reasons: { type: "array", items: { type: "string", enum: DUPLICATE_REASONS } } }),
	{ clientId: IDS.client2, reasons: ["SAME_PHONE"] },
);
defineSchema(
	"ClientCreated",
	{
		allOf: [
			ref("Client"),
			{
				type: "object",
				required: ["possibleDuplicates"],
				properties: {
					possibleDuplicates: {
						type: "array",
						items: ref("PossibleDuplicate"),
						description: "Likely duplicates among the club's clients, best first (empty when none); the client is created all the same.",
					},
				},
			},
		],
	},
	{ ...clientExample, possibleDuplicates: [{ clientId: IDS.client2, reasons: ["SAME_PHONE"] }] },
);

defineSchema("TagCount", entity({ tag: { type: "string" }, clientCount: { type: "integer" } }), { tag: "junior", clientCount: 42 });

defineSchema(
	"VerifiedProfile",
	entity({
		email: { type: "string", format: "email" },
		fullName: { type: "string" },
		phone: { type: "string", description: "E.164" },
		gender,
		country,
		birthDate: date,
		createdAt: time,
		updatedAt: time,
		linkedClients: { type: "integer", description: "Clients (in any club) updated to follow this profile" },
	}),
	{ email: "ana.garcia@example.com", fullName: "Ana García", phone: "+34612345678", gender: "female", country: "ES", birthDate: "1990-04-12", createdAt: AT, updatedAt: AT, linkedClients: 1 },
);
