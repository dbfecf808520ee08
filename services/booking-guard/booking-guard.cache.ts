/**
 * The guard's in-memory cache of other services' facts, keyed `club|kind|id`.
 *
 * Never stale by construction, not by luck:
 *  - the owners' events invalidate entries (see the service's `events`), on every
 *    booking-guard node: the service has NodeEventsMixin (mixins/node-events.mixin.ts), so
 *    each node listens in its own event group, `booking-guard@<nodeID>`;
 *  - a load that was already running when its key (or its kind, or everything) was
 *    invalidated still answers its own caller but is NOT stored, so an answer fetched
 *    before a change can never outlive the change's event;
 *  - an invalidated key drops its in-flight load too: later readers fetch again;
 *  - every entry also expires after `ttlMs`, which bounds the damage of a lost event.
 * Concurrent misses of one key share one load (no stampede when an entry expires).
 */
export interface CacheStats {
	hits: number;
	misses: number;
}

interface Entry {
	value: unknown;
	expires: number;
}

const MAX_ENTRIES = 200_000;
const MAX_MARKS = 50_000;

export class FactCache {
	private tick = 0;
	/** Loads started before this tick may not store (set when the marks are pruned). */
	private floor = 0;
	private readonly entries = new Map<string, Entry>();
	/** key or prefix -> tick of its last invalidation */
	private readonly marks = new Map<string, number>();
	private readonly inflight = new Map<string, Promise<unknown>>();
	readonly stats: CacheStats = { hits: 0, misses: 0 };

	constructor(private readonly ttlMs: number) {}

	static key(clubId: string, kind: string, id = ""): string {
		return `${clubId}|${kind}|${id}`;
	}

	private prefixes(key: string): string[] {
		const [club, kind] = key.split("|", 2);
		return [`${club}|`, `${club}|${kind}|`];
	}

	private canStore(key: string, started: number): boolean {
		if (started < this.floor) return false;
		if ((this.marks.get(key) ?? 0) > started) return false;
		for (const p of this.prefixes(key)) if ((this.marks.get(p) ?? 0) > started) return false;
		return true;
	}

	private store(key: string, value: unknown, started: number, ttlMs = this.ttlMs): void {
		if (!this.canStore(key, started)) return;
		if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
		this.entries.set(key, { value, expires: Date.now() + ttlMs });
	}

	private hit(key: string): Entry | undefined {
		const e = this.entries.get(key);
		if (e && e.expires > Date.now()) {
			this.stats.hits++;
			return e;
		}
		if (e) this.entries.delete(key);
		this.stats.misses++;
		return undefined;
	}

	/** The cached value, or one load shared by every concurrent caller of this key. */
	get<T>(key: string, load: () => Promise<T>, ttlMs?: number): Promise<T> {
		const e = this.hit(key);
		if (e) return Promise.resolve(e.value as T);
		const running = this.inflight.get(key);
		if (running) return running as Promise<T>;
		return this.startLoad(key, load, ttlMs);
	}

	/** Loads now, bypassing the cache (decisions that write), and stores the fresh value. */
	fresh<T>(key: string, load: () => Promise<T>, ttlMs?: number): Promise<T> {
		return this.startLoad(key, load, ttlMs);
	}

	private startLoad<T>(key: string, load: () => Promise<T>, ttlMs?: number): Promise<T> {
		const started = this.tick;
		const p: Promise<T> = load().then(
			value => {
				if (this.inflight.get(key) === p) this.inflight.delete(key);
				this.store(key, value, started, ttlMs);
				return value;
			},
			err => {
				if (this.inflight.get(key) === p) this.inflight.delete(key);
				throw err;
			},
		);
		this.inflight.set(key, p);
		return p;
	}

	/**
	 * Many keys at once: hits from the cache, in-flight loads joined, and ONE `loadMany`
	 * call for the rest. `loadMany` must answer every key it is given.
	 */
	async getMany<T>(keys: string[], loadMany: (missing: string[]) => Promise<Map<string, T>>): Promise<Map<string, T>> {
		const out = new Map<string, T>();
		const waiting: Array<Promise<void>> = [];
		const missing: string[] = [];
		for (const key of keys) {
			const e = this.hit(key);
			if (e) out.set(key, e.value as T);
			else {
				const running = this.inflight.get(key);
				if (running) waiting.push((running as Promise<T>).then(v => void out.set(key, v)));
				else missing.push(key);
			}
		}
		if (missing.length) {
			const started = this.tick;
			const batch = loadMany(missing);
			const mine = new Map<string, Promise<T>>();
			for (const key of missing) {
				const one = batch.then(m => m.get(key) as T);
				one.catch(() => undefined);
				mine.set(key, one);
				this.inflight.set(key, one);
			}
			try {
				const loaded = await batch;
				for (const key of missing) {
					const value = loaded.get(key) as T;
					out.set(key, value);
					this.store(key, value, started);
				}
			} finally {
				for (const [key, one] of mine) if (this.inflight.get(key) === one) this.inflight.delete(key);
			}
		}
		await Promise.all(waiting);
		return out;
	}

	/** Forgets one key; a load of it already running will not be stored. */
	invalidate(key: string): void {
		this.mark(key);
		this.entries.delete(key);
		this.inflight.delete(key);
	}

	/** Forgets every key of a club's kind (`club|kind|`), or of a club (`club|`). */
	invalidatePrefix(prefix: string): void {
		this.mark(prefix);
		for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
		for (const key of this.inflight.keys()) if (key.startsWith(prefix)) this.inflight.delete(key);
	}

	clear(): void {
		this.floor = ++this.tick;
		this.entries.clear();
		this.inflight.clear();
		this.marks.clear();
	}

	private mark(key: string): void {
		this.tick++;
		if (this.marks.size >= MAX_MARKS) {
			// Forgetting old marks is only safe if loads started before now cannot store.
			this.marks.clear();
			this.floor = this.tick;
		}
		this.marks.set(key, this.tick);
	}
}
