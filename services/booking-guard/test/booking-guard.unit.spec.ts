/**
 * The guard's pure parts: the fact cache's freshness guarantees, prices, and series
 * occurrences in the club's time zone.
 */
import assert from "node:assert/strict";
import { FactCache } from "../booking-guard.cache";
import { computePrice, countAfter, localDate, occurrences } from "../booking-guard.rules";

function deferred<T>() {
	let resolve!: (v: T) => void;
	const promise = new Promise<T>(r => (resolve = r));
	return { promise, resolve };
}

describe("Booking guard: fact cache", () => {
	const K = FactCache.key("club-a", "group", "g1");

	it("when a key is invalidated while its load is running, then that load answers its caller but is not stored", async () => {
		const cache = new FactCache(60_000);
		const slow = deferred<string>();
		const first = cache.get(K, () => slow.promise);
		cache.invalidate(K); // the owner's event arrives while the old value is on its way
		slow.resolve("old policy");
		assert.equal(await first, "old policy");
		let loads = 0;
		assert.equal(await cache.get(K, async () => (++loads, "new policy")), "new policy");
		assert.equal(loads, 1);
	});

	it("when a whole kind of a club is invalidated, then running loads of that kind are not stored and other clubs keep theirs", async () => {
		const cache = new FactCache(60_000);
		const other = FactCache.key("club-b", "group", "g1");
		await cache.get(other, async () => "b");
		const slow = deferred<string>();
		const running = cache.get(K, () => slow.promise);
		cache.invalidatePrefix(FactCache.key("club-a", "group"));
		slow.resolve("stale");
		await running;
		assert.equal(await cache.get(K, async () => "fresh"), "fresh");
		assert.equal(await cache.get(other, async () => "reloaded"), "b");
	});

	it("when many callers miss one key at once, then one load serves them all", async () => {
		const cache = new FactCache(60_000);
		let loads = 0;
		const gate = deferred<number>();
		const all = Promise.all(Array.from({ length: 50 }, () => cache.get(K, () => (loads++, gate.promise))));
		gate.resolve(7);
		assert.deepEqual(new Set(await all), new Set([7]));
		assert.equal(loads, 1);
	});

	it("when an entry is older than the TTL, then it is loaded again", async () => {
		const cache = new FactCache(20);
		await cache.get(K, async () => 1);
		await new Promise(r => setTimeout(r, 30));
		assert.equal(await cache.get(K, async () => 2), 2);
	});

	it("when many keys are asked, then the misses are loaded in ONE call and cached", async () => {
		const cache = new FactCache(60_000);
		const keys = ["p1", "p2", "p3"].map(p => FactCache.key("club-a", "product", p));
		await cache.get(keys[0], async () => "cached");
		const batches: string[][] = [];
		const load = async (missing: string[]) => (batches.push(missing), new Map(missing.map(k => [k, `loaded ${k.slice(-2)}`])));
		const got = await cache.getMany(keys, load);
		assert.deepEqual([...got.values()], ["cached", "loaded p2", "loaded p3"]);
		assert.deepEqual(batches, [keys.slice(1)]);
		await cache.getMany(keys, load);
		assert.equal(batches.length, 1);
	});

	it("when a load fails, then the error reaches the caller and nothing is cached", async () => {
		const cache = new FactCache(60_000);
		await assert.rejects(cache.get(K, async () => Promise.reject(Object.assign(new Error("down"), { name: "Down" }))), /down/);
		assert.equal(await cache.get(K, async () => "up"), "up");
	});
});

describe("Booking guard: rules", () => {
	it("when counting future bookings, then only starts strictly after now count", () => {
		assert.equal(countAfter([], 10), 0);
		assert.equal(countAfter([5, 10, 11, 20], 10), 2);
		assert.equal(countAfter([11, 12], 10), 2);
	});

	it("when a price is computed, then discount and VAT round half-up in exact integer arithmetic", () => {
		const cats = new Map([["c", { id: "c", discountPercent: 33.33 }]]);
		const held = [{ categoryId: "c", validFrom: null, validUntil: null }];
		const huge = computePrice(9_007_199_254_740_991, "EUR", 2100, held, cats, "2030-01-01");
		assert.equal(huge.discount + huge.final, 9_007_199_254_740_991);
		assert.equal(huge.discount, 3_002_099_511_605_172); // 9007199254740991 × 33.33 / 100 = 3002099511605172.3003 (a float would be off)
		const zero = computePrice(0, "EUR", 2100, held, cats, "2030-01-01");
		assert.deepEqual([zero.discount, zero.final, zero.vatAmount], [0, 0, 0]);
		const none = computePrice(1000, "EUR", null, held, new Map(), "2030-01-01");
		assert.deepEqual([none.categoryId, none.discount, none.vatRate, none.vatAmount], [null, 0, null, 0]);
	});

	it("when validity dates bound a category, then both ends are inclusive", () => {
		const cats = new Map([["c", { id: "c", discountPercent: 50 }]]);
		const held = [{ categoryId: "c", validFrom: "2030-01-10", validUntil: "2030-01-20" }];
		assert.equal(computePrice(100, "EUR", null, held, cats, "2030-01-09").discount, 0);
		assert.equal(computePrice(100, "EUR", null, held, cats, "2030-01-10").discount, 50);
		assert.equal(computePrice(100, "EUR", null, held, cats, "2030-01-20").discount, 50);
		assert.equal(computePrice(100, "EUR", null, held, cats, "2030-01-21").discount, 0);
	});

	it("when a start is late in the evening UTC, then its date is the club's local date", () => {
		assert.equal(localDate(Date.parse("2030-12-31T23:30:00Z"), "Europe/Madrid"), "2031-01-01");
		assert.equal(localDate(Date.parse("2030-12-31T23:30:00Z"), "UTC"), "2030-12-31");
		assert.equal(localDate(Date.parse("2031-01-01T03:00:00Z"), "America/New_York"), "2030-12-31");
	});

	it("when a daily series crosses the spring DST change, then it keeps 19:00 local", () => {
		// Madrid moves to CEST on 2030-03-31.
		const got = occurrences(Date.parse("2030-03-30T18:00:00Z"), Date.parse("2030-03-30T19:00:00Z"), { frequency: "daily", count: 3 }, "Europe/Madrid");
		assert.deepEqual(got.map(o => new Date(o.startsAt).toISOString()), ["2030-03-30T18:00:00.000Z", "2030-03-31T17:00:00.000Z", "2030-04-01T17:00:00.000Z"]);
		assert.ok(got.every(o => o.endsAt - o.startsAt === 3_600_000));
	});

	it("when both count and until are given, then the series stops at whichever comes first", () => {
		const start = Date.parse("2030-01-01T10:00:00Z");
		assert.equal(occurrences(start, start + 1, { frequency: "daily", count: 10, until: "2030-01-03" }, "UTC").length, 3);
		assert.equal(occurrences(start, start + 1, { frequency: "daily", count: 2, until: "2030-01-03" }, "UTC").length, 2);
		assert.equal(occurrences(start, start + 1, { frequency: "weekly", until: "2030-01-15T10:00:00Z" }, "UTC").length, 3);
	});
});
