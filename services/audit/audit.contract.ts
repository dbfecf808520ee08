/**
 * The audit service's contract (types only). No service calls audit: it consumes every service's
 * outbox (channel `outbox.entries`, group "audit", messages as mixins/outbox.mixin.ts
 * `OutboxMessage`) and answers REST reads. These are the shapes of those reads (API.md), for
 * whoever needs them; other services import this file (`import type`), never audit's other files.
 */

export interface AuditEntry {
	id: string;
	at: string;
	actor: { type: string; id: string; name: string };
	action: string;
	target: { type: string; id: string };
	changes: Record<string, [unknown, unknown]> | null;
	requestId: string | null;
}

/** `audit.list` (GET /audit): the club's trail, newest first; the filters combine. */
export interface ListAuditParams {
	targetType?: string;
	targetId?: string;
	actorId?: string;
	action?: string;
	/** ISO 8601, inclusive. */
	from?: string;
	to?: string;
	limit?: number;
	cursor?: string;
}

/** `audit.clientHistory` (GET /clients/:id/history): one client's entries, newest first. */
export interface ClientHistoryParams {
	id: string;
	limit?: number;
	cursor?: string;
}

/** Both answer a page of entries. */
export interface AuditPage {
	items: AuditEntry[];
	nextCursor: string | null;
}
