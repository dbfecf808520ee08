/**
 * The gateway's half of staff sessions (a mixin of the api service):
 *   - the `clubhouse_session` cookie authenticates a request like a key of the session's
 *     role (api.service.ts asks `sessionIdentity` only when there is no Authorization header:
 *     a Bearer key always wins);
 *   - CSRF: a cookie-authenticated write (POST, PUT, PATCH, DELETE) whose Origin header is
 *     present and is not this server's own origin is a 403 `CSRF`; so is a sign-in or
 *     sign-out posted from another site;
 *   - sessions resolve through `staff.resolveSession` (which also enforces the idle expiry),
 *     cached for KEY_CACHE_MS and dropped at once when staff ends them (`api.forgetSessions`,
 *     called on every gateway before the change is answered, and the `staff.sessionsEnded`
 *     broadcast).
 *
 * Behind a proxy the gateway sees the proxy's scheme and Host, so X-Forwarded-Proto and
 * X-Forwarded-Host (their first value) are believed, with no setting to turn on:
 *   - the cookie is Secure when the request came over TLS or X-Forwarded-Proto says https.
 *     A client that lies gets a cookie its own plain-http requests will not carry: it can
 *     only hurt itself;
 *   - "this server's origin" is scheme://Host as received, or as the proxy forwarded it. CSRF
 *     is a browser attack, and a cross-site page cannot add X-Forwarded-* to a request that
 *     carries the victim's cookie (custom headers need a CORS preflight, which the gateway
 *     never grants), so believing them cannot let a foreign Origin through.
 */
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Context } from "moleculer";
import { ForbiddenError, UnauthorizedError } from "../../lib/errors";
import { readEnv } from "../../moleculer.config";
import { sha256Hex } from "../../lib/hash";
import { SESSION_COOKIE } from "../../lib/session-cookie";
import { defineMixin } from "../../lib/service";
import type { ResolveSessionAnswer, ResolveSessionParams, SessionIdentity } from "../staff/staff.contract";
import type { GatewayThis, Req } from "./gateway.types";
import { cachedLookup, forgetLookup, type IdentityCache } from "./identity-cache";

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** The session cookie's value: null when there is none, "" when it is not one we could have set. */
function sessionToken(req: IncomingMessage): string | null {
	const header = req.headers.cookie;
	if (!header) return null;
	let found: string | null = null;
	for (const part of header.split(";")) {
		const eq = part.indexOf("=");
		if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
		const value = part.slice(eq + 1).trim();
		if (value === "") continue; // a cleared cookie
		found = TOKEN_RE.test(value) ? value : "";
	}
	return found;
}

function firstForwarded(req: IncomingMessage, name: string): string | undefined {
	const v = req.headers[name];
	const s = Array.isArray(v) ? v[0] : v;
	return s?.split(",")[0]?.trim() || undefined;
}

function isHttps(req: IncomingMessage): boolean {
	return !!(req.socket as TLSSocket).encrypted || firstForwarded(req, "x-forwarded-proto")?.toLowerCase() === "https";
}

/** The origins this request may come from: scheme://Host as received, and as a proxy forwarded it. */
function ownOrigins(req: IncomingMessage): string[] {
	const host = req.headers.host ?? "";
	const direct = `${(req.socket as TLSSocket).encrypted ? "https" : "http"}://${host}`;
	const forwarded = `${isHttps(req) ? "https" : "http"}://${firstForwarded(req, "x-forwarded-host") ?? host}`;
	return [direct.toLowerCase(), forwarded.toLowerCase()];
}

/** 403 CSRF for a write whose Origin is present and not ours. */
function checkOrigin(req: IncomingMessage): void {
	if (!WRITES.has(req.method ?? "")) return;
	const origin = req.headers.origin;
	if (origin === undefined) return;
	if (!ownOrigins(req).includes(origin.trim().toLowerCase())) {
		throw new ForbiddenError("Cross-site request refused: the Origin is not this server", "CSRF");
	}
}

/** What SessionAuthMixin gives the gateway's `this`. */
export interface SessionAuthMembers {
	sessionRequest(ctx: Context<any, any>, req: Req): void;
	sessionIdentity(ctx: Context<any, any>, req: Req): Promise<SessionIdentity | null>;
	resolveSession(ctx: Context, hash: string): Promise<SessionIdentity | null>;
	sessionLookupCache(): IdentityCache<SessionIdentity | null>;
	forgetSessionHashes(hashes: string[]): void;
}

export interface SessionAuthState {
	sessionCache: Map<string, { identity: SessionIdentity | null; expires: number }>;
	sessionLookups: Map<string, Promise<SessionIdentity | null>>;
	sessionCacheMs: number;
}

export const SessionAuthMixin = defineMixin<GatewayThis>({
	actions: {
		/** Internal: drop ended sessions from this gateway's cache now (staff calls every gateway). */
		forgetSessions: {
			tenant: false,
			visibility: "public",
			params: { tokenHashes: { type: "array", items: { type: "string", length: 64 }, max: 100_000 } },
			handler(ctx: Context<{ tokenHashes: string[] }>) {
				this.forgetSessionHashes(ctx.params.tokenHashes);
				return true;
			},
		},
	},

	events: {
		/** Ended sessions are refused at once on every gateway node. */
		"staff.sessionsEnded": {
			params: { tokenHashes: { type: "array", items: "string" } },
			handler(ctx: Context<{ tokenHashes: string[] }>) {
				this.forgetSessionHashes(ctx.params.tokenHashes);
			},
		},
	},

	methods: {
		/** For the sign-in and sign-out routes: the scheme, the cookie's hash, and the CSRF rule. */
		sessionRequest(ctx: Context<any, any>, req: Req) {
			if (!req.$action?.session) return;
			checkOrigin(req);
			ctx.meta.https = isHttps(req);
			const token = sessionToken(req);
			if (token) ctx.meta.sessionHash = sha256Hex(token);
		},

		/**
		 * The identity of the request's session cookie (null when it has none). A cookie
		 * that is unknown, signed out or idle too long is a 401; a cross-site write a 403.
		 */
		async sessionIdentity(ctx: Context<any, any>, req: Req): Promise<SessionIdentity | null> {
			const token = sessionToken(req);
			if (token === null) return null;
			const identity = token ? await this.resolveSession(ctx, sha256Hex(token)) : null;
			if (!identity) throw new UnauthorizedError("The session has ended: sign in again", "SESSION_EXPIRED");
			checkOrigin(req);
			return identity;
		},

		/** Token hash -> identity, cached like keys (identity-cache.ts: one lookup per session at a time). */
		async resolveSession(ctx: Context, hash: string): Promise<SessionIdentity | null> {
			return cachedLookup(this.sessionLookupCache(), hash, () => ctx.call<ResolveSessionAnswer, ResolveSessionParams>("staff.resolveSession", { tokenHash: hash }));
		},

		sessionLookupCache(): IdentityCache<SessionIdentity | null> {
			return { entries: this.sessionCache, lookups: this.sessionLookups, ttlMs: this.sessionCacheMs };
		},

		forgetSessionHashes(hashes: string[]) {
			const cache = this.sessionLookupCache();
			for (const h of hashes) forgetLookup(cache, h);
		},
	},

	created() {
		this.sessionCache = new Map();
		this.sessionLookups = new Map();
		this.sessionCacheMs = readEnv().keyCacheMs;
	},
});
