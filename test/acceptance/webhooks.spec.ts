/** API.md "Webhooks" and PRODUCT.md §11, as an integrator sees them, embedded and on the cluster. */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { assertError, createClient, forEachTopology, newClub, type TestClub } from "./support";
import { startReceiver, until, withEnv, type Receiver } from "../../services/webhooks/test/receiver";
import { pauseOtherRelays } from "../support/app";

forEachTopology("Acceptance: webhooks", env => {
	let club: TestClub;
	let rx: Receiver;
	let restore: () => void;
	let resumeOthers: () => void;
	before(async () => {
		// Every test app shares one database: another running app's relay could take this
		// topology's outbox rows and hand them to its own webhooks service (or to none).
		resumeOthers = await pauseOtherRelays(env().running.brokers);
		// The receiver runs on 127.0.0.1 over http: allowed only with both flags.
		restore = withEnv({ WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_RETRY_SCHEDULE_S: "0.1" });
		club = await newClub(env().http);
		rx = await startReceiver();
	});
	after(async () => {
		resumeOthers?.();
		restore();
		await rx.close();
	});

	it("when an admin registers, reads, changes and deletes an endpoint, then the secret is shown once and the shapes are API.md's", async () => {
		const { http } = env();
		const res = await http.post("/webhooks", { url: rx.url("/acc"), events: ["clients.created"], description: "CRM" }, { key: club.admin });
		assert.equal(res.status, 201, res.text);
		assert.deepEqual(Object.keys(res.body).sort(), ["createdAt", "description", "events", "id", "secret", "status", "updatedAt", "url"]);
		assert.match(res.body.secret, /^whsec_/);
		assert.ok(Buffer.from(res.body.secret.slice(6), "base64").length >= 24);
		const { secret: _s, ...endpoint } = res.body;
		assert.deepEqual((await http.get(`/webhooks/${endpoint.id}`, { key: club.admin })).body, endpoint);
		assert.deepEqual((await http.get("/webhooks", { key: club.admin })).body, { items: [endpoint], nextCursor: null });
		const paused = await http.patch(`/webhooks/${endpoint.id}`, { status: "paused" }, { key: club.admin });
		assert.equal(paused.body.status, "paused");
		assertError(await http.post("/webhooks", { url: rx.url(), events: ["*"] }, { key: club.staff }), 403, "FORBIDDEN");
		const other = await newClub(http);
		assertError(await http.get(`/webhooks/${endpoint.id}`, { key: other.admin }), 404, "NOT_FOUND");
		assert.equal((await http.del(`/webhooks/${endpoint.id}`, { key: club.admin })).status, 204);
		assertError(await http.get(`/webhooks/${endpoint.id}`, { key: club.admin }), 404, "NOT_FOUND");
	});

	it("when a test event is sent, then 202 and a Standard Webhooks-signed webhook.test arrives and is logged delivered", async () => {
		const { http } = env();
		const ep = (await http.post("/webhooks", { url: rx.url("/acc-test"), events: ["*"] }, { key: club.admin })).body;
		const res = await http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin });
		assert.equal(res.status, 202, res.text);
		const [req] = await until(() => rx.received.filter(r => r.path === "/acc-test"), l => l.length === 1, "the test delivery");
		const payload: any = new Webhook(ep.secret).verify(req.body, req.headers);
		assert.equal(payload.type, "webhook.test");
		const log = await until(async () => (await http.get(`/webhooks/${ep.id}/deliveries`, { key: club.admin })).body, b => b.items?.[0]?.status === "delivered", "logged");
		assert.deepEqual(Object.keys(log.items[0]).sort(), ["attempts", "createdAt", "eventId", "id", "lastError", "lastStatus", "nextAttemptAt", "status", "type"]);
		assert.equal(log.items[0].id, req.headers["webhook-id"]);
		assert.equal(log.nextCursor, null);
	});

	it("when a client is created, then the endpoints taking clients.created get it signed, with the client as the API shows it", async function () {
		this.timeout(90_000);
		const { http } = env();
		const ep = (await http.post("/webhooks", { url: rx.url("/acc-clients"), events: ["clients.created"] }, { key: club.admin })).body;
		const groupsOnly = (await http.post("/webhooks", { url: rx.url("/acc-groups"), events: ["groups.deleted"] }, { key: club.admin })).body;
		const client = await createClient(http, club);
		const [req] = await until(() => rx.received.filter(r => r.path === "/acc-clients"), l => l.length === 1, "clients.created", 60_000); // an import spec before may leave a long outbox backlog
		const payload: any = new Webhook(ep.secret).verify(req.body, req.headers);
		assert.equal(payload.type, "clients.created");
		assert.deepEqual(payload.data, (await http.get(`/clients/${client.id}`, { key: club.staff })).body);
		assert.ok(!Number.isNaN(Date.parse(payload.timestamp)));
		await new Promise(r => setTimeout(r, 300));
		assert.equal(rx.received.filter(r => r.path === "/acc-groups").length, 0);
		assert.equal((await http.get(`/webhooks/${groupsOnly.id}/deliveries`, { key: club.admin })).body.items.length, 0);
	});

	it("when the URL is http: or resolves to a loopback or private address with the flags off, then 422 URL_NOT_ALLOWED", async () => {
		const { http } = env();
		const off = withEnv({ WEBHOOK_ALLOW_HTTP: undefined, WEBHOOK_ALLOW_PRIVATE: undefined });
		try {
			for (const url of ["http://example.com/hook", "https://127.0.0.1/hook", "https://10.0.0.8/hook", "https://[::1]/hook", "https://169.254.169.254/"]) {
				assertError(await http.post("/webhooks", { url, events: ["*"] }, { key: club.admin }), 422, "URL_NOT_ALLOWED");
			}
		} finally {
			off();
		}
	});
});
