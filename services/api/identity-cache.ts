/**
 * The gateway's short cache of credential lookups (keys: key-auth.ts, sessions: session-auth.ts).
 * One lookup per credential at a time: when an entry expires under load, the requests in flight
 * wait for the same answer instead of each asking again. A credential forgotten while its lookup
 * is in flight (revoked, ended) gets that answer for the requests already waiting, and nothing kept.
 */

/** Entries kept at most; past that the cache starts again empty. */
const MAX_ENTRIES = 10_000;

export interface IdentityCache<T> {
	entries: Map<string, { identity: T; expires: number }>;
	lookups: Map<string, Promise<T>>;
	ttlMs: number;
}

export function cachedLookup<T>(cache: IdentityCache<T>, hash: string, lookUp: () => Promise<T>): Promise<T> {
	const now = Date.now();
	const hit = cache.entries.get(hash);
	if (hit && hit.expires > now) return Promise.resolve(hit.identity);
	const pending = cache.lookups.get(hash);
	if (pending) return pending;
	const lookup: Promise<T> = lookUp()
		.then(identity => {
			if (cache.lookups.get(hash) === lookup) {
				if (cache.entries.size > MAX_ENTRIES) cache.entries.clear();
				cache.entries.set(hash, { identity, expires: now + cache.ttlMs });
			}
			return identity;
		})
		.finally(() => {
			if (cache.lookups.get(hash) === lookup) cache.lookups.delete(hash);
		});
	cache.lookups.set(hash, lookup);
	return lookup;
}

export function forgetLookup(cache: IdentityCache<unknown>, hash: string): void {
	cache.entries.delete(hash);
	cache.lookups.delete(hash);
}
