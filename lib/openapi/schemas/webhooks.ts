/** Named schemas of webhook endpoints and deliveries (API.md). */
import { defineSchema, entity, ref } from "../registry";
import { AT, IDS, id, nullableTime, time } from "./blocks";

/** The event types an endpoint may subscribe to (API.md "Webhooks"): the one list, which the webhooks service takes too. */
export const WEBHOOK_EVENTS = [
	"clients.created",
	"clients.updated",
	"clients.deleted",
	"clients.merged",
	"groups.created",
	"groups.updated",
	"groups.deleted",
	"wallets.transacted",
	"bookings.confirmed",
	"bookings.cancelled",
	"imports.finished",
] as const;
const endpointExample = { id: IDS.webhook, url: "https://hooks.example.com/clubhouse", events: ["clients.created", "wallets.transacted"], description: "Accounting sync", status: "active", createdAt: AT, updatedAt: AT };
defineSchema(
	"WebhookEndpoint",
	entity({
		id,
		url: { type: "string", format: "uri" },
		events: { type: "array", items: { type: "string", enum: [...WEBHOOK_EVENTS, "*"] }, description: "Event types delivered; [\"*\"]: all" },
		description: { type: ["string", "null"] },
		status: { type: "string", enum: ["active", "paused"] },
		createdAt: time,
		updatedAt: time,
	}),
	endpointExample,
);
defineSchema(
	"WebhookEndpointCreated",
	{ allOf: [ref("WebhookEndpoint"), { type: "object", required: ["secret"], properties: { secret: { type: "string", description: "whsec_ + base64 of 32 random bytes; shown only in this answer. Verify deliveries with it (Standard Webhooks)." } } }] },
	{ ...endpointExample, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwQ1x2Y3z4A5b=" },
);
defineSchema(
	"WebhookSecretRotated",
	{
		allOf: [
			ref("WebhookEndpointCreated"),
			{ type: "object", required: ["previousSecretExpiresAt"], properties: { previousSecretExpiresAt: { ...time, description: "Until then the previous secret signs beside the new one" } } },
		],
	},
	{ ...endpointExample, secret: "whsec_Zq3n8Lk2Pw9Rt5Yv1Xc7Bm4Nj6Hg0Fd2Sa8Qe3We5Rt=", previousSecretExpiresAt: "2026-11-23T18:00:00.000Z" },
);
defineSchema(
	"Delivery",
	entity({
		id: { ...id, description: "Also the webhook-id header, the same on every attempt" },
		eventId: { type: "string", description: "The domain event delivered" },
		type: { type: "string", description: "The event type, or webhook.test" },
		status: { type: "string", enum: ["pending", "delivered", "failed"] },
		attempts: { type: "integer" },
		lastStatus: { type: ["integer", "null"], description: "HTTP status of the last attempt" },
		lastError: { type: ["string", "null"] },
		nextAttemptAt: nullableTime,
		createdAt: time,
	}),
	{ id: IDS.delivery, eventId: IDS.event, type: "clients.created", status: "delivered", attempts: 1, lastStatus: 200, lastError: null, nextAttemptAt: null, createdAt: AT },
);
