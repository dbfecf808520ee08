/**
 * API.md "Message bus": the actions the booking system relies on, called through a broker
 * that hosts none of them (the gateway-only node in the cluster), with the tenant in meta.
 */
import assert from "node:assert/strict";
import { callErr, createClient, email, forEachTopology, groupsOf, inDays, newClub, plusHours, uid, type TestClub } from "./support";

forEachTopology("Acceptance: message bus", env => {
	let club: TestClub;
	let other: TestClub;
	let meta: { clubId: string };
	let groups: Record<string, any>;
	before(async () => {
		[club, other] = await Promise.all([newClub(env().http), newClub(env().http)]);
		meta = { clubId: club.club.id };
		groups = (await groupsOf(env().http, club)).byName;
	});
	const call = <T = any>(action: string, params: unknown, m: Record<string, unknown> = meta) => env().bus.call(action, params as any, { meta: m }) as Promise<T>;
	function slot(days: number, productId = "court-1") {
		const startsAt = inDays(days);
		return { productId, startsAt, endsAt: plusHours(startsAt, 1) };
	}

	it("when the cluster runs, then the bus is NATS with the Notepack serializer and the caller hosts none of the services", function () {
		if (env().topology !== "cluster") this.skip();
		const b: any = env().bus;
		assert.match(b.transit.tx.constructor.name, /NATS/i);
		assert.match(b.serializer.constructor.name, /Notepack/i);
		for (const s of ["clients", "booking-guard", "wallets", "groups"]) assert.equal(b.getLocalService(s), undefined);
	});

	it("when an action is called without ctx.meta.clubId, then it is refused", async () => {
		const c = await createClient(env().http, club);
		for (const [action, params] of [
			["clients.get", { id: c.id }],
			["clients.findByEmail", { email: c.email }],
			["clients.create", { fullName: "No Club", email: email(), phone: "+34612000100", gender: "female", country: "ES", source: "online" }],
			["booking-guard.check", { clientId: c.id, ...slot(3) }],
			["booking-guard.reserve", { clientId: c.id, ...slot(3), channel: "online" }],
			["booking-guard.visibleProducts", { clientId: c.id, productIds: ["a"] }],
			["wallets.balance", { clientId: c.id, currency: "EUR" }],
		] as const) {
			const err = await callErr(env().bus, action, params);
			assert.ok(err.code >= 400 && err.code < 500, `${action}: ${err.code} ${err.type} ${err.message}`);
		}
		const list = await env().http.get(`/clients/${c.id}/bookings?scope=all`, { key: club.viewer });
		assert.deepEqual(Array.isArray(list.body) ? list.body : list.body.items, []);
	});

	it("when clients.get / findByEmail are called, then the API.md Client; unknown or another club's: 404 / null", async () => {
		const { http } = env();
		const c = await createClient(http, club);
		const got = await call("clients.get", { id: c.id });
		assert.deepEqual(got, c);
		assert.deepEqual(await call("clients.findByEmail", { email: c.email }), c);
		assert.deepEqual(await call("clients.findByEmail", { email: `  ${c.email.toUpperCase()}` }), c);
		assert.equal(await call("clients.findByEmail", { email: email() }), null);
		const theirs = await createClient(http, other);
		const err = await callErr(env().bus, "clients.get", { id: theirs.id }, meta);
		assert.equal(err.code, 404);
		assert.equal(err.type, "NOT_FOUND");
		assert.equal(await call("clients.findByEmail", { email: theirs.email }), null);
	});

	it("when clients.create is called with source online, then the client lands in External with source online and clients.created is emitted", async () => {
		const { waitForEvent } = env();
		const e = email("online");
		const c = await call("clients.create", { fullName: "Online Olga", email: e, phone: "612 000 101", gender: "F", country: "es", source: "online" });
		assert.equal(c.source, "online");
		assert.equal(c.groupId, groups.External.id);
		assert.equal(c.email, e);
		assert.equal(c.phone, "+34612000101");
		assert.equal(c.gender, "female");
		const ev = await waitForEvent(x => x.name === "clients.created" && x.payload?.client?.id === c.id);
		assert.equal(ev.payload.clubId, club.club.id);
		const dup = await callErr(env().bus, "clients.create", { fullName: "Again", email: e, phone: "+34612000102", gender: "female", country: "ES", source: "online" }, meta);
		assert.equal(dup.code, 409);
		assert.equal(dup.type, "CLIENT_EXISTS");
		assert.equal(dup.data.clientId, c.id);
		const bad = await callErr(env().bus, "clients.create", { fullName: "Bad", email: "x", phone: "1", gender: "female", country: "ES", source: "online" }, meta);
		assert.equal(bad.code, 422);
		assert.equal(bad.type, "VALIDATION_ERROR");
	});

	it("when booking-guard.check / reserve / cancel are called, then the same answers as REST, and a refused reserve throws 409 BOOKING_REJECTED with reasons", async () => {
		const { http, waitForEvent } = env();
		const g = (await http.post("/groups", { name: `Bus ${uid()}`, maxFutureBookings: 1 }, { key: club.admin })).body;
		const c = await createClient(http, club, { groupId: g.id });
		const chk = await call("booking-guard.check", { clientId: c.id, ...slot(3), channel: "online" });
		assert.equal(chk.allowed, true);
		assert.equal(chk.visible, true);
		assert.deepEqual(chk.reasons, []);
		const res = await call("booking-guard.reserve", { clientId: c.id, ...slot(3), channel: "online", reference: "bs-1" });
		assert.equal(res.bookings.length, 1);
		assert.equal(res.bookings[0].status, "confirmed");
		await waitForEvent(x => x.name === "bookings.confirmed" && JSON.stringify(x.payload).includes(res.bookings[0].id));
		const refused = await callErr(env().bus, "booking-guard.reserve", { clientId: c.id, ...slot(4), channel: "online" }, meta);
		assert.equal(refused.code, 409);
		assert.equal(refused.type, "BOOKING_REJECTED");
		assert.deepEqual(refused.data.reasons.map((r: any) => r.code), ["FUTURE_BOOKING_LIMIT"]);
		const cancelled = await call("booking-guard.cancel", { id: res.bookings[0].id });
		assert.equal(cancelled.status, "cancelled");
		assert.equal(cancelled.id, res.bookings[0].id);
		await waitForEvent(x => x.name === "bookings.cancelled" && JSON.stringify(x.payload).includes(res.bookings[0].id));
		assert.equal((await call("booking-guard.reserve", { clientId: c.id, ...slot(4), channel: "online" })).bookings.length, 1);
	});

	it("when booking-guard actions name another club's client or booking, then not found", async () => {
		const { http } = env();
		const theirs = await createClient(http, other);
		const b = (await http.post("/bookings", { clientId: theirs.id, ...slot(3), channel: "staff" }, { key: other.staff })).body.bookings[0];
		assert.equal((await callErr(env().bus, "booking-guard.check", { clientId: theirs.id, ...slot(3) }, meta)).code, 404);
		assert.equal((await callErr(env().bus, "booking-guard.reserve", { clientId: theirs.id, ...slot(3), channel: "online" }, meta)).code, 404);
		assert.equal((await callErr(env().bus, "booking-guard.cancel", { id: b.id }, meta)).code, 404);
		const list = await http.get(`/clients/${theirs.id}/bookings?scope=future`, { key: other.viewer });
		assert.equal((Array.isArray(list.body) ? list.body : list.body.items)[0].status, "confirmed");
	});

	it("when booking-guard.visibleProducts is called, then only the products the client may see", async () => {
		const { http } = env();
		const vip = (await http.post("/groups", { name: `Vip ${uid()}` }, { key: club.admin })).body;
		const hidden = `h-${uid()}`;
		await http.put(`/products/${hidden}/access`, { kind: "product", groupIds: [vip.id] }, { key: club.admin });
		const c = await createClient(http, club);
		const res = await call("booking-guard.visibleProducts", { clientId: c.id, productIds: [hidden, "open-1"] });
		assert.deepEqual(res, { productIds: ["open-1"] });
	});

	it("when the price is checked on the bus, then the VAT-inclusive price with the category discount", async () => {
		const { http } = env();
		const g = (await http.post("/groups", { name: `Vat ${uid()}`, vatRate: 2100 }, { key: club.admin })).body;
		const cat = (await http.post("/categories", { name: `Cat ${uid()}`, discountPercent: 10 }, { key: club.admin })).body;
		const c = await createClient(http, club, { groupId: g.id });
		await http.put(`/clients/${c.id}/categories/${cat.id}`, {}, { key: club.staff });
		const res = await call("booking-guard.check", { clientId: c.id, ...slot(3), price: { amount: 1500, currency: "EUR" } });
		assert.deepEqual(res.price, { base: 1500, discountPercent: 10, categoryId: cat.id, discount: 150, final: 1350, vatRate: 2100, vatAmount: 234, currency: "EUR" });
	});

	it("when wallets.balance / debit / refund are called with an idempotency key, then money moves once and the balance follows", async () => {
		const { http, waitForEvent } = env();
		const c = await createClient(http, club);
		assert.deepEqual(await call("wallets.balance", { clientId: c.id, currency: "EUR" }), { walletId: null, balance: 0, currency: "EUR" });
		const w = (await http.post(`/clients/${c.id}/wallets`, { currency: "EUR" }, { key: club.staff })).body;
		await http.post(`/wallets/${w.id}/top-up`, { amount: 1000 }, { key: club.staff, idempotencyKey: uid() });
		assert.deepEqual(await call("wallets.balance", { clientId: c.id, currency: "EUR" }), { walletId: w.id, balance: 1000, currency: "EUR" });
		const k = `bus-${uid()}`;
		const d1 = await call("wallets.debit", { id: w.id, amount: 300, reference: "booking x", idempotencyKey: k });
		const d2 = await call("wallets.debit", { id: w.id, amount: 300, reference: "booking x", idempotencyKey: k });
		assert.equal(d1.type, "debit");
		assert.equal(d1.balanceAfter, 700);
		assert.deepEqual(d2, d1);
		await waitForEvent(x => x.name === "wallets.transacted" && x.payload?.transaction?.id === d1.id);
		const poor = await callErr(env().bus, "wallets.debit", { id: w.id, amount: 701, idempotencyKey: uid() }, meta);
		assert.equal(poor.code, 409);
		assert.equal(poor.type, "INSUFFICIENT_FUNDS");
		const r = await call("wallets.refund", { id: w.id, transactionId: d1.id, idempotencyKey: uid() });
		assert.equal(r.type, "refund");
		assert.equal(r.amount, 300);
		assert.equal(r.refundOf, d1.id);
		const over = await callErr(env().bus, "wallets.refund", { id: w.id, transactionId: d1.id, amount: 1, idempotencyKey: uid() }, meta);
		assert.equal(over.type, "REFUND_EXCEEDS_DEBIT");
		assert.equal((await call("wallets.balance", { clientId: c.id, currency: "EUR" })).balance, 1000);
		const noKey = await callErr(env().bus, "wallets.debit", { id: w.id, amount: 1 }, meta);
		assert.ok(noKey.code === 400 || noKey.code === 422, `${noKey.code} ${noKey.type}`);
		assert.equal((await call("wallets.balance", { clientId: c.id, currency: "EUR" })).balance, 1000);
	});

	it("when wallets actions name another club's wallet or client, then not found and nothing moves", async () => {
		const { http } = env();
		const theirs = await createClient(http, other);
		const w = (await http.post(`/clients/${theirs.id}/wallets`, { currency: "EUR" }, { key: other.staff })).body;
		await http.post(`/wallets/${w.id}/top-up`, { amount: 100 }, { key: other.staff, idempotencyKey: uid() });
		assert.equal((await callErr(env().bus, "wallets.debit", { id: w.id, amount: 10, idempotencyKey: uid() }, meta)).code, 404);
		const bal = await env().bus.call("wallets.balance", { clientId: theirs.id, currency: "EUR" }, { meta }).then(v => v, e => e);
		assert.ok(bal?.code === 404 || (bal?.walletId === null && bal?.balance === 0), JSON.stringify(bal));
		assert.equal((await http.get(`/wallets/${w.id}`, { key: other.viewer })).body.balance, 100);
	});
});
