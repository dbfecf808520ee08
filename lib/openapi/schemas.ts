/**
 * The named schemas of the OpenAPI document (components/schemas), each with an example.
 * Actions point at them with `ref("Client")` / `pageOf("Client")` in their `openapi`
 * notes; the document builder derives every operation's examples from these, so a
 * schema's example is written once. A new entity: `defineSchema(name, schema, example)`
 * in its area's file (lib/openapi/schemas/<area>.ts, or the service's own module) and
 * `ref(name)` in the notes.
 *
 * The areas load in this order, which is the order of components/schemas in the document.
 */
import "./schemas/shared";
import "./schemas/clubs";
import "./schemas/clients";
import "./schemas/groups";
import "./schemas/bookings";
import "./schemas/wallets";
import "./schemas/imports";
import "./schemas/staff";
import "./schemas/audit";
import "./schemas/webhooks";
import "./schemas/client-data";

export { SCHEMAS, defineSchema, entity, pageOf, ref, type JsonSchema, type NamedSchema } from "./registry";
export { IDS } from "./schemas/blocks";
export { CLIENT_INPUT_EXAMPLE } from "./schemas/clients";
export { WEBHOOK_EVENTS } from "./schemas/webhooks";
