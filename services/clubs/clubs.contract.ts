/**
 * The clubs service's contract (types only): the actions other services call and the events it
 * sends, as CONTRIBUTING.md's inter-service table lists them. Other services import this file
 * (`import type`), never the service's other files. Actions take the club from ctx.meta.clubId
 * unless they say otherwise.
 */

export type Role = "admin" | "staff" | "viewer";

/** `clubs.get` (no params): the caller's club, as GET /club answers it. */
export interface Club {
	id: string;
	name: string;
	country: string;
	currency: string;
	timezone: string;
	createdAt: string;
	updatedAt: string;
}

/** `clubs.countAdminKeys` (staff, LAST_ADMIN): no params; the club's active admin keys, committed. */
export type CountAdminKeysAnswer = number;

/** `clubs.resolveKey` (tenant-free, the gateway and staff's key sign-in): a key by its SHA-256. */
export interface ResolveKeyParams {
	keyHash: string;
}

/** The key's identity; null when unknown or revoked. */
export type ResolveKeyAnswer = { keyId: string; clubId: string; role: Role; name: string } | null;

/** `clubs.rateLimitHit` (the gateway): no params; counts a request of ctx.meta.keyId in this minute. */
export interface RateLimitHitAnswer {
	count: number;
	/** ISO time the minute's count starts again. */
	resetAt: string;
}

/** Event `clubs.created`. */
export interface ClubCreatedEvent {
	club: Club;
}

/**
 * Event `clubs.apiKeyRevoked` (broadcast, after every gateway was called with `api.forgetKey`):
 * the key answers 401 everywhere; staff ends the sessions opened with it.
 */
export interface ApiKeyRevokedEvent {
	keyHash: string;
	keyId: string;
	clubId: string;
}
