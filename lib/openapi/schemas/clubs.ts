/** Named schemas of clubs and API keys. */
import { defineSchema, entity, ref } from "../registry";
import { AT, IDS, country, currency, id, role, time } from "./blocks";

export const clubExample = { id: IDS.club, name: "My Padel Club", country: "ES", currency: "EUR", timezone: "Europe/Madrid", createdAt: AT, updatedAt: AT };
defineSchema(
	"Club",
	entity({ id, name: { type: "string" }, country, currency, timezone: { type: "string", description: "IANA time zone" }, createdAt: time, updatedAt: time }),
	clubExample,
);

const keyExample = { id: IDS.apiKey, name: "Booking system", role: "staff", prefix: "chk_3kT9qLm2", createdAt: AT };
defineSchema(
	"ApiKey",
	entity({ id, name: { type: "string" }, role, prefix: { type: "string", description: "The key's first characters, to recognise it" }, createdAt: time }, "An API key, without its secret."),
	keyExample,
);
const { prefix: _prefix, ...createdKeyExample } = keyExample;
defineSchema(
	"ApiKeyCreated",
	entity({ id, name: { type: "string" }, role, key: { type: "string", description: "The secret: shown once, stored only as a hash" }, createdAt: time }, "A new API key with its secret."),
	{ ...createdKeyExample, key: "chk_3kT9qLm2vX8pR4sW7yZ1aB5cD6eF0gH" },
);
defineSchema(
	"ClubCreated",
	entity({
		club: ref("Club"),
		apiKey: entity({ id, name: { type: "string" }, role: { type: "string", const: "admin" }, key: { type: "string", description: "The secret: shown once, stored only as a hash" } }, "The club's first admin key."),
	}),
	{ club: clubExample, apiKey: { id: IDS.apiKey, name: "admin", role: "admin", key: "chk_9fJ2kL4mN6pQ8rS0tU2vW4xY6zA8bC0" } },
);
