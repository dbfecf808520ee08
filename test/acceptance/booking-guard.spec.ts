/** API.md "Booking guard" and PRODUCT.md §4 and §6. */
import assert from "node:assert/strict";
import { assertError, assertInvalid, createClient, forEachTopology, groupsOf, inDays, newClub, plusHours, uid, type TestClub } from "./support";

const ALL_METHODS = ["card", "wallet", "sepa_debit", "paypal", "apple_pay", "google_pay", "ideal", "bancontact", "twint"];
const codes = (r: any) => (r.reasons as any[]).map(x => x.code).sort();
const DATE = (iso: string) => iso.slice(0, 10);

forEachTopology("Acceptance: booking guard", env => {
	let club: TestClub;
	let groups: Record<string, any>;
	before(async () => {
		club = await newClub(env().http);
		groups = (await groupsOf(env().http, club)).byName;
	});

	async function groupWith(policies: Record<string, unknown>, c: TestClub = club) {
		const res = await env().http.post("/groups", { name: `G ${uid()}`, ...policies }, { key: c.admin });
		assert.equal(res.status, 201, res.text);
		return res.body;
	}
	const check = (body: Record<string, unknown>, key = club.staff) => env().http.post("/booking-guard/check", body, { key });
	const book = (body: Record<string, unknown>, key = club.staff, idempotencyKey?: string) =>
		env().http.post("/bookings", body, { key, idempotencyKey });
	function slot(days: number, productId = "court-1") {
		const startsAt = inDays(days);
		return { productId, startsAt, endsAt: plusHours(startsAt, 1) };
	}

	describe("check", () => {
		it("when nothing restricts the client, then allowed and visible with no reasons and every payment method", async () => {
			const c = await createClient(env().http, club);
			const res = await check({ clientId: c.id, ...slot(3) });
			assert.equal(res.status, 200, res.text);
			assert.equal(res.body.allowed, true);
			assert.equal(res.body.visible, true);
			assert.deepEqual(res.body.reasons, []);
			assert.deepEqual([...res.body.paymentMethods].sort(), [...ALL_METHODS].sort());
			assert.equal(res.body.price, undefined);
		});

		it("when a product is restricted to another group, then invisible and PRODUCT_NOT_VISIBLE, on the staff channel too", async () => {
			const { http } = env();
			const vip = await groupWith({});
			const pid = `vip-court-${uid()}`;
			assert.equal((await http.put(`/products/${pid}/access`, { kind: "product", groupIds: [vip.id] }, { key: club.admin })).status, 200);
			const c = await createClient(http, club);
			for (const channel of ["online", "staff"]) {
				const res = await check({ clientId: c.id, ...slot(3, pid), channel });
				assert.equal(res.status, 200, res.text);
				assert.equal(res.body.allowed, false, channel);
				assert.equal(res.body.visible, false, channel);
				assert.ok(codes(res.body).includes("PRODUCT_NOT_VISIBLE"), res.text);
				for (const r of res.body.reasons) assert.equal(typeof r.message, "string");
			}
			const member = await createClient(http, club, { groupId: vip.id });
			const ok = await check({ clientId: member.id, ...slot(3, pid) });
			assert.equal(ok.body.allowed, true, ok.text);
			assert.equal(ok.body.visible, true);
		});

		it("when an activity is restricted to another group, then visible but GROUP_NOT_ALLOWED, on the staff channel too", async () => {
			const { http } = env();
			const vip = await groupWith({});
			const pid = `yoga-${uid()}`;
			assert.equal((await http.put(`/products/${pid}/access`, { kind: "activity", groupIds: [vip.id] }, { key: club.admin })).status, 200);
			const c = await createClient(http, club);
			for (const channel of ["online", "staff"]) {
				const res = await check({ clientId: c.id, ...slot(3, pid), channel });
				assert.equal(res.body.allowed, false);
				assert.equal(res.body.visible, true);
				assert.deepEqual(codes(res.body), ["GROUP_NOT_ALLOWED"]);
			}
			const rejected = await book({ clientId: c.id, ...slot(3, pid), channel: "staff" });
			assertError(rejected, 409, "BOOKING_REJECTED");
			assert.deepEqual(rejected.body.data.reasons.map((r: any) => r.code), ["GROUP_NOT_ALLOWED"]);
		});

		it("when the payment method is not allowed for the group, then PAYMENT_METHOD_NOT_ALLOWED online but not for staff; paymentMethods lists the group's", async () => {
			const { http } = env();
			const g = await groupWith({ paymentMethods: ["card", "wallet"] });
			const c = await createClient(http, club, { groupId: g.id });
			const online = await check({ clientId: c.id, ...slot(3), paymentMethod: "paypal" });
			assert.equal(online.body.allowed, false);
			assert.deepEqual(codes(online.body), ["PAYMENT_METHOD_NOT_ALLOWED"]);
			assert.deepEqual([...online.body.paymentMethods].sort(), ["card", "wallet"]);
			const staff = await check({ clientId: c.id, ...slot(3), paymentMethod: "paypal", channel: "staff" });
			assert.equal(staff.body.allowed, true, staff.text);
			const card = await check({ clientId: c.id, ...slot(3), paymentMethod: "card" });
			assert.equal(card.body.allowed, true);
			assertInvalid(await check({ clientId: c.id, ...slot(3), paymentMethod: "cash" }), "paymentMethod");
		});

		it("when the start is in the past, then STARTS_IN_PAST", async () => {
			const c = await createClient(env().http, club);
			const res = await check({ clientId: c.id, ...slot(-1) });
			assert.equal(res.body.allowed, false);
			assert.ok(codes(res.body).includes("STARTS_IN_PAST"), res.text);
		});

		it("when paying by wallet without enough balance, then INSUFFICIENT_WALLET_BALANCE; with enough, allowed", async () => {
			const { http } = env();
			const c = await createClient(http, club);
			const noWallet = await check({ clientId: c.id, ...slot(3), paymentMethod: "wallet", price: { amount: 1000, currency: "EUR" } });
			assert.equal(noWallet.body.allowed, false);
			assert.deepEqual(codes(noWallet.body), ["INSUFFICIENT_WALLET_BALANCE"]);
			const w = (await http.post(`/clients/${c.id}/wallets`, { currency: "EUR" }, { key: club.staff })).body;
			await http.post(`/wallets/${w.id}/top-up`, { amount: 500 }, { key: club.staff, idempotencyKey: uid() });
			const low = await check({ clientId: c.id, ...slot(3), paymentMethod: "wallet", price: { amount: 1000, currency: "EUR" } });
			assert.deepEqual(codes(low.body), ["INSUFFICIENT_WALLET_BALANCE"]);
			await http.post(`/wallets/${w.id}/top-up`, { amount: 500 }, { key: club.staff, idempotencyKey: uid() });
			const enough = await check({ clientId: c.id, ...slot(3), paymentMethod: "wallet", price: { amount: 1000, currency: "EUR" } });
			assert.equal(enough.body.allowed, true, enough.text);
		});

		it("when the client has several categories, then the best one valid at the start applies and VAT is taken out of the inclusive price", async () => {
			const { http } = env();
			const g = await groupWith({ vatRate: 2100 });
			const c = await createClient(http, club, { groupId: g.id });
			const s = slot(10);
			const mk = async (discountPercent: number) => (await http.post("/categories", { name: `Cat ${uid()}`, discountPercent }, { key: club.admin })).body;
			const [ten, expired, later, best] = await Promise.all([mk(10), mk(50), mk(40), mk(20)]);
			await http.put(`/clients/${c.id}/categories/${ten.id}`, {}, { key: club.staff });
			await http.put(`/clients/${c.id}/categories/${expired.id}`, { validUntil: DATE(inDays(2)) }, { key: club.staff });
			await http.put(`/clients/${c.id}/categories/${later.id}`, { validFrom: DATE(inDays(20)) }, { key: club.staff });
			await http.put(`/clients/${c.id}/categories/${best.id}`, { validFrom: DATE(inDays(1)), validUntil: DATE(inDays(30)) }, { key: club.staff });
			const res = await check({ clientId: c.id, ...s, price: { amount: 2000, currency: "EUR" } });
			assert.equal(res.status, 200, res.text);
			assert.deepEqual(res.body.price, { base: 2000, discountPercent: 20, categoryId: best.id, discount: 400, final: 1600, vatRate: 2100, vatAmount: 278, currency: "EUR" });
		});

		it("when there is no category, then no discount; 12.5 % of 2000 with 10 % VAT gives the documented rounding", async () => {
			const { http } = env();
			const g = await groupWith({ vatRate: 1000 });
			const c = await createClient(http, club, { groupId: g.id });
			const none = await check({ clientId: c.id, ...slot(3), price: { amount: 1999, currency: "EUR" } });
			assert.equal(none.body.price.base, 1999);
			assert.equal(none.body.price.discount, 0);
			assert.equal(none.body.price.discountPercent, 0);
			assert.equal(none.body.price.categoryId, null);
			assert.equal(none.body.price.final, 1999);
			assert.equal(none.body.price.vatAmount, Math.round(1999 * 1000 / 11000)); // 181.72 -> 182
			const cat = (await http.post("/categories", { name: `C ${uid()}`, discountPercent: 12.5 }, { key: club.admin })).body;
			await http.put(`/clients/${c.id}/categories/${cat.id}`, {}, { key: club.staff });
			const res = await check({ clientId: c.id, ...slot(3), price: { amount: 2000, currency: "EUR" } });
			assert.equal(res.body.price.discount, 250);
			assert.equal(res.body.price.final, 1750);
			assert.equal(res.body.price.vatAmount, 159); // 1750 * 1000 / 11000 = 159.09
		});

		it("when the group has no VAT rate, then vatRate is null and no VAT is taken", async () => {
			const c = await createClient(env().http, club);
			const res = await check({ clientId: c.id, ...slot(3), price: { amount: 1000, currency: "EUR" } });
			assert.equal(res.body.price.vatRate, null);
			assert.ok(res.body.price.vatAmount === 0 || res.body.price.vatAmount === null, res.text);
			assert.equal(res.body.price.final, 1000);
		});

		it("when the start is in the past on the staff channel, then STARTS_IN_PAST too (staff skips only limit and payment rules)", async () => {
			const c = await createClient(env().http, club);
			const res = await check({ clientId: c.id, ...slot(-1), channel: "staff" });
			assert.equal(res.body.allowed, false);
			assert.ok(codes(res.body).includes("STARTS_IN_PAST"), res.text);
			assertError(await book({ clientId: c.id, ...slot(-1), channel: "staff" }), 409, "BOOKING_REJECTED");
		});

		it("when paying by wallet, then the balance is compared with the discounted final price", async () => {
			const { http } = env();
			const c = await createClient(http, club);
			const cat = (await http.post("/categories", { name: `Half ${uid()}`, discountPercent: 50 }, { key: club.admin })).body;
			await http.put(`/clients/${c.id}/categories/${cat.id}`, {}, { key: club.staff });
			const w = (await http.post(`/clients/${c.id}/wallets`, { currency: "EUR" }, { key: club.staff })).body;
			await http.post(`/wallets/${w.id}/top-up`, { amount: 500 }, { key: club.staff, idempotencyKey: uid() });
			const res = await check({ clientId: c.id, ...slot(3), paymentMethod: "wallet", price: { amount: 1000, currency: "EUR" } });
			assert.equal(res.body.allowed, true, res.text);
			assert.equal(res.body.price.final, 500);
			const more = await check({ clientId: c.id, ...slot(3), paymentMethod: "wallet", price: { amount: 1002, currency: "EUR" } });
			assert.deepEqual(codes(more.body), ["INSUFFICIENT_WALLET_BALANCE"]);
		});

		it("when another club restricts the same productId, then this club's clients are not affected", async () => {
			const { http } = env();
			const other = await newClub(http);
			const og = (await http.post("/groups", { name: "Theirs" }, { key: other.admin })).body;
			const pid = `shared-${uid()}`;
			assert.equal((await http.put(`/products/${pid}/access`, { kind: "product", groupIds: [og.id] }, { key: other.admin })).status, 200);
			const c = await createClient(http, club);
			const res = await check({ clientId: c.id, ...slot(3, pid) });
			assert.equal(res.body.allowed, true, res.text);
			assertError(await http.get(`/products/${pid}/access`, { key: club.viewer }), 404, "NOT_FOUND");
		});

		it("when the client is another club's or unknown, then 404", async () => {
			const { http } = env();
			const other = await newClub(http);
			const theirs = await createClient(http, other);
			assertError(await check({ clientId: theirs.id, ...slot(3) }), 404, "NOT_FOUND");
			assertError(await check({ clientId: "6f1c7b0e-9c8a-4f5e-8a53-1b2c3d4e5f60", ...slot(3) }), 404, "NOT_FOUND");
		});

		it("when the request is malformed (channel, productId, startsAt), then 422", async () => {
			const c = await createClient(env().http, club);
			assertInvalid(await check({ clientId: c.id, ...slot(3), channel: "phone" }), "channel");
			assertInvalid(await check({ clientId: c.id, ...slot(3), productId: "bad id!" }), "productId");
			assertInvalid(await check({ clientId: c.id, ...slot(3), startsAt: "next tuesday" }), "startsAt");
			assertInvalid(await check({ clientId: c.id, ...slot(3), extra: 1 }), "extra");
		});
	});

	describe("bookings and the future-bookings limit", () => {
		it("when a booking is made, then 201 { bookings: [{ id, clientId, productId, startsAt, endsAt, status: confirmed, seriesId }] } and bookings.confirmed", async () => {
			const { http, waitForEvent } = env();
			const c = await createClient(http, club);
			const s = slot(5);
			const res = await book({ clientId: c.id, ...s, channel: "online", reference: "ext-1" });
			assert.equal(res.status, 201, res.text);
			assert.deepEqual(Object.keys(res.body), ["bookings"]);
			assert.equal(res.body.bookings.length, 1);
			const b = res.body.bookings[0];
			for (const k of ["id", "clientId", "productId", "startsAt", "endsAt", "status", "seriesId"]) assert.ok(k in b, k);
			assert.equal(b.clientId, c.id);
			assert.equal(b.productId, s.productId);
			assert.equal(b.startsAt, s.startsAt);
			assert.equal(b.endsAt, s.endsAt);
			assert.equal(b.status, "confirmed");
			const ev = await waitForEvent(e => e.name === "bookings.confirmed" && JSON.stringify(e.payload).includes(b.id));
			assert.equal(ev.payload.clubId, club.club.id);
		});

		it("when endsAt is not after startsAt, then 422", async () => {
			const c = await createClient(env().http, club);
			const s = slot(5);
			assertInvalid(await book({ clientId: c.id, ...s, endsAt: s.startsAt, channel: "staff" }));
		});

		it("when the group allows one future booking, then the second online is refused (409 BOOKING_REJECTED FUTURE_BOOKING_LIMIT), staff may exceed it, and cancelling frees the place", async () => {
			const { http, waitForEvent } = env();
			const g = await groupWith({ maxFutureBookings: 1 });
			const c = await createClient(http, club, { groupId: g.id });
			const first = await book({ clientId: c.id, ...slot(2), channel: "online" });
			assert.equal(first.status, 201, first.text);
			const chk = await check({ clientId: c.id, ...slot(4) });
			assert.deepEqual(codes(chk.body), ["FUTURE_BOOKING_LIMIT"]);
			const second = await book({ clientId: c.id, ...slot(4), channel: "online" });
			assertError(second, 409, "BOOKING_REJECTED");
			assert.deepEqual(second.body.data.reasons.map((r: any) => r.code), ["FUTURE_BOOKING_LIMIT"]);
			const staff = await book({ clientId: c.id, ...slot(4), channel: "staff" });
			assert.equal(staff.status, 201, staff.text);
			const cancel = await http.post(`/bookings/${first.body.bookings[0].id}/cancel`, {}, { key: club.staff });
			assert.equal(cancel.status, 200, cancel.text);
			assert.equal(cancel.body.status, "cancelled");
			assert.equal(cancel.body.id, first.body.bookings[0].id);
			await waitForEvent(e => e.name === "bookings.cancelled" && JSON.stringify(e.payload).includes(first.body.bookings[0].id));
			assert.deepEqual(codes((await check({ clientId: c.id, ...slot(6) })).body), ["FUTURE_BOOKING_LIMIT"], "the staff booking still counts");
			await http.post(`/bookings/${staff.body.bookings[0].id}/cancel`, {}, { key: club.staff });
			assert.equal((await book({ clientId: c.id, ...slot(6), channel: "online" })).status, 201);
		});

		it("when a client books from several devices at once against a limit of one, then exactly one booking is confirmed", async () => {
			const { http } = env();
			const g = await groupWith({ maxFutureBookings: 1 });
			const c = await createClient(http, club, { groupId: g.id });
			const results = await Promise.all([2, 3, 4, 5, 6, 7].map(d => book({ clientId: c.id, ...slot(d), channel: "online" })));
			assert.deepEqual(results.map(r => r.status).sort(), [201, 409, 409, 409, 409, 409]);
		});

		it("when a counted booking's start passes, then it no longer counts and shows under scope=past", async function () {
			this.timeout(20_000);
			const { http } = env();
			const g = await groupWith({ maxFutureBookings: 1 });
			const c = await createClient(http, club, { groupId: g.id });
			const soon = new Date(Date.now() + 1500).toISOString();
			const first = await book({ clientId: c.id, productId: "court-1", startsAt: soon, endsAt: plusHours(soon, 1), channel: "online" });
			assert.equal(first.status, 201, first.text);
			assert.deepEqual(codes((await check({ clientId: c.id, ...slot(3) })).body), ["FUTURE_BOOKING_LIMIT"]);
			await new Promise(r => setTimeout(r, Date.parse(soon) - Date.now() + 100));
			const after = await check({ clientId: c.id, ...slot(3) });
			assert.equal(after.body.allowed, true, after.text);
			const past = await http.get(`/clients/${c.id}/bookings?scope=past`, { key: club.viewer });
			assert.deepEqual((Array.isArray(past.body) ? past.body : past.body.items).map((b: any) => b.id), [first.body.bookings[0].id]);
			const future = await http.get(`/clients/${c.id}/bookings?scope=future`, { key: club.viewer });
			assert.deepEqual(Array.isArray(future.body) ? future.body : future.body.items, []);
		});

		it("when the limit is 0, then no online booking at all", async () => {
			const { http } = env();
			const g = await groupWith({ maxFutureBookings: 0 });
			const c = await createClient(http, club, { groupId: g.id });
			assertError(await book({ clientId: c.id, ...slot(2), channel: "online" }), 409, "BOOKING_REJECTED");
		});

		it("when the same Idempotency-Key and body are posted twice, then one booking and the same answer", async () => {
			const c = await createClient(env().http, club);
			const body = { clientId: c.id, ...slot(8), channel: "staff" };
			const k = uid();
			const a = await book(body, club.staff, k);
			const b = await book(body, club.staff, k);
			assert.equal(a.status, 201);
			assert.equal(b.status, 201);
			assert.deepEqual(b.body, a.body);
			assertError(await book({ ...body, productId: "other" }, club.staff, k), 422, "IDEMPOTENCY_KEY_REUSED");
			const all = await env().http.get(`/clients/${c.id}/bookings?scope=all`, { key: club.viewer });
			assert.equal((Array.isArray(all.body) ? all.body : all.body.items).length, 1);
		});

		it("when another club's booking is cancelled, then 404 and it stays confirmed", async () => {
			const { http } = env();
			const other = await newClub(http);
			const theirs = await createClient(http, other);
			const b = (await book({ clientId: theirs.id, ...slot(3), channel: "staff" }, other.staff)).body.bookings[0];
			assertError(await http.post(`/bookings/${b.id}/cancel`, {}, { key: club.staff }), 404, "NOT_FOUND");
			assertError(await http.post(`/bookings/not-a-uuid/cancel`, {}, { key: club.staff }), 404, "NOT_FOUND");
			const list = await http.get(`/clients/${theirs.id}/bookings?scope=future`, { key: other.viewer });
			assert.equal((Array.isArray(list.body) ? list.body : list.body.items)[0].status, "confirmed");
		});

		it("when a viewer books, then 403", async () => {
			const c = await createClient(env().http, club);
			assertError(await book({ clientId: c.id, ...slot(3), channel: "staff" }, club.viewer), 403, "FORBIDDEN");
		});
	});

	describe("series", () => {
		it("when a weekly series of 10 is booked, then 10 confirmed bookings a week apart sharing one seriesId", async () => {
			const c = await createClient(env().http, club);
			const res = await book({ clientId: c.id, ...slot(2), channel: "staff", recurrence: { frequency: "weekly", count: 10 } });
			assert.equal(res.status, 201, res.text);
			const bs = res.body.bookings;
			assert.equal(bs.length, 10);
			assert.equal(typeof bs[0].seriesId, "string");
			assert.equal(new Set(bs.map((b: any) => b.seriesId)).size, 1);
			const starts = bs.map((b: any) => Date.parse(b.startsAt)).sort((a: number, b: number) => a - b);
			for (let i = 1; i < starts.length; i++) assert.equal(Math.round((starts[i] - starts[i - 1]) / 86_400_000), 7);
			for (const b of bs) assert.equal(Date.parse(b.endsAt) - Date.parse(b.startsAt), 3_600_000);
		});

		it("when a weekly series crosses a DST change of the club's timezone, then the local start time stays the same", async () => {
			const c = await createClient(env().http, club);
			// 19:00 in Madrid (CET, UTC+1) on 16 March 2027; summer time starts on 28 March.
			const startsAt = "2027-03-16T18:00:00.000Z";
			const res = await book({ clientId: c.id, productId: "court-dst", startsAt, endsAt: plusHours(startsAt, 1), channel: "staff", recurrence: { frequency: "weekly", count: 4 } });
			assert.equal(res.status, 201, res.text);
			const local = (iso: string) => new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Madrid", hour: "2-digit", minute: "2-digit", weekday: "short" }).format(new Date(iso));
			const starts = res.body.bookings.map((b: any) => b.startsAt).sort();
			assert.deepEqual(starts.map(local), ["Tue 19:00", "Tue 19:00", "Tue 19:00", "Tue 19:00"]);
			assert.equal(starts[3], "2027-04-06T17:00:00.000Z");
		});

		it("when a daily series has interval 2 and an until date, then occurrences every other day up to it", async () => {
			const c = await createClient(env().http, club);
			const s = slot(2);
			const res = await book({ clientId: c.id, ...s, channel: "staff", recurrence: { frequency: "daily", interval: 2, until: DATE(inDays(8)) } });
			assert.equal(res.status, 201, res.text);
			const days = res.body.bookings.map((b: any) => DATE(b.startsAt)).sort();
			assert.deepEqual(days, [DATE(inDays(2)), DATE(inDays(4)), DATE(inDays(6)), DATE(inDays(8))]);
		});

		it("when a series would exceed the limit, then 409 BOOKING_REJECTED with reasons and occurrences, and nothing is booked", async () => {
			const { http } = env();
			const g = await groupWith({ maxFutureBookings: 3 });
			const c = await createClient(http, club, { groupId: g.id });
			const res = await book({ clientId: c.id, ...slot(2), channel: "online", recurrence: { frequency: "weekly", count: 4 } });
			assertError(res, 409, "BOOKING_REJECTED");
			assert.ok(Array.isArray(res.body.data.reasons) && res.body.data.reasons.some((r: any) => r.code === "FUTURE_BOOKING_LIMIT"), res.text);
			assert.ok(Array.isArray(res.body.data.occurrences), res.text);
			const all = await http.get(`/clients/${c.id}/bookings?scope=all`, { key: club.viewer });
			assert.deepEqual(Array.isArray(all.body) ? all.body : all.body.items, []);
			assert.equal((await book({ clientId: c.id, ...slot(2), channel: "online", recurrence: { frequency: "weekly", count: 3 } })).status, 201);
		});

		it("when a series has more than 366 occurrences, then 422 and nothing is booked; 366 is accepted", async function () {
			this.timeout(60_000);
			const c = await createClient(env().http, club);
			assertInvalid(await book({ clientId: c.id, ...slot(1), channel: "staff", recurrence: { frequency: "daily", count: 367 } }));
			const yearAndADay = await book({ clientId: c.id, ...slot(1), channel: "staff", recurrence: { frequency: "daily", until: DATE(inDays(1 + 400)) } });
			assert.ok(yearAndADay.status === 422 || (yearAndADay.status === 409 && yearAndADay.body.type === "BOOKING_REJECTED"), yearAndADay.text);
			const all = await env().http.get(`/clients/${c.id}/bookings?scope=all&limit=500`, { key: club.viewer });
			assert.deepEqual(Array.isArray(all.body) ? all.body : all.body.items, []);
			const ok = await book({ clientId: c.id, ...slot(1), channel: "staff", recurrence: { frequency: "daily", count: 366 } });
			assert.equal(ok.status, 201, ok.text.slice(0, 300));
			assert.equal(ok.body.bookings.length, 366);
		});

		it("when a series is cancelled, then its future occurrences are cancelled and the places freed", async () => {
			const { http } = env();
			const g = await groupWith({ maxFutureBookings: 3 });
			const c = await createClient(http, club, { groupId: g.id });
			const res = await book({ clientId: c.id, ...slot(2), channel: "online", recurrence: { frequency: "weekly", count: 3 } });
			assert.equal(res.status, 201, res.text);
			const cancel = await http.post(`/bookings/series/${res.body.bookings[0].seriesId}/cancel`, {}, { key: club.staff });
			assert.equal(cancel.status, 200, cancel.text);
			const list = await http.get(`/clients/${c.id}/bookings?scope=future`, { key: club.viewer });
			const items = Array.isArray(list.body) ? list.body : list.body.items;
			assert.equal(items.length, 3);
			for (const b of items) assert.equal(b.status, "cancelled");
			assert.equal((await book({ clientId: c.id, ...slot(3), channel: "online" })).status, 201);
			assertError(await http.post(`/bookings/series/6f1c7b0e-9c8a-4f5e-8a53-1b2c3d4e5f60/cancel`, {}, { key: club.staff }), 404, "NOT_FOUND");
		});
	});

	describe("visible products", () => {
		it("when asked for a list of products, then only those the client may see come back", async () => {
			const { http } = env();
			const vip = await groupWith({});
			const hidden = `hidden-${uid()}`, activity = `act-${uid()}`, open = `open-${uid()}`, mine = `mine-${uid()}`;
			await http.put(`/products/${hidden}/access`, { kind: "product", groupIds: [vip.id] }, { key: club.admin });
			await http.put(`/products/${activity}/access`, { kind: "activity", groupIds: [vip.id] }, { key: club.admin });
			await http.put(`/products/${mine}/access`, { kind: "product", groupIds: [groups.Default.id, vip.id] }, { key: club.admin });
			const c = await createClient(http, club);
			const res = await http.post("/booking-guard/visible-products", { clientId: c.id, productIds: [hidden, activity, open, mine] }, { key: club.staff });
			assert.equal(res.status, 200, res.text);
			assert.deepEqual([...res.body.productIds].sort(), [activity, mine, open].sort());
			const ids = Array.from({ length: 1001 }, (_, i) => `p${i}`);
			assertInvalid(await http.post("/booking-guard/visible-products", { clientId: c.id, productIds: ids }, { key: club.staff }), "productIds");
		});
	});
});
