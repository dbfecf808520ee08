/**
 * The webhooks service's contract (types only). No service calls webhooks: it consumes every
 * service's outbox (channel `outbox.entries`, group "webhooks") and delivers the entries that
 * carry one of these event types. These are its entities as the REST API shows them (API.md);
 * other services import this file (`import type`), never webhooks' other files.
 */

/** The event types an endpoint may subscribe to (API.md "Webhooks"); lib/openapi/schemas/webhooks.ts WEBHOOK_EVENTS lists them. */
export type WebhookEventType =
	| "clients.created"
	| "clients.updated"
	| "clients.deleted"
	| "clients.merged"
	| "groups.created"
	| "groups.updated"
	| "groups.deleted"
	| "wallets.transacted"
	| "bookings.confirmed"
	| "bookings.cancelled"
	| "imports.finished";

export type EndpointStatus = "active" | "paused";
export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface WebhookEndpoint {
	id: string;
	url: string;
	events: string[];
	description: string | null;
	status: EndpointStatus;
	createdAt: string;
	updatedAt: string;
}

export interface Delivery {
	id: string;
	eventId: string;
	type: string;
	status: DeliveryStatus;
	attempts: number;
	lastStatus: number | null;
	lastError: string | null;
	nextAttemptAt: string | null;
	createdAt: string;
}
