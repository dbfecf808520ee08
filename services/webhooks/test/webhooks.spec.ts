/**
 * Webhooks through the real gateway on real Postgres, delivered to a local receiver on
 * 127.0.0.1 (so WEBHOOK_ALLOW_HTTP and WEBHOOK_ALLOW_PRIVATE are on, except where the
 * refusals are checked), signatures verified with the `standardwebhooks` package.
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";
import { startReceiver, until, withEnv, type Receiver, type Received } from "./receiver";

const MISSING = "00000000-0000-4000-8000-000000000000";

describe("Webhooks", function () {
	this.timeout(30_000);
	let a: Running;
	let club: TestClub;
	let other: TestClub;
	let rx: Receiver;
	let restoreEnv: () => void;
	/** Per path: what the receiver answers (default 200). */
	const answers = new Map<string, (req: Received) => ReturnType<Receiver["respond"]>>();

	before(async () => {
		restoreEnv = withEnv({ WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_RETRY_SCHEDULE_S: "0.1,0.2" });
		a = await app();
		[club, other] = await Promise.all([newClub(a.http), newClub(a.http)]);
		rx = await startReceiver(req => answers.get(req.path)?.(req) ?? { status: 200 });
	});
	after(async () => {
		restoreEnv();
		await rx?.close();
	});

	const at = (path: string) => rx.received.filter(r => r.path === path);
	const register = async (path: string, body: Record<string, unknown> = {}, c = club) => {
		const res = await a.http.post("/webhooks", { url: rx.url(path), events: ["*"], ...body }, { key: c.admin });
		assert.equal(res.status, 201, res.text);
		return res.body;
	};
	const deliveries = async (id: string, c = club) => (await a.http.get(`/webhooks/${id}/deliveries`, { key: c.admin })).body.items as any[];

	describe("endpoints", () => {
		it("when an admin registers an endpoint, then it is answered with a whsec_ secret once and kept without it", async () => {
			const res = await a.http.post("/webhooks", { url: rx.url("/crud"), events: ["clients.created", "clients.created", "groups.deleted"], description: "CRM sync" }, { key: club.admin });
			assert.equal(res.status, 201, res.text);
			const ep = res.body;
			assert.deepEqual(Object.keys(ep).sort(), ["createdAt", "description", "events", "id", "secret", "status", "updatedAt", "url"]);
			assert.match(ep.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
			assert.ok(Buffer.from(ep.secret.slice(6), "base64").length >= 24);
			assert.deepEqual(ep.events, ["clients.created", "groups.deleted"]);
			assert.equal(ep.status, "active");
			assert.equal(res.headers.get("location"), `/api/v1/webhooks/${ep.id}`);

			const got = await a.http.get(`/webhooks/${ep.id}`, { key: club.admin });
			assert.equal(got.status, 200);
			const { secret: _secret, ...withoutSecret } = ep;
			assert.deepEqual(got.body, withoutSecret);
			const list = await a.http.get("/webhooks", { key: club.admin });
			assert.equal(list.status, 200);
			assert.deepEqual(list.body.items.find((e: any) => e.id === ep.id), withoutSecret);
			assert.ok(!list.text.includes(ep.secret));

			const patched = await a.http.patch(`/webhooks/${ep.id}`, { events: ["*"], description: null }, { key: club.admin });
			assert.equal(patched.status, 200, patched.text);
			assert.deepEqual(patched.body.events, ["*"]);
			assert.equal(patched.body.description, null);
			assert.ok(patched.body.updatedAt >= ep.updatedAt);

			assert.equal((await a.http.del(`/webhooks/${ep.id}`, { key: club.admin })).status, 204);
			assert.equal((await a.http.get(`/webhooks/${ep.id}`, { key: club.admin })).status, 404);
			assert.equal((await a.http.del(`/webhooks/${ep.id}`, { key: club.admin })).status, 404);
		});

		it("when endpoints are created, changed, rotated, tested and deleted, then each change has one entry in the audit trail, without secrets", async () => {
			const ep = await register("/audited", { events: ["clients.created"] });
			await a.http.patch(`/webhooks/${ep.id}`, { events: ["clients.created"], status: "paused" }, { key: club.admin });
			const rot = (await a.http.post(`/webhooks/${ep.id}/rotate-secret`, {}, { key: club.admin })).body;
			const test = (await a.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin })).body;
			await a.http.post(`/webhooks/${ep.id}/deliveries/${test.id}/retry`, {}, { key: club.admin });
			await a.http.del(`/webhooks/${ep.id}`, { key: club.admin });
			const trail = async () => {
				const [byEndpoint, byDelivery] = await Promise.all([
					a.http.get(`/audit?targetType=webhook&targetId=${ep.id}`, { key: club.admin }),
					a.http.get(`/audit?targetType=delivery&targetId=${test.id}`, { key: club.admin }),
				]);
				return [...(byEndpoint.body.items ?? []), ...(byDelivery.body.items ?? [])].sort((x: any, y: any) => x.at.localeCompare(y.at));
			};
			const entries = await until(trail, l => l.length === 6, "six audit entries");
			assert.deepEqual(entries.map((e: any) => e.action), ["webhooks.create", "webhooks.update", "webhooks.rotateSecret", "webhooks.test", "webhooks.retry", "webhooks.delete"]);
			assert.deepEqual(entries[0].changes, { url: [null, ep.url], events: [null, ["clients.created"]], status: [null, "active"] });
			assert.deepEqual(entries[1].changes, { status: ["active", "paused"] });
			assert.equal(entries[5].changes.url[0], ep.url);
			assert.ok(entries.every((e: any) => e.actor.type === "key" && e.actor.id === club.adminKeyId));
			const text = JSON.stringify(entries);
			assert.ok(!text.includes(ep.secret) && !text.includes(rot.secret) && !text.includes("whsec_"));
			assert.equal((await a.http.get(`/audit?targetType=webhook&targetId=${ep.id}`, { key: other.admin })).body.items.length, 0);
		});

		it("when the body has unknown fields, no events, an unknown event type or a non-URL, then 422 names the field", async () => {
			const cases: Array<[Record<string, unknown>, string]> = [
				[{ url: rx.url(), events: ["*"], secret: "whsec_mine" }, "secret"],
				[{ url: rx.url(), events: [] }, "events"],
				[{ url: rx.url(), events: ["clients.exploded"] }, "events[0]"],
				[{ url: rx.url() }, "events"],
				[{ url: "not a url", events: ["*"] }, "url"],
				[{ url: rx.url(), events: ["*"], status: "deleted" }, "status"],
			];
			for (const [body, field] of cases) {
				const res = await a.http.post("/webhooks", body, { key: club.admin });
				assert.equal(res.status, 422, `${JSON.stringify(body)}: ${res.text}`);
				assert.ok(res.body.data.some((d: any) => d.field === field), `${field}: ${res.text}`);
			}
			const ep = await register("/crud-422");
			const bad = await a.http.patch(`/webhooks/${ep.id}`, { url: null }, { key: club.admin });
			assert.equal(bad.status, 422);
		});

		it("when a staff or viewer key calls the webhooks routes, then 403; another club's endpoint is a 404 everywhere", async () => {
			const ep = await register("/tenancy");
			for (const key of [club.staff, club.viewer]) {
				assert.equal((await a.http.get("/webhooks", { key })).status, 403);
				assert.equal((await a.http.post("/webhooks", { url: rx.url(), events: ["*"] }, { key })).status, 403);
			}
			const test = await a.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin });
			assert.equal(test.status, 202);
			const calls: Array<[string, string, unknown?]> = [
				["GET", `/webhooks/${ep.id}`],
				["PATCH", `/webhooks/${ep.id}`, { description: "mine" }],
				["DELETE", `/webhooks/${ep.id}`],
				["POST", `/webhooks/${ep.id}/rotate-secret`, {}],
				["POST", `/webhooks/${ep.id}/test`, {}],
				["GET", `/webhooks/${ep.id}/deliveries`],
				["POST", `/webhooks/${ep.id}/deliveries/${test.body.id}/retry`, {}],
			];
			const own: Array<[string, string, unknown?]> = [
				["GET", `/webhooks/${MISSING}`],
				["GET", "/webhooks/not-a-uuid"],
				["POST", `/webhooks/${ep.id}/deliveries/not-a-uuid/retry`, {}],
				["POST", `/webhooks/${ep.id}/deliveries/${MISSING}/retry`, {}],
			];
			for (const [[method, path, body], key] of [...calls.map(c => [c, other.admin] as const), ...own.map(c => [c, club.admin] as const)]) {
				const res = await a.http.request(method, path, { key, body });
				assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
				assert.equal(res.body.type, "NOT_FOUND");
			}
			assert.equal((await a.http.get("/webhooks", { key: other.admin })).body.items.length, 0);
			assert.equal((await a.http.get(`/webhooks/${ep.id}`, { key: club.admin })).status, 200);
		});
	});

	describe("deliveries", () => {
		it("when an endpoint is sent a test event, then 202 and the receiver gets a POST whose Standard Webhooks signature verifies", async () => {
			const ep = await register("/test-event");
			const res = await a.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin });
			assert.equal(res.status, 202, res.text);
			assert.equal(res.body.type, "webhook.test");
			assert.equal(res.body.status, "pending");
			const [req] = await until(() => at("/test-event"), l => l.length === 1, "the test delivery");
			assert.equal(req.headers["content-type"], "application/json");
			assert.equal(req.headers["webhook-id"], res.body.id);
			assert.ok(Math.abs(Number(req.headers["webhook-timestamp"]) - Date.now() / 1000) < 30);
			const payload: any = new Webhook(ep.secret).verify(req.body, req.headers);
			assert.equal(payload.type, "webhook.test");
			assert.ok(!Number.isNaN(Date.parse(payload.timestamp)));
			assert.equal(payload.data.endpointId, ep.id);
			assert.throws(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString("base64")}`).verify(req.body, req.headers));
			assert.throws(() => new Webhook(ep.secret).verify(req.body.replace("webhook.test", "webhook.tesT"), req.headers));

			const [d] = await until(() => deliveries(ep.id), l => l[0]?.status === "delivered", "delivered in the log");
			assert.deepEqual(Object.keys(d).sort(), ["attempts", "createdAt", "eventId", "id", "lastError", "lastStatus", "nextAttemptAt", "status", "type"]);
			assert.equal(d.attempts, 1);
			assert.equal(d.lastStatus, 200);
			assert.equal(d.lastError, null);
			assert.equal(d.nextAttemptAt, null);

			// A delivered delivery may be sent again on demand, under the same webhook-id.
			assert.equal((await a.http.post(`/webhooks/${ep.id}/deliveries/${d.id}/retry`, {}, { key: club.admin })).status, 202);
			const again = await until(() => at("/test-event"), l => l.length === 2, "the re-sent delivery");
			assert.equal(again[1].headers["webhook-id"], d.id);
			assert.equal(again[1].body, req.body);
			await until(() => deliveries(ep.id), l => l[0]?.status === "delivered" && l[0].attempts === 2, "delivered twice");
		});

		it("when the receiver keeps failing, then the delivery is retried on the schedule with the same webhook-id, then failed; a manual retry re-sends it", async () => {
			let status = 500;
			answers.set("/failing", () => ({ status, body: "x".repeat(100_000) }));
			const ep = await register("/failing");
			const test = (await a.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin })).body;
			// 1 attempt + 2 retries (WEBHOOK_RETRY_SCHEDULE_S=0.1,0.2), then failed.
			const [d] = await until(() => deliveries(ep.id), l => l[0]?.status === "failed", "failed");
			assert.equal(d.attempts, 3);
			assert.equal(d.lastStatus, 500);
			assert.match(d.lastError, /^HTTP 500/);
			assert.ok(d.lastError.length < 300);
			assert.equal(d.nextAttemptAt, null);
			const reqs = at("/failing");
			assert.equal(reqs.length, 3);
			assert.deepEqual(new Set(reqs.map(r => r.headers["webhook-id"])), new Set([test.id]));
			assert.ok(reqs[1].at - reqs[0].at >= 90 && reqs[2].at - reqs[1].at >= 190, "the schedule's delays");
			for (const r of reqs) new Webhook(ep.secret).verify(r.body, r.headers);
			assert.equal(new Set(reqs.map(r => r.body)).size, 1, "the same body on every attempt");

			status = 204;
			const retry = await a.http.post(`/webhooks/${ep.id}/deliveries/${test.id}/retry`, {}, { key: club.admin });
			assert.equal(retry.status, 202, retry.text);
			assert.equal(retry.body.status, "pending");
			const [after] = await until(() => deliveries(ep.id), l => l[0]?.status === "delivered", "delivered after the manual retry");
			assert.equal(after.attempts, 4);
			assert.equal(after.lastStatus, 204);
			assert.equal(at("/failing").length, 4);
			assert.equal(at("/failing")[3].headers["webhook-id"], test.id);
		});

		it("when the receiver answers a redirect, then it is not followed and the attempt counts as a failure", async () => {
			answers.set("/redirect", () => ({ status: 302, headers: { location: rx.url("/redirect-target") } }));
			const ep = await register("/redirect");
			await a.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin });
			const [d] = await until(() => deliveries(ep.id), l => l[0]?.status === "failed", "failed on 302s");
			assert.equal(d.lastStatus, 302);
			assert.equal(at("/redirect-target").length, 0);
		});

		it("when the receiver does not answer within the timeout, then the attempt fails with a timeout", async () => {
			const restore = withEnv({ WEBHOOK_TIMEOUT_MS: "300", WEBHOOK_RETRY_SCHEDULE_S: "0" });
			try {
				answers.set("/slow", () => ({ status: 200, delayMs: 2000 }));
				const ep = await register("/slow");
				await a.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin });
				const [d] = await until(() => deliveries(ep.id), l => l[0]?.status === "failed", "failed on timeouts");
				assert.equal(d.attempts, 2);
				assert.equal(d.lastStatus, null);
				assert.match(d.lastError, /no answer within 300 ms/);
			} finally {
				restore();
			}
		});

		it("when the secret is rotated, then deliveries carry two signatures during the overlap, each verifying with its secret", async () => {
			const ep = await register("/rotate");
			const rot = await a.http.post(`/webhooks/${ep.id}/rotate-secret`, {}, { key: club.admin });
			assert.equal(rot.status, 200, rot.text);
			assert.match(rot.body.secret, /^whsec_/);
			assert.notEqual(rot.body.secret, ep.secret);
			const overlap = Date.parse(rot.body.previousSecretExpiresAt) - Date.now();
			assert.ok(overlap > 23.9 * 3600e3 && overlap <= 24 * 3600e3, String(overlap));
			assert.ok(!(await a.http.get(`/webhooks/${ep.id}`, { key: club.admin })).text.includes("whsec_"));

			await a.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin });
			const [req] = await until(() => at("/rotate"), l => l.length === 1, "a delivery after rotation");
			const sigs = req.headers["webhook-signature"].split(" ");
			assert.equal(sigs.length, 2);
			for (const secret of [ep.secret, rot.body.secret]) {
				const one = sigs.filter(s => {
					try {
						new Webhook(secret).verify(req.body, { ...req.headers, "webhook-signature": s });
						return true;
					} catch {
						return false;
					}
				});
				assert.equal(one.length, 1, "exactly one signature per secret");
			}
		});

		it("when an endpoint is paused, then its deliveries wait (pending) and go out when it is resumed", async () => {
			const ep = await register("/paused", { status: "paused" });
			assert.equal(ep.status, "paused");
			const test = await a.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin });
			assert.equal(test.status, 202);
			await new Promise(r => setTimeout(r, 700));
			assert.equal(at("/paused").length, 0);
			assert.equal((await deliveries(ep.id))[0].status, "pending");
			const resumed = await a.http.patch(`/webhooks/${ep.id}`, { status: "active" }, { key: club.admin });
			assert.equal(resumed.body.status, "active");
			await until(() => at("/paused"), l => l.length === 1, "the queued delivery after resume");
			const [d] = await until(() => deliveries(ep.id), l => l[0]?.status === "delivered", "delivered");
			assert.equal(d.id, test.body.id);
		});

		it("when an endpoint is deleted while its delivery waits for a retry, then nothing more is sent", async () => {
			const restore = withEnv({ WEBHOOK_RETRY_SCHEDULE_S: "0.5" });
			try {
				answers.set("/deleted", () => ({ status: 503 }));
				const ep = await register("/deleted");
				await a.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin });
				await until(() => at("/deleted"), l => l.length === 1, "first attempt");
				assert.equal((await a.http.del(`/webhooks/${ep.id}`, { key: club.admin })).status, 204);
				await new Promise(r => setTimeout(r, 900));
				assert.equal(at("/deleted").length, 1);
				assert.equal((await a.http.get(`/webhooks/${ep.id}/deliveries`, { key: club.admin })).status, 404);
			} finally {
				restore();
			}
		});

		it("when a delivery finished more than WEBHOOK_KEEP_DAYS ago, then the workers prune it; pending ones stay", async () => {
			const ep = await register("/retention");
			const first = (await a.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin })).body;
			await until(() => deliveries(ep.id), l => l[0]?.status === "delivered", "delivered");
			await a.http.patch(`/webhooks/${ep.id}`, { status: "paused" }, { key: club.admin });
			const waiting = (await a.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin })).body;
			const webhooks: any = a.brokers[0].getLocalService("webhooks");
			await webhooks.db("deliveries").whereIn("id", [first.id, waiting.id]).update({ updated_at: webhooks.db.raw("now() - interval '31 days'") });
			assert.ok((await webhooks.worker.prune()) >= 1);
			assert.deepEqual((await deliveries(ep.id)).map(d => d.id), [waiting.id]);
		});

		it("when deliveries are listed, then they page newest first with the list shape", async () => {
			const ep = await register("/paging", { status: "paused" });
			const ids: string[] = [];
			for (let i = 0; i < 5; i++) ids.push((await a.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin })).body.id);
			const first = await a.http.get(`/webhooks/${ep.id}/deliveries?limit=3`, { key: club.admin });
			assert.equal(first.status, 200);
			assert.equal(first.body.items.length, 3);
			assert.ok(first.body.nextCursor);
			const rest = await a.http.get(`/webhooks/${ep.id}/deliveries?limit=3&cursor=${first.body.nextCursor}`, { key: club.admin });
			assert.equal(rest.body.nextCursor, null);
			assert.deepEqual([...first.body.items, ...rest.body.items].map((d: any) => d.id).sort(), [...ids].sort());
			const pending = await a.http.get(`/webhooks/${ep.id}/deliveries?status=pending`, { key: club.admin });
			assert.equal(pending.body.items.length, 5);
			assert.equal((await a.http.get(`/webhooks/${ep.id}/deliveries?status=delivered`, { key: club.admin })).body.items.length, 0);
			assert.equal((await a.http.get(`/webhooks/${ep.id}/deliveries?limit=0`, { key: club.admin })).status, 422);
		});
	});

	describe("domain events (transactional outbox)", () => {
		let mine: TestClub;
		before(async () => {
			mine = await newClub(a.http);
		});
		/** A committed change with its event, recorded as the clients service's actions do. */
		const commit = async (type: string, data: unknown, c = mine) => {
			const clients: any = a.brokers[0].getLocalService("clients");
			const ctx = { meta: { clubId: c.club.id }, requestID: null, nodeID: a.brokers[0].nodeID, caller: null };
			await clients.db.transaction((trx: any) => clients.recordChange(trx, ctx, { action: type.replace("d", ""), target: { type: "client", id: (data as any).id ?? "x" }, event: { type, data } }));
		};

		it("when a change with an event commits, then every endpoint taking its type gets it once, as { type, timestamp, data }, and the others do not", async () => {
			const all = await register("/events-all", {}, mine);
			const clientsOnly = await register("/events-clients", { events: ["clients.created", "clients.deleted"] }, mine);
			const groupsOnly = await register("/events-groups", { events: ["groups.updated"] }, mine);
			const elsewhere = await register("/events-other-club", {}, other);
			const data = { id: "7d1f6f2e-2b8e-4a51-9d7e-0c5b8a0e1111", fullName: "Ana García", email: "ana@example.com" };
			const before = Date.now();
			await commit("clients.created", data);
			const [got] = await until(() => at("/events-clients"), l => l.length === 1, "clients.created at the clients endpoint");
			await until(() => at("/events-all"), l => l.length === 1, "clients.created at the * endpoint");
			const payload: any = new Webhook(clientsOnly.secret).verify(got.body, got.headers);
			assert.deepEqual(payload.data, data);
			assert.equal(payload.type, "clients.created");
			assert.ok(Date.parse(payload.timestamp) >= before - 1000 && Date.parse(payload.timestamp) <= Date.now());
			new Webhook(all.secret).verify(at("/events-all")[0].body, at("/events-all")[0].headers);
			const [d] = await until(() => deliveries(clientsOnly.id, mine), l => l[0]?.status === "delivered", "logged");
			assert.equal(d.type, "clients.created");
			assert.equal(d.eventId, (await deliveries(all.id, mine))[0].eventId, "one event id for every endpoint");
			assert.notEqual(d.id, (await deliveries(all.id, mine))[0].id, "one delivery (webhook-id) per endpoint");

			await commit("clients.merged", { targetId: data.id, sourceId: "7d1f6f2e-2b8e-4a51-9d7e-0c5b8a0e2222" });
			await until(() => at("/events-all"), l => l.length === 2, "clients.merged at the * endpoint");
			await new Promise(r => setTimeout(r, 300));
			assert.equal(at("/events-clients").length, 1);
			assert.equal(at("/events-groups").length, 0);
			assert.equal(at("/events-other-club").length, 0);
			assert.equal((await deliveries(elsewhere.id, other)).length, 0);
		});

		it("when a client is created, changed and deleted through the API, then clients.created, clients.updated and clients.deleted reach the endpoint with the entity as the API shows it", async () => {
			const ep = await register("/clients-api", { events: ["clients.created", "clients.updated", "clients.deleted"] }, mine);
			const made = await a.http.post("/clients", { fullName: "Lucía Webhook", email: "lucia.webhook@example.com", phone: "+34600999111", gender: "female", country: "ES" }, { key: mine.staff });
			assert.equal(made.status, 201, made.text);
			const id = made.body.id;
			await a.http.patch(`/clients/${id}`, { notes: "Prefers mornings" }, { key: mine.staff });
			const shown = (await a.http.get(`/clients/${id}`, { key: mine.staff })).body;
			assert.equal((await a.http.del(`/clients/${id}`, { key: mine.staff })).status, 204);
			const got = await until(() => at("/clients-api"), l => l.length === 3, "three client events");
			const byType = new Map(got.map(r => [(new Webhook(ep.secret).verify(r.body, r.headers) as any).type, JSON.parse(r.body)]));
			assert.equal(byType.get("clients.created").data.id, id);
			assert.equal(byType.get("clients.created").data.email, "lucia.webhook@example.com");
			assert.deepEqual(byType.get("clients.updated").data, shown);
			assert.deepEqual(byType.get("clients.deleted").data, { clientId: id });
		});

		it("when the same outbox entry arrives twice, then it is delivered once per endpoint; entries without a webhook event are ignored", async () => {
			const ep = await register("/events-replay", {}, mine);
			const webhooks: any = a.brokers[0].getLocalService("webhooks");
			const msg = { id: "9c0e8f5a-1d2b-4c3d-8e4f-5a6b7c8d9e01", clubId: mine.club.id, at: new Date().toISOString(), service: "groups", action: "groups.update", actor: { type: "service", id: "t", name: "t" }, requestId: null, target: { type: "group", id: "g" }, changes: null, event: { type: "groups.updated", data: { id: "g" } } };
			assert.equal(await webhooks.ingest(msg), 3, "this endpoint, and the * and groups.updated ones of the previous test");
			assert.equal(await webhooks.ingest(msg), 0);
			assert.equal(await webhooks.ingest({ ...msg, id: "9c0e8f5a-1d2b-4c3d-8e4f-5a6b7c8d9e02", event: null }), 0);
			assert.equal(await webhooks.ingest({ ...msg, id: "9c0e8f5a-1d2b-4c3d-8e4f-5a6b7c8d9e03", event: { type: "categories.updated", data: {} } }), 0);
			await until(() => at("/events-replay"), l => l.length === 1, "the event");
			await new Promise(r => setTimeout(r, 300));
			assert.equal(at("/events-replay").length, 1);
			assert.equal((await deliveries(ep.id, mine)).length, 1);
		});
	});

	describe("SSRF", () => {
		it("when http:, loopback, private, link-local, CGNAT, unspecified or mapped addresses are registered with the flags off, then 422 URL_NOT_ALLOWED", async () => {
			const restore = withEnv({ WEBHOOK_ALLOW_HTTP: undefined, WEBHOOK_ALLOW_PRIVATE: undefined });
			try {
				const urls = [
					rx.url("/ssrf"),
					"https://127.0.0.1/hook",
					"https://localhost/hook",
					"https://[::1]/hook",
					"https://0.0.0.0/hook",
					"https://[::]/hook",
					"https://10.1.2.3/hook",
					"https://172.16.0.1/hook",
					"https://192.168.1.1/hook",
					"https://169.254.169.254/latest/meta-data",
					"https://100.64.0.1/hook",
					"https://[::ffff:127.0.0.1]/hook",
					"https://[::ffff:169.254.169.254]/hook",
					"https://[fe80::1]/hook",
					"https://[fd00:ec2::254]/hook",
					"https://2130706433/hook",
					"https://0x7f.1/hook",
					"https://user:pass@example.com/hook",
					"ftp://example.com/hook",
				];
				const fresh = await newClub(a.http);
				for (const url of urls) {
					const res = await a.http.post("/webhooks", { url, events: ["*"] }, { key: fresh.admin });
					assert.equal(res.status, 422, `${url}: ${res.text}`);
					assert.equal(res.body.type, "URL_NOT_ALLOWED", url);
					assert.equal(res.body.data[0].field, "url");
				}
				assert.equal((await a.http.get("/webhooks", { key: fresh.admin })).body.items.length, 0);
			} finally {
				restore();
			}
		});

		it("when a host does not resolve, then it may be registered and each attempt fails before connecting (retried, then failed)", async () => {
			const restore = withEnv({ WEBHOOK_ALLOW_HTTP: undefined, WEBHOOK_ALLOW_PRIVATE: undefined, WEBHOOK_RETRY_SCHEDULE_S: "0" });
			try {
				const res = await a.http.post("/webhooks", { url: "https://hooks.clubhouse.invalid/x", events: ["*"] }, { key: club.admin });
				assert.equal(res.status, 201, res.text);
				await a.http.post(`/webhooks/${res.body.id}/test`, {}, { key: club.admin });
				const [d] = await until(() => deliveries(res.body.id), l => l[0]?.status === "failed", "failed attempts", 20_000);
				assert.equal(d.attempts, 2);
				assert.match(d.lastError, /does not resolve/);
			} finally {
				restore();
			}
		});

		it("when an endpoint's address becomes forbidden after registration, then each attempt is refused before connecting", async () => {
			const ep = await register("/ssrf-later");
			const restore = withEnv({ WEBHOOK_ALLOW_PRIVATE: undefined, WEBHOOK_RETRY_SCHEDULE_S: "0" });
			try {
				await a.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin });
				const [d] = await until(() => deliveries(ep.id), l => l[0]?.status === "failed", "refused attempts");
				assert.equal(d.lastStatus, null);
				assert.match(d.lastError, /not allowed.*loopback/);
				assert.equal(at("/ssrf-later").length, 0);
			} finally {
				restore();
			}
			const patched = await a.http.patch(`/webhooks/${ep.id}`, { url: "https://[::1]:1/x" }, { key: club.admin });
			assert.equal(patched.status, 200, "WEBHOOK_ALLOW_PRIVATE is back on");
		});
	});
});
