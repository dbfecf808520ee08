/**
 * The staff service's contract (types only): the actions other services call and the events it
 * sends, as CONTRIBUTING.md's inter-service table lists them. Other services import this file
 * (`import type`), never the service's other files. The session cookie itself is lib/session-cookie.ts.
 */

export type Role = "admin" | "staff" | "viewer";

/** Who did it: ctx.meta.actor, set by the gateway on every authenticated request. */
export interface Actor {
	type: "staff" | "key" | "platform" | "service";
	id: string;
	name: string;
}

/** `staff.resolveSession` (tenant-free, the gateway): the session behind a cookie's SHA-256, touching it. */
export interface ResolveSessionParams {
	tokenHash: string;
}

/** What the gateway learns from a session cookie: what a key gives, plus the session and the actor. */
export interface SessionIdentity {
	sessionId: string;
	clubId: string;
	role: Role;
	/** The key's id, or the member's id (rate limits and access logs count per person). */
	keyId: string;
	actor: Actor;
	expiresAt: string;
}

/** null: unknown, signed out, idle too long, or its member is no longer active. */
export type ResolveSessionAnswer = SessionIdentity | null;

/** `staff.countActiveAdmins` (clubs, LAST_ADMIN): no params; the club's active admin members, committed. */
export type CountActiveAdminsAnswer = number;

/** `staff.endKeySessions` (clubs, a revoked key): the sessions opened with that key end on every gateway. */
export interface EndKeySessionsParams {
	keyId: string;
}

export type EndKeySessionsAnswer = true;

/**
 * Event `staff.sessionsEnded` (broadcast to every gateway, after each was called with
 * `api.forgetSessions`): these sessions are refused at once.
 */
export interface SessionsEndedEvent {
	tokenHashes: string[];
}
