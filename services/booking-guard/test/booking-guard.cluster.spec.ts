/**
 * Two booking-guard nodes over the real nats-server (the gateway, clubs+groups and
 * clients+wallets each on their own broker): the limit is exact across nodes, and every
 * node's cache follows changes made through the gateway or through the other node.
 */
import assert from "node:assert/strict";
import { newClub, startCluster, type Running, type TestClub } from "../../../test/support/app";
import { fixtures, inHours } from "./helpers";

describe("Booking guard on two nodes over real NATS", function () {
	this.timeout(90_000);
	let c: Running;
	let club: TestClub;
	let f: ReturnType<typeof fixtures>;
	let nodes: string[];
	const gateway = () => c.brokers[0];

	before(async () => {
		c = await startCluster([{ services: ["api"] }, { services: ["clubs", "groups"] }, { services: ["clients", "wallets"] }, { services: ["booking-guard"] }, { services: ["booking-guard"] }]);
		nodes = [c.brokers[3].nodeID, c.brokers[4].nodeID];
		await gateway().waitForServices([{ name: "booking-guard" }], 15_000);
		club = await newClub(c.http);
		f = fixtures(c.http, club);
	});
	after(() => c?.stop());

	const call = (action: string, params: Record<string, unknown>, node: number) => gateway().call(action, params, { meta: { clubId: club.club.id }, nodeID: nodes[node] });

	it("when 30 reserves at limit 3 are spread over both nodes, then exactly 3 are confirmed", async () => {
		const g = await f.group({ maxFutureBookings: 3 });
		const client = await f.client({ groupId: g.id });
		const outcomes = await Promise.allSettled(
			Array.from({ length: 30 }, (_, i) => call("booking-guard.reserve", { clientId: client.id, productId: "court-1", startsAt: inHours(10 + i), endsAt: inHours(11 + i) }, i % 2)),
		);
		const ok = outcomes.filter(o => o.status === "fulfilled");
		const refused = outcomes.filter(o => o.status === "rejected" && (o.reason as any).type === "BOOKING_REJECTED");
		assert.equal(ok.length, 3);
		assert.equal(refused.length, 27);
		const rest = await Promise.all(Array.from({ length: 30 }, (_, i) => f.reserve({ clientId: client.id, productId: "court-1", startsAt: inHours(50 + i), endsAt: inHours(51 + i) })));
		assert.ok(rest.every(r => r.status === 409), rest.map(r => r.status).join(","));
	});

	it("when 30 reserves through the gateway race on a fresh client, then exactly 3 are confirmed", async () => {
		const g = await f.group({ maxFutureBookings: 3 });
		const client = await f.client({ groupId: g.id });
		const results = await Promise.all(Array.from({ length: 30 }, (_, i) => f.reserve({ clientId: client.id, productId: "court-1", startsAt: inHours(10 + i), endsAt: inHours(11 + i) })));
		assert.equal(results.filter(r => r.status === 201).length, 3, results.map(r => r.status).join(","));
	});

	it("when one node books or cancels, then the other node's very next check counts it", async () => {
		const g = await f.group({ maxFutureBookings: 1 });
		const client = await f.client({ groupId: g.id });
		const body = { clientId: client.id, productId: "court-1", startsAt: inHours(40) };
		for (let i = 0; i < 5; i++) {
			const a = i % 2;
			const b = 1 - a;
			assert.equal(((await call("booking-guard.check", body, b)) as any).allowed, true, `round ${i}: before`);
			const made: any = await call("booking-guard.reserve", { clientId: client.id, productId: "court-1", startsAt: inHours(20), endsAt: inHours(21) }, a);
			assert.deepEqual(((await call("booking-guard.check", body, b)) as any).reasons.map((r: any) => r.code), ["FUTURE_BOOKING_LIMIT"], `round ${i}: after booking on the other node`);
			await call("booking-guard.cancel", { id: made.bookings[0].id }, a);
			assert.equal(((await call("booking-guard.check", body, b)) as any).allowed, true, `round ${i}: after cancelling on the other node`);
		}
	});

	it("when the group's limit is changed by PATCH /groups/:id, then the very next decision on either node follows it", async () => {
		const g = await f.group();
		const client = await f.client({ groupId: g.id });
		await f.book(client.id, inHours(3));
		const body = { clientId: client.id, productId: "court-1", startsAt: inHours(5) };
		// Both nodes cache the open policy first.
		for (const n of [0, 1]) assert.equal(((await call("booking-guard.check", body, n)) as any).allowed, true);
		for (let i = 0; i < 5; i++) {
			await f.patchGroup(g.id, { maxFutureBookings: 1 });
			for (const n of [0, 1]) {
				assert.deepEqual(((await call("booking-guard.check", body, n)) as any).reasons.map((r: any) => r.code), ["FUTURE_BOOKING_LIMIT"], `round ${i}, node ${n}`);
			}
			assert.deepEqual(f.codes((await f.check(body)).body), ["FUTURE_BOOKING_LIMIT"], `round ${i}, through the gateway`);
			await f.patchGroup(g.id, { maxFutureBookings: null });
			for (const n of [0, 1]) assert.equal(((await call("booking-guard.check", body, n)) as any).allowed, true, `round ${i}, node ${n}: lifted`);
		}
	});

	it("when a client moves group or a product rule changes, then both nodes follow at once", async () => {
		const a = await f.group();
		const b = await f.group();
		const client = await f.client({ groupId: a.id });
		await f.access("cluster-court", "product", [a.id]);
		const body = { clientId: client.id, productId: "cluster-court", startsAt: inHours(5) };
		for (const n of [0, 1]) assert.equal(((await call("booking-guard.check", body, n)) as any).visible, true);
		await f.moveClient(client.id, b.id);
		for (const n of [0, 1]) assert.equal(((await call("booking-guard.check", body, n)) as any).visible, false, `node ${n} after the move`);
		await f.access("cluster-court", "product", [a.id, b.id]);
		for (const n of [0, 1]) assert.equal(((await call("booking-guard.check", body, n)) as any).visible, true, `node ${n} after the rule`);
	});
});
