/**
 * The tenancy matrix, generated from the OpenAPI document so a new route is covered as
 * soon as it exists: every route × { no key, a role too low, another club's ids, own club }
 * → only the expected statuses, and no answer to club B ever carries club A's data.
 * A route whose path parameters this file cannot fill fails the suite: add it to FIXTURE_PARAMS.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { app, newClub, platformKey, type Running, type TestClub } from "../support/app";
import { withEnv } from "../../services/webhooks/test/receiver";

interface Op {
	method: string;
	path: string; // /api/v1/clients/{id}
	role: string;
	action: string;
}

const RANK: Record<string, number> = { viewer: 1, staff: 2, admin: 3 };

interface Fixtures {
	club: TestClub;
	ids: Record<string, string>;
	markers: string[];
}

async function expectStatus(res: { status: number; text: string }, expected: number[], what: string) {
	assert.ok(expected.includes(res.status), `${what}: got ${res.status} (expected ${expected.join("|")}) ${res.text.slice(0, 300)}`);
}

/** Club A's resources, one of each kind, made through the API. */
async function buildFixtures(a: Running, club: TestClub): Promise<Fixtures> {
	const h = a.http;
	const tag = crypto.randomBytes(4).toString("hex");
	const ok = (res: any, what: string) => {
		assert.ok(res.status >= 200 && res.status < 300, `fixture ${what}: ${res.status} ${res.text}`);
		return res.body;
	};
	const group = ok(await h.post("/groups", { name: `Secret group ${tag}` }, { key: club.admin }), "group");
	const category = ok(await h.post("/categories", { name: `Secret category ${tag}`, discountPercent: 10 }, { key: club.admin }), "category");
	const email = `secret.${tag}@example.com`;
	const client = ok(await h.post("/clients", { fullName: `Zebulon Secret ${tag}`, email, phone: "+34600111222", gender: "male", country: "ES", tags: [`secret-${tag}`] }, { key: club.staff }), "client");
	ok(await h.put(`/clients/${client.id}/categories/${category.id}`, {}, { key: club.staff }), "client category");
	const duplicate = ok(await h.post("/clients", { fullName: `Zebulon Secret ${tag}`, email: `dup.${email}`, phone: "+34600111222", gender: "male", country: "ES" }, { key: club.staff }), "duplicate client");
	const wallet = ok(await h.post(`/clients/${client.id}/wallets`, { currency: "EUR" }, { key: club.staff }), "wallet");
	const topUp = ok(await h.post(`/wallets/${wallet.id}/top-up`, { amount: 5000, reference: `secret-${tag}` }, { key: club.staff, idempotencyKey: `t-${tag}` }), "top-up");
	const debit = ok(await h.post(`/wallets/${wallet.id}/debit`, { amount: 100 }, { key: club.staff, idempotencyKey: `d-${tag}` }), "debit");
	const productId = `court-${tag}`;
	ok(await h.put(`/products/${productId}/access`, { kind: "activity", groupIds: [group.id] }, { key: club.admin }), "product access");
	const starts = new Date(Date.now() + 7 * 86400_000);
	starts.setUTCMinutes(0, 0, 0);
	const ends = new Date(starts.getTime() + 3600_000);
	const single = ok(await h.post("/bookings", { clientId: client.id, productId: `open-${tag}`, startsAt: starts.toISOString(), endsAt: ends.toISOString(), channel: "staff" }, { key: club.staff }), "booking");
	const series = ok(
		await h.post("/bookings", { clientId: client.id, productId: `open-${tag}`, startsAt: new Date(starts.getTime() + 86400_000).toISOString(), endsAt: new Date(ends.getTime() + 86400_000).toISOString(), channel: "staff", recurrence: { frequency: "weekly", count: 3 } }, { key: club.staff }),
		"series",
	);
	const csv = `full_name,email,phone,gender,country\nYolanda Secret ${tag},yolanda.${tag}@example.com,+34600999888,female,ES\n`;
	const job = ok(await h.request("POST", "/api/v1/imports", { key: club.staff, rawBody: csv, headers: { "content-type": "text/csv" } }), "import");
	const key = ok(await h.post("/api-keys", { name: `secret-key-${tag}`, role: "viewer" }, { key: club.admin }), "api key");
	const member = ok(await h.post("/staff", { name: `Secret Member ${tag}`, email: `member.${tag}@example.com`, role: "viewer" }, { key: club.admin }), "staff member");
	// A webhook endpoint on a closed loopback port (its deliveries fail, which is all the matrix needs).
	const endpoint = ok(await h.post("/webhooks", { url: `http://127.0.0.1:9/hook-${tag}`, events: ["*"] }, { key: club.admin }), "webhook");
	ok(await h.post(`/webhooks/${endpoint.id}/test`, {}, { key: club.admin }), "webhook test");
	let delivery: any;
	for (let i = 0; i < 100 && !delivery; i++) {
		delivery = ok(await h.get(`/webhooks/${endpoint.id}/deliveries`, { key: club.admin }), "deliveries").items[0];
		if (!delivery) await new Promise(r => setTimeout(r, 50));
	}
	assert.ok(delivery, "the test delivery is listed");
	return {
		club,
		ids: {
			webhooks: endpoint.id,
			deliveryId: delivery.id,
			"api-keys": key.id,
			staff: member.id,
			groups: group.id,
			categories: category.id,
			clients: client.id,
			duplicateId: duplicate.id,
			wallets: wallet.id,
			bookings: single.bookings[0].id,
			imports: job.id,
			categoryId: category.id,
			seriesId: series.bookings[0].seriesId,
			productId,
			transactionId: debit.id,
			topUpId: topUp.id,
		},
		markers: [client.id, email, `Zebulon Secret ${tag}`, group.id, `Secret group ${tag}`, category.id, wallet.id, debit.id, single.bookings[0].id, job.id, key.id, `secret-${tag}`, `yolanda.${tag}`, member.id, `member.${tag}`, `Secret Member ${tag}`, endpoint.id, `hook-${tag}`],
	};
}

/** Fills a path template with the fixture of that resource; null when it cannot. */
function fill(path: string, f: Fixtures): string | null {
	const segs = path.replace("/api/v1", "").split("/").filter(Boolean);
	let ok = true;
	const out = segs.map((seg, i) => {
		const m = /^\{(.+)\}$/.exec(seg);
		if (!m) return seg;
		const name = m[1];
		const value = name === "id" ? f.ids[segs[i - 1]] : f.ids[name];
		if (!value) ok = false;
		return value ?? seg;
	});
	return ok ? "/" + out.join("/") : null;
}

/** A valid body for each write route, so a 404 is not hidden behind a 422. */
function bodyFor(op: Op, f: Fixtures): unknown {
	const p = op.path.replace("/api/v1", "");
	const table: Record<string, unknown> = {
		"PATCH /clients/{id}": { notes: "changed" },
		"PUT /clients/{id}/categories/{categoryId}": {},
		"POST /clients/{id}/wallets": { currency: "USD" },
		"POST /clients/{id}/merge": { sourceId: f.ids.duplicateId, dryRun: true },
		"PATCH /groups/{id}": { maxFutureBookings: 2 },
		"PATCH /categories/{id}": { description: "changed" },
		"PUT /products/{productId}/access": { kind: "product", groupIds: [] },
		"POST /wallets/{id}/top-up": { amount: 1 },
		"POST /wallets/{id}/debit": { amount: 1 },
		"POST /wallets/{id}/refund": { transactionId: f.ids.transactionId, amount: 1 },
		"POST /bookings/{id}/cancel": {},
		"POST /bookings/series/{seriesId}/cancel": {},
		"POST /imports/{id}/cancel": {},
	};
	return table[`${op.method} ${p}`] ?? {};
}

describe("Tenancy matrix (generated from the OpenAPI document)", function () {
	this.timeout(300_000);
	let a: Running;
	let ops: Op[] = [];
	let A: Fixtures;
	let B: TestClub;

	let restoreEnv: () => void;
	before(async () => {
		restoreEnv = withEnv({ WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_ALLOW_PRIVATE: "true" });
		a = await app();
		const doc = (await a.http.get("/api/openapi.json")).body;
		for (const [p, methods] of Object.entries<any>(doc.paths)) {
			if (!p.startsWith("/api/v1/")) continue;
			for (const [m, op] of Object.entries<any>(methods)) ops.push({ method: m.toUpperCase(), path: p, role: op["x-required-role"], action: op["x-action"] });
		}
		A = await buildFixtures(a, await newClub(a.http));
		B = await newClub(a.http);
	});
	after(() => restoreEnv());

	it("when a route has path parameters, then this matrix knows how to fill them", () => {
		const unknown = ops.filter(op => op.path.includes("{") && !fill(op.path, A)).map(op => `${op.method} ${op.path}`);
		assert.deepEqual(unknown, [], "add these routes' parameters to the fixtures");
	});

	it("when no key is sent, then every non-public route answers 401", async () => {
		for (const op of ops.filter(o => o.role !== "public")) {
			const url = fill(op.path, A) ?? op.path;
			const res = await a.http.request(op.method, url, { body: op.method === "GET" || op.method === "DELETE" ? undefined : bodyFor(op, A) });
			await expectStatus(res, [401], `${op.method} ${op.path} without a key`);
		}
	});

	it("when a role is too low (or the platform key is used on a club route), then 403", async () => {
		for (const op of ops.filter(o => o.role !== "public")) {
			const url = fill(op.path, A)!;
			const body = op.method === "GET" || op.method === "DELETE" ? undefined : bodyFor(op, A);
			if (op.role === "platform") {
				await expectStatus(await a.http.request(op.method, url, { key: A.club.admin, body }), [403], `${op.method} ${op.path} with a club key`);
				continue;
			}
			await expectStatus(await a.http.request(op.method, url, { key: platformKey(), body }), [403], `${op.method} ${op.path} with the platform key`);
			const lower = (["viewer", "staff"] as const).filter(r => RANK[r] < RANK[op.role] || (r === "viewer" && op.method !== "GET"));
			for (const r of lower) {
				await expectStatus(await a.http.request(op.method, url, { key: A.club[r], body, idempotencyKey: `low-${crypto.randomUUID()}` }), [403], `${op.method} ${op.path} as ${r}`);
			}
		}
	});

	it("when club B uses club A's ids, then every route answers 404 and nothing of A leaks", async () => {
		const leaks: string[] = [];
		const wrong: string[] = [];
		const ordered = [...ops].sort((x, y) => Number(x.method === "DELETE") - Number(y.method === "DELETE"));
		for (const op of ordered) {
			if (op.role === "platform") continue;
			const url = fill(op.path, A)!;
			const body = op.method === "GET" || op.method === "DELETE" ? undefined : bodyFor(op, A);
			const res = await a.http.request(op.method, url, { key: B.admin, body, idempotencyKey: `x-${crypto.randomUUID()}` });
			const tenantOwned = op.path.includes("{") && !op.path.includes("{productId}");
			if (tenantOwned && res.status !== 404) wrong.push(`${op.method} ${op.path} -> ${res.status} ${res.text.slice(0, 200)}`);
			if (res.status >= 500) wrong.push(`${op.method} ${op.path} -> ${res.status}`);
			for (const m of A.markers) if (res.text.includes(m)) leaks.push(`${op.method} ${op.path} carries ${m}`);
		}
		assert.deepEqual(wrong, []);
		assert.deepEqual(leaks, []);
		// A's data is untouched by B's attempts.
		const client = await a.http.get(`/clients/${A.ids.clients}`, { key: A.club.viewer });
		assert.equal(client.status, 200);
		assert.notEqual(client.body.notes, "changed");
		const rule = await a.http.get(`/products/${A.ids.productId}/access`, { key: A.club.viewer });
		assert.equal(rule.status, 200);
		assert.equal(rule.body.kind, "activity");
		assert.equal((await a.http.get(`/wallets/${A.ids.wallets}`, { key: A.club.viewer })).body.balance, 4900);
	});

	it("when club A reads its own resources, then every GET answers 200", async () => {
		for (const op of ops.filter(o => o.method === "GET" && o.role !== "platform")) {
			const url = fill(op.path, A)!;
			const role = (["viewer", "staff", "admin"] as const).find(r => RANK[r] >= RANK[op.role])!;
			const res = await a.http.request("GET", url, { key: A.club[role] });
			await expectStatus(res, [200], `GET ${op.path} by its own club (${role})`);
		}
	});

	it("when club A writes its own resources with the right role, then no answer is 401/403/404 or 5xx", async () => {
		const ordered = [...ops].sort((x, y) => Number(x.method === "DELETE") - Number(y.method === "DELETE"));
		for (const op of ordered.filter(o => o.method !== "GET" && o.role !== "platform")) {
			const url = fill(op.path, A)!;
			const body = op.method === "DELETE" ? undefined : bodyFor(op, A);
			const res = await a.http.request(op.method, url, { key: A.club.admin, body, idempotencyKey: `own-${crypto.randomUUID()}` });
			assert.ok(![401, 403, 404].includes(res.status) && res.status < 500, `${op.method} ${op.path} by its own club: ${res.status} ${res.text.slice(0, 300)}`);
		}
	});
});
