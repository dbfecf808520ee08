/** What the staff service and the gateway share about sessions (no dependencies: the gateway imports it). */

export type Role = "admin" | "staff" | "viewer";

/** Who did it: ctx.meta.actor, set by the gateway on every authenticated request. */
export interface Actor {
	type: "staff" | "key" | "platform" | "service";
	id: string;
	name: string;
}

export const PLATFORM_ACTOR: Actor = { type: "platform", id: "platform", name: "platform" };

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

export const SESSION_COOKIE = "clubhouse_session";

export function sessionCookie(token: string, secure: boolean): string {
	return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/${secure ? "; Secure" : ""}`;
}

export function clearedSessionCookie(secure: boolean): string {
	return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? "; Secure" : ""}`;
}
