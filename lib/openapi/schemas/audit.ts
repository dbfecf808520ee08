/** Named schema of the audit trail (API.md). */
import { defineSchema, entity } from "../registry";
import { AT2, IDS, id, time } from "./blocks";

defineSchema(
	"AuditEntry",
	entity({
		id,
		at: time,
		actor: entity({ type: { type: "string", enum: ["staff", "key", "platform", "service"] }, id: { type: "string" }, name: { type: ["string", "null"] } }, "Who did it (name null once erased)."),
		action: { type: "string", description: "`<service>.<verb>`, e.g. `clients.update`" },
		target: entity({ type: { type: "string", description: "e.g. client, group, category, product, wallet, booking, series, import, club, apiKey, staff, webhook" }, id: { type: "string" } }),
		changes: {
			type: ["object", "null"],
			additionalProperties: { type: "array", minItems: 2, maxItems: 2, items: {} },
			description: "Updates: `{ field: [before, after] }`; null when the change has no field values (a delete)",
		},
		requestId: { type: ["string", "null"] },
	}),
	{ id: IDS.audit, at: AT2, actor: { type: "staff", id: IDS.staff, name: "Marta López" }, action: "clients.update", target: { type: "client", id: IDS.client }, changes: { phone: ["+34612345678", "+34699887766"] }, requestId: "a1b2c3d4" },
);
