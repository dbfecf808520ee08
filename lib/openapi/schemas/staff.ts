/** Named schemas of staff members and sessions (API.md). */
import { defineSchema, entity, ref } from "../registry";
import { AT, AT2, IDS, id, nullableTime, role, time } from "./blocks";
import { clubExample } from "./clubs";

const actor = entity({ type: { type: "string", enum: ["staff", "key", "platform", "service"] }, id: { type: "string" }, name: { type: "string" } }, "Who did it.");
defineSchema("Actor", actor, { type: "key", id: IDS.apiKey, name: "Booking system" });
defineSchema(
	"StaffMember",
	entity({ id, name: { type: "string" }, email: { type: "string", format: "email" }, role, status: { type: "string", enum: ["invited", "active", "disabled"] }, lastSignInAt: nullableTime, createdAt: time, updatedAt: time }),
	{ id: IDS.staff, name: "Marta López", email: "marta@mypadelclub.example", role: "staff", status: "active", lastSignInAt: AT2, createdAt: AT, updatedAt: AT2 },
);
defineSchema("Invitation", entity({ token: { type: "string", description: "Shown once; valid 7 days" }, expiresAt: time }), { token: "inv_Yc8r2LkQ0pW5tZ3nB7vX1mJ4", expiresAt: "2026-11-29T18:00:00.000Z" });
defineSchema(
	"StaffInvited",
	{ allOf: [ref("StaffMember"), { type: "object", required: ["invitation"], properties: { invitation: ref("Invitation") } }] },
	{ id: IDS.staff, name: "Marta López", email: "marta@mypadelclub.example", role: "staff", status: "invited", lastSignInAt: null, createdAt: AT, updatedAt: AT, invitation: { token: "inv_Yc8r2LkQ0pW5tZ3nB7vX1mJ4", expiresAt: "2026-11-29T18:00:00.000Z" } },
);
defineSchema(
	"Session",
	entity({ club: ref("Club"), role, actor: ref("Actor"), expiresAt: { ...nullableTime, description: "null for an API key sent as Bearer" } }),
	{ club: clubExample, role: "staff", actor: { type: "staff", id: IDS.staff, name: "Marta López" }, expiresAt: "2026-11-23T06:00:00.000Z" },
);
