/**
 * The gateway's authentication of /api/v1 (a mixin of the api service): the Bearer key (or the
 * session cookie, session-auth.ts) becomes the request's identity; the action's role is enforced,
 * the Idempotency-Key header read, the tenant put in ctx.meta.clubId from the key only, and each
 * request counted against the club's rate limit. Keys resolve through `clubs.resolveKey`, cached
 * for KEY_CACHE_MS and dropped at once when clubs revokes one (`api.forgetKey`, then the
 * `clubs.apiKeyRevoked` broadcast).
 */
import type { IncomingMessage } from "node:http";
import type { Context } from "moleculer";
import { defineMixin } from "../../lib/service";
import { BadRequestError, ForbiddenError, TooManyRequestsError, UnauthorizedError } from "../../lib/errors";
import { sameDigest, sha256Hex } from "../../lib/hash";
import { readEnv } from "../../moleculer.config";
import type { Actor } from "../staff/staff.contract";
import type { RateLimitHitAnswer, ResolveKeyAnswer, ResolveKeyParams } from "../clubs/clubs.contract";
import { checkRequestShape } from "./request-shape";
import { cachedLookup, forgetLookup, type IdentityCache } from "./identity-cache";
import type { GatewayThis, KeyIdentity, Req } from "./gateway.types";

const ROLE_RANK: Record<string, number> = { viewer: 1, staff: 2, admin: 3 };
const PLATFORM_ACTOR: Actor = { type: "platform", id: "platform", name: "platform" };

/** What KeyAuthMixin gives the gateway's `this`. */
export interface KeyAuthMembers {
	/** moleculer-web's hook for routes with `authorization: true`. */
	authorize(ctx: Context<any, any>, route: unknown, req: Req): Promise<void>;
	authenticate(ctx: Context<any, any>, route: unknown, req: Req): Promise<void>;
	/** Key hash -> identity, cached for KEY_CACHE_MS (identity-cache.ts); revocations also arrive as events. */
	resolveKey(ctx: Context, hash: string): Promise<KeyIdentity | null>;
	keyLookupCache(): IdentityCache<KeyIdentity | null>;
	forgetKeyHash(hash: string): void;
}

export interface KeyAuthState {
	keyCache: Map<string, { identity: KeyIdentity | null; expires: number }>;
	keyLookups: Map<string, Promise<KeyIdentity | null>>;
	keyCacheMs: number;
	/** Requests per key and minute; 0: no limit. */
	rateLimit: number;
	/** SHA-256 of PLATFORM_API_KEY; null when it is not set. */
	platformKeyHash: string | null;
}

/** The Bearer token: null without an Authorization header, "" when the header is not a Bearer one. */
function bearer(req: IncomingMessage): string | null {
	const h = req.headers.authorization;
	if (!h) return null;
	const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(h);
	return m ? m[1] : "";
}

export const KeyAuthMixin = defineMixin<GatewayThis>({
	methods: {
		/** Auth for /api/v1: resolves the key, enforces the action's role, sets the tenant; then the request's shape. */
		async authorize(ctx: Context<any, any>, route: unknown, req: Req) {
			await this.authenticate(ctx, route, req);
			checkRequestShape(req);
		},

		/** Resolves the key, enforces the action's role, sets the tenant. */
		async authenticate(ctx: Context<any, any>, _route: unknown, req: Req) {
			const action = req.$action ?? {};
			const required: string = action.auth ?? "admin";
			const idemHeader = req.headers["idempotency-key"];
			if (idemHeader !== undefined) {
				const key = Array.isArray(idemHeader) ? idemHeader[0] : idemHeader;
				if (key.length < 1 || key.length > 255) {
					throw new BadRequestError("Idempotency-Key must be 1 to 255 characters", "IDEMPOTENCY_KEY_INVALID");
				}
				ctx.meta.idempotencyKey = key;
			}
			this.sessionRequest(ctx, req);
			if (required === "public") return;
			const token = bearer(req);
			// No Authorization header: the session cookie, if any (session-auth.ts). A key always wins.
			const session: KeyIdentity | null = token === null ? await this.sessionIdentity(ctx, req) : null;
			if (!token && !session) throw new UnauthorizedError(token === "" ? "Use 'Authorization: Bearer <api key>'" : undefined);
			const hash = token ? sha256Hex(token) : "";
			if (token && this.platformKeyHash && sameDigest(hash, this.platformKeyHash)) {
				if (required !== "platform") throw new ForbiddenError("The platform key may only create clubs and register verified profiles");
				ctx.meta.platform = true;
				ctx.meta.actor = PLATFORM_ACTOR;
				req.$keyId = "platform";
				return;
			}
			const identity: KeyIdentity | null = session ?? (await this.resolveKey(ctx, hash));
			if (!identity) throw new UnauthorizedError("Unknown or revoked API key");
			req.$keyId = identity.keyId;
			if (required === "platform") throw new ForbiddenError("This route needs the platform key");
			const rank = ROLE_RANK[identity.role] ?? 0;
			if (rank < (ROLE_RANK[required] ?? 3) || (identity.role === "viewer" && req.method !== "GET")) {
				throw new ForbiddenError(`Role '${identity.role}' may not do this`);
			}
			if (action.idempotency === "required" && !ctx.meta.idempotencyKey) {
				throw new BadRequestError("This request moves money: send an Idempotency-Key header", "IDEMPOTENCY_KEY_REQUIRED");
			}
			ctx.meta.clubId = identity.clubId;
			ctx.meta.keyId = identity.keyId;
			ctx.meta.role = identity.role;
			ctx.meta.actor = identity.actor ?? { type: "key", id: identity.keyId, name: identity.name ?? "" };
			if (identity.sessionId) ctx.meta.sessionId = identity.sessionId;
			if (this.rateLimit > 0) {
				const { count, resetAt } = await ctx.call<RateLimitHitAnswer, Record<string, never>>("clubs.rateLimitHit", {});
				if (count > this.rateLimit) {
					const retryAfter = Math.max(1, Math.ceil((Date.parse(resetAt) - Date.now()) / 1000));
					throw new TooManyRequestsError(retryAfter);
				}
			}
		},

		/** Key hash -> identity, cached briefly (one lookup per key at a time); revocations also arrive as events. */
		async resolveKey(ctx: Context, hash: string): Promise<KeyIdentity | null> {
			return cachedLookup(this.keyLookupCache(), hash, () => ctx.call<ResolveKeyAnswer, ResolveKeyParams>("clubs.resolveKey", { keyHash: hash }));
		},

		keyLookupCache(): IdentityCache<KeyIdentity | null> {
			return { entries: this.keyCache, lookups: this.keyLookups, ttlMs: this.keyCacheMs };
		},

		forgetKeyHash(hash: string) {
			forgetLookup(this.keyLookupCache(), hash);
		},
	},

	created() {
		const env = readEnv();
		this.keyCache = new Map();
		this.keyLookups = new Map();
		this.keyCacheMs = env.keyCacheMs;
		this.rateLimit = this.settings.rateLimitPerMinute ?? env.rateLimitPerMinute;
		this.platformKeyHash = env.platformApiKey ? sha256Hex(env.platformApiKey) : null;
		if (!this.platformKeyHash) this.logger.warn("PLATFORM_API_KEY is not set: clubs cannot be created through this gateway.");
	},
});
