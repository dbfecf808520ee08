/**
 * The booking guard through the real gateway on real Postgres, with the real clients,
 * groups and wallets services: every reason code, pricing, reservations and series,
 * cancellation, history, visibility, tenancy, roles and the bus face.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";
import { recordEvents } from "../../../test/support/events";
import { fixtures, hourAfter, inHours, sleep } from "./helpers";

describe("Booking guard: check", function () {
	let c: Running;
	let club: TestClub;
	let f: ReturnType<typeof fixtures>;

	before(async () => {
		c = await app();
		club = await newClub(c.http);
		f = fixtures(c.http, club);
	});

	it("when nothing restricts the booking, then it is allowed, visible, and lists the group's payment methods", async () => {
		const client = await f.client();
		const res = await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(2) });
		assert.equal(res.status, 200, res.text);
		assert.equal(res.body.allowed, true);
		assert.equal(res.body.visible, true);
		assert.deepEqual(res.body.reasons, []);
		assert.equal(res.body.paymentMethods.length, 9);
		assert.equal(res.body.price, undefined);
	});

	it("when a product rule lists other groups, then PRODUCT_NOT_VISIBLE and not visible; the listed group books it", async () => {
		const vip = await f.group();
		const client = await f.client();
		const member = await f.client({ groupId: vip.id });
		await f.access("vip-court", "product", [vip.id]);
		const refused = await f.check({ clientId: client.id, productId: "vip-court", startsAt: inHours(2) });
		assert.equal(refused.body.allowed, false);
		assert.equal(refused.body.visible, false);
		assert.deepEqual(f.codes(refused.body), ["PRODUCT_NOT_VISIBLE"]);
		const allowed = await f.check({ clientId: member.id, productId: "vip-court", startsAt: inHours(2) });
		assert.equal(allowed.body.allowed, true);
		assert.equal(allowed.body.visible, true);
	});

	it("when an activity rule lists other groups, then GROUP_NOT_ALLOWED but still visible", async () => {
		const juniors = await f.group();
		const client = await f.client();
		await f.access("junior-class", "activity", [juniors.id]);
		const res = await f.check({ clientId: client.id, productId: "junior-class", startsAt: inHours(2), channel: "staff" });
		assert.equal(res.body.allowed, false);
		assert.equal(res.body.visible, true);
		assert.deepEqual(f.codes(res.body), ["GROUP_NOT_ALLOWED"]);
	});

	it("when the client holds as many future bookings as the group allows, then FUTURE_BOOKING_LIMIT online, not on the staff channel", async () => {
		const g = await f.group({ maxFutureBookings: 2 });
		const client = await f.client({ groupId: g.id });
		await f.book(client.id, inHours(3));
		assert.equal((await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(5) })).body.allowed, true);
		await f.book(client.id, inHours(4));
		const online = await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(5) });
		assert.deepEqual(f.codes(online.body), ["FUTURE_BOOKING_LIMIT"]);
		const staff = await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(5), channel: "staff" });
		assert.equal(staff.body.allowed, true);
	});

	it("when the payment method is not the group's, then PAYMENT_METHOD_NOT_ALLOWED online, not on the staff channel", async () => {
		const g = await f.group({ paymentMethods: ["card", "wallet"] });
		const client = await f.client({ groupId: g.id });
		const online = await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(2), paymentMethod: "paypal" });
		assert.deepEqual(f.codes(online.body), ["PAYMENT_METHOD_NOT_ALLOWED"]);
		assert.deepEqual([...online.body.paymentMethods].sort(), ["card", "wallet"]);
		const staff = await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(2), paymentMethod: "paypal", channel: "staff" });
		assert.equal(staff.body.allowed, true);
		assert.deepEqual([...staff.body.paymentMethods].sort(), ["card", "wallet"]);
		assert.equal((await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(2), paymentMethod: "card" })).body.allowed, true);
	});

	it("when the booking starts in the past, then STARTS_IN_PAST", async () => {
		const client = await f.client();
		const res = await f.check({ clientId: client.id, productId: "court-1", startsAt: new Date(Date.now() - 60_000).toISOString() });
		assert.deepEqual(f.codes(res.body), ["STARTS_IN_PAST"]);
	});

	it("when paying by wallet and the wallet holds less than the final price, then INSUFFICIENT_WALLET_BALANCE; the discounted price decides", async () => {
		const client = await f.client();
		await f.walletWith(client.id, "EUR", 1000);
		const short = await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(2), paymentMethod: "wallet", price: { amount: 1001, currency: "EUR" } });
		assert.deepEqual(f.codes(short.body), ["INSUFFICIENT_WALLET_BALANCE"]);
		const exact = await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(2), paymentMethod: "wallet", price: { amount: 1000, currency: "EUR" } });
		assert.equal(exact.body.allowed, true);
		const cat = await f.category(10);
		await f.giveCategory(client.id, cat.id);
		const discounted = await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(2), paymentMethod: "wallet", price: { amount: 1100, currency: "EUR" } });
		assert.equal(discounted.body.price.final, 990);
		assert.equal(discounted.body.allowed, true);
		const noWallet = await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(2), paymentMethod: "wallet", price: { amount: 1, currency: "CHF" } });
		assert.deepEqual(f.codes(noWallet.body), ["INSUFFICIENT_WALLET_BALANCE"]);
	});

	it("when several rules fail at once, then every reason is listed, not only the first", async () => {
		const g = await f.group({ maxFutureBookings: 0, paymentMethods: ["card"] });
		const other = await f.group();
		const client = await f.client({ groupId: g.id });
		await f.access("all-fail", "activity", [other.id]);
		const res = await f.check({
			clientId: client.id,
			productId: "all-fail",
			startsAt: new Date(Date.now() - 1000).toISOString(),
			paymentMethod: "wallet",
			price: { amount: 500, currency: "EUR" },
		});
		assert.deepEqual(f.codes(res.body).sort(), ["FUTURE_BOOKING_LIMIT", "GROUP_NOT_ALLOWED", "INSUFFICIENT_WALLET_BALANCE", "PAYMENT_METHOD_NOT_ALLOWED", "STARTS_IN_PAST"]);
		assert.equal(res.body.allowed, false);
		assert.equal(res.body.visible, true);
	});

	it("when a client holds several categories, then the best one valid at the start applies and expired or future ones are ignored", async () => {
		const client = await f.client();
		const ten = await f.category(10);
		const twentyFive = await f.category(25);
		const expired = await f.category(50);
		const later = await f.category(40);
		const today = new Date().toISOString().slice(0, 10);
		const past = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
		const future = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
		await f.giveCategory(client.id, ten.id);
		await f.giveCategory(client.id, twentyFive.id, { validFrom: past, validUntil: future });
		await f.giveCategory(client.id, expired.id, { validUntil: past });
		await f.giveCategory(client.id, later.id, { validFrom: future });
		const startsAt = inHours(48);
		const res = await f.check({ clientId: client.id, productId: "court-1", startsAt, price: { amount: 2000, currency: "eur" } });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.body.price, { base: 2000, discountPercent: 25, categoryId: twentyFive.id, discount: 500, final: 1500, vatRate: null, vatAmount: 0, currency: "EUR" });
		// 40 days ahead: the 25 % category has ended, the 40 % one has begun (validFrom inclusive).
		const much = await f.check({ clientId: client.id, productId: "court-1", startsAt: new Date(Date.parse(`${future}T12:00:00Z`) + 10 * 86_400_000).toISOString(), price: { amount: 2000, currency: "EUR" } });
		assert.equal(much.body.price.categoryId, later.id);
		assert.equal(much.body.price.final, 1200);
		assert.ok(today <= future);
	});

	it("when a discount and VAT fall on half a minor unit, then both round half-up (VAT-inclusive formula)", async () => {
		const g = await f.group({ vatRate: 2100 });
		const client = await f.client({ groupId: g.id });
		const cat = await f.category(12.5);
		await f.giveCategory(client.id, cat.id);
		// discount = 1999 × 12.5 % = 249.875 → 250; final 1749; VAT = 1749 × 2100 / 12100 = 303.54… → 304
		const a = await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(2), price: { amount: 1999, currency: "EUR" } });
		assert.deepEqual(a.body.price, { base: 1999, discountPercent: 12.5, categoryId: cat.id, discount: 250, final: 1749, vatRate: 2100, vatAmount: 304, currency: "EUR" });
		// discount = 4 × 12.5 % = 0.5 → 1 (half-up); final 3; VAT = 3 × 2100 / 12100 = 0.52 → 1
		const b = await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(2), price: { amount: 4, currency: "EUR" } });
		assert.equal(b.body.price.discount, 1);
		assert.equal(b.body.price.vatAmount, 1);
		// VAT exactly on .5: 100 % VAT halves the final price: 5 → 2.5 → 3
		const full = await f.group({ vatRate: 10000 });
		const c2 = await f.client({ groupId: full.id });
		const h = await f.check({ clientId: c2.id, productId: "court-1", startsAt: inHours(2), price: { amount: 5, currency: "EUR" } });
		assert.deepEqual(h.body.price, { base: 5, discountPercent: 0, categoryId: null, discount: 0, final: 5, vatRate: 10000, vatAmount: 3, currency: "EUR" });
	});

	it("when the group's limit is changed by PATCH /groups/:id, then the very next decision follows it", async () => {
		const g = await f.group();
		const client = await f.client({ groupId: g.id });
		await f.book(client.id, inHours(3));
		const body = { clientId: client.id, productId: "court-1", startsAt: inHours(5) };
		for (let i = 0; i < 5; i++) {
			await f.patchGroup(g.id, { maxFutureBookings: 1 });
			assert.deepEqual(f.codes((await f.check(body)).body), ["FUTURE_BOOKING_LIMIT"], `round ${i}: the new limit`);
			await f.patchGroup(g.id, { maxFutureBookings: 2 });
			assert.deepEqual(f.codes((await f.check(body)).body), [], `round ${i}: the raised limit`);
		}
	});

	it("when a client moves group or a product rule changes, then the next decision follows at once", async () => {
		const a = await f.group({ paymentMethods: ["card"] });
		const b = await f.group({ paymentMethods: ["paypal"] });
		const client = await f.client({ groupId: a.id });
		const body = { clientId: client.id, productId: "moving", startsAt: inHours(2), paymentMethod: "card" };
		assert.equal((await f.check(body)).body.allowed, true);
		await f.moveClient(client.id, b.id);
		assert.deepEqual(f.codes((await f.check(body)).body), ["PAYMENT_METHOD_NOT_ALLOWED"]);
		await f.access("moving", "product", [a.id]);
		assert.deepEqual(f.codes((await f.check(body)).body).sort(), ["PAYMENT_METHOD_NOT_ALLOWED", "PRODUCT_NOT_VISIBLE"]);
		await f.access("moving", "product", [a.id, b.id]);
		assert.deepEqual(f.codes((await f.check(body)).body), ["PAYMENT_METHOD_NOT_ALLOWED"]);
	});

	it("when the input is malformed, then 422 naming the field", async () => {
		const client = await f.client();
		const base = { clientId: client.id, productId: "court-1", startsAt: inHours(2) };
		const cases: Array<[Record<string, unknown>, string]> = [
			[{ ...base, startsAt: "tomorrow" }, "startsAt"],
			[{ ...base, startsAt: "2026-11-22T18:00:00" }, "startsAt"],
			[{ ...base, endsAt: base.startsAt }, "endsAt"],
			[{ ...base, price: { amount: 10, currency: "XXY" } }, "price.currency"],
			[{ ...base, price: { amount: -1, currency: "EUR" } }, "price.amount"],
			[{ ...base, price: { amount: 1.5, currency: "EUR" } }, "price.amount"],
			[{ ...base, price: { amount: 1, currency: "EUR", tax: 1 } }, "price.tax"],
			[{ ...base, channel: "phone" }, "channel"],
			[{ ...base, paymentMethod: "cash" }, "paymentMethod"],
			[{ ...base, productId: "bad id!" }, "productId"],
			[{ ...base, clubId: club.club.id }, "clubId"],
		];
		for (const [body, field] of cases) {
			const res = await f.check(body);
			assert.equal(res.status, 422, `${field}: ${res.text}`);
			assert.ok(res.body.data.some((d: any) => d.field === field), `${field}: ${res.text}`);
		}
	});

	it("when the client is unknown, not a UUID or another club's, then 404", async () => {
		const other = await newClub(c.http);
		const foreign = await fixtures(c.http, other).client();
		for (const clientId of [crypto.randomUUID(), "not-a-uuid", foreign.id]) {
			const res = await f.check({ clientId, productId: "court-1", startsAt: inHours(2) });
			assert.equal(res.status, 404, res.text);
			const vis = await c.http.post("/booking-guard/visible-products", { clientId, productIds: ["a"] }, { key: club.staff });
			assert.equal(vis.status, 404, vis.text);
			assert.equal((await c.http.get(`/clients/${clientId}/bookings`, { key: club.viewer })).status, 404);
			assert.equal((await f.reserve({ clientId, productId: "court-1", startsAt: inHours(2), endsAt: inHours(3) })).status, 404);
		}
	});

	it("when a viewer asks for a check, then 403; a viewer may read the history", async () => {
		const client = await f.client();
		assert.equal((await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(2) }, club.viewer)).status, 403);
		assert.equal((await c.http.get(`/clients/${client.id}/bookings`, { key: club.viewer })).status, 200);
		assert.equal((await f.reserve({ clientId: client.id, productId: "court-1", startsAt: inHours(2), endsAt: inHours(3) }, { key: club.viewer })).status, 403);
	});
});

describe("Booking guard: visible products", function () {
	let c: Running;
	let club: TestClub;
	let f: ReturnType<typeof fixtures>;

	before(async () => {
		c = await app();
		club = await newClub(c.http);
		f = fixtures(c.http, club);
	});

	it("when products carry product and activity rules, then only product rules of other groups hide them, in the given order", async () => {
		const mine = await f.group();
		const theirs = await f.group();
		const client = await f.client({ groupId: mine.id });
		await f.access("p-mine", "product", [mine.id]);
		await f.access("p-theirs", "product", [theirs.id]);
		await f.access("a-theirs", "activity", [theirs.id]);
		const res = await c.http.post("/booking-guard/visible-products", { clientId: client.id, productIds: ["open", "p-theirs", "a-theirs", "p-mine", "open"] }, { key: club.staff });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.body.productIds, ["open", "a-theirs", "p-mine"]);
		await c.http.del("/products/p-theirs/access", { key: club.admin });
		const after = await c.http.post("/booking-guard/visible-products", { clientId: client.id, productIds: ["p-theirs"] }, { key: club.staff });
		assert.deepEqual(after.body.productIds, ["p-theirs"]);
	});

	it("when 1000 products are asked, then they are answered; 1001 → 422", async () => {
		const client = await f.client();
		const ids = Array.from({ length: 1000 }, (_, i) => `bulk-${i}`);
		const res = await c.http.post("/booking-guard/visible-products", { clientId: client.id, productIds: ids }, { key: club.staff });
		assert.equal(res.status, 200, res.text);
		assert.equal(res.body.productIds.length, 1000);
		const tooMany = await c.http.post("/booking-guard/visible-products", { clientId: client.id, productIds: [...ids, "x"] }, { key: club.staff });
		assert.equal(tooMany.status, 422);
	});
});

describe("Booking guard: reserve, series, cancel, history", function () {
	this.timeout(60_000);
	let c: Running;
	let club: TestClub;
	let f: ReturnType<typeof fixtures>;

	before(async () => {
		c = await app();
		club = await newClub(c.http);
		f = fixtures(c.http, club);
	});

	it("when a booking is reserved, then 201 with the booking and it counts toward the limit", async () => {
		const g = await f.group({ maxFutureBookings: 1 });
		const client = await f.client({ groupId: g.id });
		const startsAt = inHours(24);
		const res = await f.reserve({ clientId: client.id, productId: "court-1", startsAt, endsAt: hourAfter(startsAt), reference: "ext-1" });
		assert.equal(res.status, 201, res.text);
		const [b] = res.body.bookings;
		assert.equal(b.clientId, client.id);
		assert.equal(b.startsAt, startsAt);
		assert.equal(b.status, "confirmed");
		assert.equal(b.seriesId, null);
		assert.equal(b.reference, "ext-1");
		assert.equal(b.channel, "online");
		const refused = await f.reserve({ clientId: client.id, productId: "court-1", startsAt: inHours(30), endsAt: inHours(31) });
		assert.equal(refused.status, 409);
		assert.equal(refused.body.type, "BOOKING_REJECTED");
		assert.deepEqual(refused.body.data.reasons.map((r: any) => r.code), ["FUTURE_BOOKING_LIMIT"]);
		assert.equal(refused.body.data.occurrences, undefined);
		assert.equal((await f.reserve({ clientId: client.id, productId: "court-1", startsAt: inHours(30), endsAt: inHours(31), channel: "staff" })).status, 201);
	});

	it("when 30 reserves of one client run in parallel at limit 3, then exactly 3 are confirmed", async () => {
		const g = await f.group({ maxFutureBookings: 3 });
		const client = await f.client({ groupId: g.id });
		const results = await Promise.all(Array.from({ length: 30 }, (_, i) => f.reserve({ clientId: client.id, productId: "court-1", startsAt: inHours(10 + i), endsAt: inHours(11 + i) })));
		assert.equal(results.filter(r => r.status === 201).length, 3, results.map(r => r.status).join(","));
		assert.equal(results.filter(r => r.status === 409).length, 27);
		const hist = await c.http.get(`/clients/${client.id}/bookings?scope=future`, { key: club.viewer });
		assert.equal(hist.body.items.filter((b: any) => b.status === "confirmed").length, 3);
	});

	it("when a series would pass the limit, then it is refused whole, naming the failing occurrences", async () => {
		const g = await f.group({ maxFutureBookings: 3 });
		const client = await f.client({ groupId: g.id });
		const startsAt = inHours(24);
		const res = await f.reserve({ clientId: client.id, productId: "court-1", startsAt, endsAt: hourAfter(startsAt), recurrence: { frequency: "weekly", count: 5 } });
		assert.equal(res.status, 409, res.text);
		assert.equal(res.body.type, "BOOKING_REJECTED");
		assert.deepEqual(res.body.data.reasons.map((r: any) => r.code), ["FUTURE_BOOKING_LIMIT"]);
		assert.deepEqual(res.body.data.occurrences.map((o: any) => o.index), [3, 4]);
		assert.equal(res.body.data.occurrences[0].reasons[0].code, "FUTURE_BOOKING_LIMIT");
		const hist = await c.http.get(`/clients/${client.id}/bookings`, { key: club.viewer });
		assert.deepEqual(hist.body.items, []);
		const three = await f.reserve({ clientId: client.id, productId: "court-1", startsAt, endsAt: hourAfter(startsAt), recurrence: { frequency: "weekly", count: 3 } });
		assert.equal(three.status, 201, three.text);
		assert.equal(three.body.bookings.length, 3);
	});

	it("when a weekly series crosses a DST change, then it keeps the club's wall-clock time and the duration", async () => {
		const client = await f.client();
		// Tuesdays 19:00 in Madrid: CEST (UTC+2) on 2030-10-22, CET (UTC+1) from 2030-10-29.
		const res = await f.reserve({ clientId: client.id, productId: "court-1", startsAt: "2030-10-22T17:00:00.000Z", endsAt: "2030-10-22T18:30:00.000Z", recurrence: { frequency: "weekly", until: "2030-11-05" } });
		assert.equal(res.status, 201, res.text);
		assert.deepEqual(res.body.bookings.map((b: any) => [b.startsAt, b.endsAt]), [
			["2030-10-22T17:00:00.000Z", "2030-10-22T18:30:00.000Z"],
			["2030-10-29T18:00:00.000Z", "2030-10-29T19:30:00.000Z"],
			["2030-11-05T18:00:00.000Z", "2030-11-05T19:30:00.000Z"],
		]);
		const seriesIds = new Set(res.body.bookings.map((b: any) => b.seriesId));
		assert.equal(seriesIds.size, 1);
		assert.ok(!seriesIds.has(null));
		const daily = await f.reserve({ clientId: client.id, productId: "court-1", startsAt: "2030-01-01T10:00:00.000Z", endsAt: "2030-01-01T11:00:00.000Z", recurrence: { frequency: "daily", interval: 2, count: 4 } });
		assert.deepEqual(daily.body.bookings.map((b: any) => b.startsAt.slice(0, 10)), ["2030-01-01", "2030-01-03", "2030-01-05", "2030-01-07"]);
	});

	it("when a recurrence has no end, or more than 366 occurrences, then 422 and nothing is booked", async () => {
		const client = await f.client();
		const base = { clientId: client.id, productId: "court-1", startsAt: inHours(24), endsAt: inHours(25) };
		const cases: Array<[Record<string, unknown>, string]> = [
			[{ frequency: "weekly" }, "recurrence"],
			[{ frequency: "daily", count: 367 }, "recurrence.count"],
			[{ frequency: "daily", until: "2099-01-01" }, "recurrence"],
			[{ frequency: "daily", count: 2, until: "someday" }, "recurrence.until"],
			[{ frequency: "monthly", count: 2 }, "recurrence.frequency"],
			[{ frequency: "daily", count: 0 }, "recurrence.count"],
		];
		for (const [recurrence, field] of cases) {
			const res = await f.reserve({ ...base, recurrence });
			assert.equal(res.status, 422, `${JSON.stringify(recurrence)}: ${res.text}`);
			assert.ok(res.body.data.some((d: any) => d.field === field), res.text);
		}
		const max = await f.reserve({ ...base, recurrence: { frequency: "daily", count: 366 } });
		assert.equal(max.status, 201, max.text);
		assert.equal(max.body.bookings.length, 366);
		const noEnd = await f.reserve({ clientId: client.id, productId: "court-1", startsAt: inHours(24), endsAt: inHours(24) });
		assert.equal(noEnd.status, 422);
	});

	it("when a series includes a product the group may not book, then every occurrence is refused for it", async () => {
		const other = await f.group();
		const client = await f.client();
		await f.access("members-only", "activity", [other.id]);
		const res = await f.reserve({ clientId: client.id, productId: "members-only", startsAt: inHours(24), endsAt: inHours(25), recurrence: { frequency: "daily", count: 2 }, channel: "staff" });
		assert.equal(res.status, 409);
		assert.deepEqual(res.body.data.reasons.map((r: any) => r.code), ["GROUP_NOT_ALLOWED"]);
		assert.equal(res.body.data.occurrences.length, 2);
	});

	it("when a booking's start has passed, then the client may book again", async function () {
		this.timeout(20_000);
		const g = await f.group({ maxFutureBookings: 1 });
		const client = await f.client({ groupId: g.id });
		const soon = new Date(Date.now() + 1500).toISOString();
		await f.book(client.id, soon);
		const body = { clientId: client.id, productId: "court-1", startsAt: inHours(5) };
		assert.deepEqual(f.codes((await f.check(body)).body), ["FUTURE_BOOKING_LIMIT"]);
		assert.equal((await f.reserve({ ...body, endsAt: inHours(6) })).status, 409);
		await sleep(Date.parse(soon) - Date.now() + 50);
		assert.equal((await f.check(body)).body.allowed, true);
		assert.equal((await f.reserve({ ...body, endsAt: inHours(6) })).status, 201);
		const past = await c.http.get(`/clients/${client.id}/bookings?scope=past`, { key: club.viewer });
		assert.deepEqual(past.body.items.map((b: any) => b.startsAt), [soon]);
		const future = await c.http.get(`/clients/${client.id}/bookings?scope=future`, { key: club.viewer });
		assert.deepEqual(future.body.items.map((b: any) => b.startsAt), [body.startsAt]);
	});

	it("when a booking is cancelled, then it frees its place; cancelling again answers it again", async () => {
		const g = await f.group({ maxFutureBookings: 1 });
		const client = await f.client({ groupId: g.id });
		const made = await f.book(client.id, inHours(24));
		const id = made.bookings[0].id;
		assert.equal((await f.reserve({ clientId: client.id, productId: "court-1", startsAt: inHours(30), endsAt: inHours(31) })).status, 409);
		const cancelled = await c.http.post(`/bookings/${id}/cancel`, undefined, { key: club.staff });
		assert.equal(cancelled.status, 200, cancelled.text);
		assert.equal(cancelled.body.status, "cancelled");
		assert.ok(cancelled.body.cancelledAt);
		const again = await c.http.post(`/bookings/${id}/cancel`, undefined, { key: club.staff });
		assert.equal(again.status, 200);
		assert.deepEqual(again.body, cancelled.body);
		assert.equal((await f.check({ clientId: client.id, productId: "court-1", startsAt: inHours(30) })).body.allowed, true);
		assert.equal((await f.reserve({ clientId: client.id, productId: "court-1", startsAt: inHours(30), endsAt: inHours(31) })).status, 201);
		const all = await c.http.get(`/clients/${client.id}/bookings?scope=all`, { key: club.viewer });
		assert.deepEqual(all.body.items.map((b: any) => b.status), ["confirmed", "cancelled"]);
	});

	it("when a series is cancelled, then its future occurrences are cancelled and answered", async () => {
		const client = await f.client();
		const made = await f.book(client.id, inHours(24), { recurrence: { frequency: "daily", count: 3 } });
		const seriesId = made.bookings[0].seriesId;
		await c.http.post(`/bookings/${made.bookings[0].id}/cancel`, undefined, { key: club.staff });
		const res = await c.http.post(`/bookings/series/${seriesId}/cancel`, undefined, { key: club.staff });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.body.bookings.map((b: any) => b.id), made.bookings.slice(1).map((b: any) => b.id));
		assert.ok(res.body.bookings.every((b: any) => b.status === "cancelled"));
		const again = await c.http.post(`/bookings/series/${seriesId}/cancel`, undefined, { key: club.staff });
		assert.deepEqual(again.body.bookings, []);
	});

	it("when another club's or an unknown booking or series is cancelled, then 404", async () => {
		const other = await newClub(c.http);
		const fo = fixtures(c.http, other);
		const foreign = await fo.book((await fo.client()).id, inHours(24), { recurrence: { frequency: "daily", count: 2 } });
		for (const id of [foreign.bookings[0].id, crypto.randomUUID(), "nope"]) {
			assert.equal((await c.http.post(`/bookings/${id}/cancel`, undefined, { key: club.staff })).status, 404);
		}
		for (const id of [foreign.bookings[0].seriesId, crypto.randomUUID(), "nope"]) {
			assert.equal((await c.http.post(`/bookings/series/${id}/cancel`, undefined, { key: club.staff })).status, 404);
		}
		const hist = await c.http.get(`/clients/${foreign.bookings[0].clientId}/bookings`, { key: club.viewer });
		assert.equal(hist.status, 404);
		const still = await c.http.get(`/clients/${foreign.bookings[0].clientId}/bookings`, { key: other.viewer });
		assert.ok(still.body.items.every((b: any) => b.status === "confirmed"));
	});

	it("when the history is long, then it pages by start time with an opaque cursor", async () => {
		const client = await f.client();
		const made = await f.book(client.id, inHours(24), { recurrence: { frequency: "daily", count: 5 } });
		const seen: string[] = [];
		let cursor: string | null = null;
		do {
			const page: any = await c.http.get(`/clients/${client.id}/bookings?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: club.viewer });
			assert.equal(page.status, 200, page.text);
			seen.push(...page.body.items.map((b: any) => b.id));
			cursor = page.body.nextCursor;
		} while (cursor);
		assert.deepEqual(seen, made.bookings.map((b: any) => b.id).reverse());
		const forged = Buffer.from(JSON.stringify([new Date().toISOString(), "x'; drop"])).toString("base64url");
		assert.equal((await c.http.get(`/clients/${client.id}/bookings?cursor=${forged}`, { key: club.viewer })).status, 422);
		assert.equal((await c.http.get(`/clients/${client.id}/bookings?scope=soon`, { key: club.viewer })).status, 422);
	});

	it("when the same Idempotency-Key is sent twice, then the booking is made once and replayed", async () => {
		const client = await f.client();
		const body = { clientId: client.id, productId: "court-1", startsAt: inHours(24), endsAt: inHours(25) };
		const first = await f.reserve(body, { idempotencyKey: "book-1" });
		const again = await f.reserve(body, { idempotencyKey: "book-1" });
		assert.equal(first.status, 201);
		assert.equal(again.status, 201);
		assert.deepEqual(again.body, first.body);
		const hist = await c.http.get(`/clients/${client.id}/bookings`, { key: club.viewer });
		assert.equal(hist.body.items.length, 1);
	});

	it("when a client is deleted, then its future bookings are cancelled", async () => {
		const client = await f.client();
		const made = await f.book(client.id, inHours(24), { recurrence: { frequency: "daily", count: 2 } });
		const broker = c.brokers[0];
		assert.equal((await c.http.del(`/clients/${client.id}`, { key: club.staff })).status, 204);
		// The client is gone (its history answers 404); the bookings themselves were cancelled.
		const svc: any = broker.getLocalService("booking-guard");
		const rows = await svc.db("bookings").whereIn("id", made.bookings.map((b: any) => b.id));
		assert.deepEqual(rows.map((r: any) => r.status), ["cancelled", "cancelled"]);
		const none: any = await broker.call("booking-guard.cancelClientBookings", { clientId: client.id }, { meta: { clubId: club.club.id } });
		assert.deepEqual(none, { cancelled: 0 });
	});
});

describe("Booking guard: the bus face", function () {
	let c: Running;
	let club: TestClub;
	let f: ReturnType<typeof fixtures>;

	before(async () => {
		c = await app();
		club = await newClub(c.http);
		f = fixtures(c.http, club);
	});

	it("when called with ctx.meta.clubId, then check, reserve, cancel and visibleProducts answer as over REST", async () => {
		const broker = c.brokers[0];
		const meta = { clubId: club.club.id };
		const g = await f.group({ maxFutureBookings: 1 });
		const client = await f.client({ groupId: g.id });
		const check: any = await broker.call("booking-guard.check", { clientId: client.id, productId: "court-1", startsAt: inHours(3) }, { meta });
		assert.equal(check.allowed, true);
		const params = { clientId: client.id, productId: "court-1", startsAt: inHours(3), endsAt: inHours(4), idempotencyKey: "bus-1" };
		const made: any = await broker.call("booking-guard.reserve", params, { meta });
		assert.equal(made.bookings.length, 1);
		const replay: any = await broker.call("booking-guard.reserve", params, { meta });
		assert.deepEqual(replay, made);
		const limited: any = await broker.call("booking-guard.check", { clientId: client.id, productId: "court-1", startsAt: inHours(5) }, { meta });
		assert.deepEqual(limited.reasons.map((r: any) => r.code), ["FUTURE_BOOKING_LIMIT"]);
	}).timeout(10_000);

	it("when a bus reserve is refused, then it throws BOOKING_REJECTED (409) with the reasons", async () => {
		const broker = c.brokers[0];
		const meta = { clubId: club.club.id };
		const g = await f.group({ maxFutureBookings: 0 });
		const client = await f.client({ groupId: g.id });
		await assert.rejects(
			broker.call("booking-guard.reserve", { clientId: client.id, productId: "court-1", startsAt: inHours(3), endsAt: inHours(4) }, { meta }),
			(err: any) => err.type === "BOOKING_REJECTED" && err.code === 409 && err.data.reasons[0].code === "FUTURE_BOOKING_LIMIT",
		);
		const made: any = await broker.call("booking-guard.reserve", { clientId: client.id, productId: "court-1", startsAt: inHours(3), endsAt: inHours(4), channel: "staff" }, { meta });
		const cancelled: any = await broker.call("booking-guard.cancel", { id: made.bookings[0].id }, { meta });
		assert.equal(cancelled.status, "cancelled");
		const vis: any = await broker.call("booking-guard.visibleProducts", { clientId: client.id, productIds: ["a", "b"] }, { meta });
		assert.deepEqual(vis, { productIds: ["a", "b"] });
	});

	it("when called without ctx.meta.clubId or with another club's, then CLUB_REQUIRED or 404", async () => {
		const broker = c.brokers[0];
		const client = await f.client();
		const calls: Array<[string, Record<string, unknown>]> = [
			["booking-guard.check", { clientId: client.id, productId: "court-1", startsAt: inHours(3) }],
			["booking-guard.reserve", { clientId: client.id, productId: "court-1", startsAt: inHours(3), endsAt: inHours(4) }],
			["booking-guard.cancel", { id: crypto.randomUUID() }],
			["booking-guard.visibleProducts", { clientId: client.id, productIds: ["a"] }],
			["booking-guard.cancelClientBookings", { clientId: client.id }],
		];
		for (const [action, params] of calls) {
			await assert.rejects(broker.call(action, params), (err: any) => err.type === "CLUB_REQUIRED", action);
		}
		const other = await newClub(c.http);
		await assert.rejects(
			broker.call("booking-guard.check", { clientId: client.id, productId: "court-1", startsAt: inHours(3) }, { meta: { clubId: other.club.id } }),
			(err: any) => err.code === 404 && err.type === "NOT_FOUND",
		);
	});

	it("when bookings are confirmed and cancelled, then bookings.confirmed|cancelled carry the club and the bookings", async () => {
		const broker = c.brokers[0];
		const rec = await recordEvents(broker, ["bookings.confirmed", "bookings.cancelled"]);
		const seen = rec.events;
		try {
			const client = await f.client();
			const made = await f.book(client.id, inHours(5));
			await c.http.post(`/bookings/${made.bookings[0].id}/cancel`, undefined, { key: club.staff });
			const until = Date.now() + 2000;
			while (seen.length < 2 && Date.now() < until) await sleep(10);
			assert.deepEqual(seen.map(s => s.name), ["bookings.confirmed", "bookings.cancelled"]);
			assert.equal(seen[0].payload.clubId, club.club.id);
			assert.deepEqual(seen[0].payload.bookings.map((b: any) => b.id), [made.bookings[0].id]);
			assert.equal(seen[1].payload.bookings[0].status, "cancelled");
		} finally {
			await rec.stop();
		}
	});
});
