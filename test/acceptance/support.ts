/**
 * Acceptance suite support: every spec under test/acceptance runs twice, once on the
 * embedded-style app (one broker, no transporter) and once on a six-node cluster over the
 * real nats-server (gateway | clubs+groups+staff | clients | wallets+booking-guard |
 * import+webhooks | a second gateway). Tests are written from API.md / PRODUCT.md as an outside integrator
 * would: through the gateway, and on the bus through a broker that hosts no domain service.
 */
import assert from "node:assert/strict";
import type { ServiceBroker } from "moleculer";
import { app, httpClient, newClub, startCluster, type Http, type Running, type TestClub } from "../support/app";
import { recordEvents, type SeenEvent } from "../support/events";
import { clientBody as person, createClient, email, esMobile, uid } from "../support/factories";

export type TopologyName = "embedded" | "cluster";

export interface Env {
	topology: TopologyName;
	running: Running;
	http: Http;
	/** A broker to call actions through; in the cluster it runs the gateway only. */
	bus: ServiceBroker;
	/** Every gateway of the topology (the cluster has two). */
	gateways: Http[];
	events: SeenEvent[];
	waitForEvent(pred: (e: SeenEvent) => boolean, ms?: number): Promise<SeenEvent>;
}

const WATCHED = [
	"clients.created", "clients.updated", "clients.deleted",
	"groups.updated", "groups.deleted", "categories.updated",
	"wallets.transacted", "bookings.confirmed", "bookings.cancelled",
	"imports.progress", "imports.finished",
];

async function withListener(topology: TopologyName, running: Running): Promise<Env> {
	const bus = running.brokers[0];
	const recorder = await recordEvents(bus, WATCHED, { knownBy: running.brokers.slice(1) });
	return {
		topology,
		running,
		http: running.http,
		bus,
		gateways: running.brokers.filter(b => b.getLocalService("api")).map(b => httpClient(`http://127.0.0.1:${(b.getLocalService("api") as any).server.address().port}`)),
		events: recorder.events,
		waitForEvent: (pred, ms = 5000) => recorder.waitFor(pred, ms),
	};
}

const started: Partial<Record<TopologyName, Promise<Env>>> = {};

function topology(name: TopologyName): Promise<Env> {
	started[name] = started[name] ?? (async () => {
		if (name === "embedded") return withListener(name, await app());
		const c = await startCluster([
			{ services: ["api"] },
			{ services: ["clubs", "groups", "staff"] },
			{ services: ["clients"] },
			{ services: ["wallets", "booking-guard"] },
			{ services: ["import", "webhooks"] },
			{ services: ["api"] },
		]);
		return withListener(name, c);
	})();
	return started[name]!;
}

/** ACCEPTANCE_TOPOLOGY=embedded|cluster runs one topology only (default: both). */
export function forEachTopology(title: string, body: (env: () => Env) => void): void {
	const only = process.env.ACCEPTANCE_TOPOLOGY;
	for (const name of ["embedded", "cluster"] as TopologyName[]) {
		if (only && only !== name) continue;
		describe(`${title} [${name}]`, function () {
			this.timeout(30_000);
			let env: Env;
			before(async function () {
				this.timeout(120_000);
				env = await topology(name);
			});
			body(() => env);
		});
	}
}

export async function groupsOf(http: Http, club: TestClub): Promise<{ byName: Record<string, any>; items: any[] }> {
	const res = await http.get("/groups?limit=500", { key: club.viewer });
	assert.equal(res.status, 200, res.text);
	const byName: Record<string, any> = {};
	for (const g of res.body.items) byName[g.name] = g;
	return { byName, items: res.body.items };
}

/** Midday UTC `days` from now, at whole hours (ISO with milliseconds). */
export function inDays(days: number, hour = 12): string {
	const d = new Date(Date.now() + days * 86_400_000);
	d.setUTCHours(hour, 0, 0, 0);
	return d.toISOString();
}

export const plusHours = (iso: string, h: number) => new Date(Date.parse(iso) + h * 3_600_000).toISOString();

export function assertError(res: { status: number; body: any; text: string }, status: number, type?: string): void {
	assert.equal(res.status, status, `expected ${status}${type ? ` ${type}` : ""}, got ${res.status}: ${res.text}`);
	assert.equal(typeof res.body, "object", `error body is JSON: ${res.text}`);
	assert.equal(res.body.code, status, res.text);
	assert.equal(typeof res.body.name, "string");
	assert.equal(typeof res.body.message, "string");
	if (type) assert.equal(res.body.type, type, res.text);
}

/** A 422 VALIDATION_ERROR naming `field` among its `data` entries. */
export function assertInvalid(res: { status: number; body: any; text: string }, field?: string): void {
	assertError(res, 422, "VALIDATION_ERROR");
	assert.ok(Array.isArray(res.body.data), `data is a list: ${res.text}`);
	for (const d of res.body.data) {
		assert.equal(typeof d.field, "string", res.text);
		assert.equal(typeof d.type, "string", res.text);
		assert.equal(typeof d.message, "string", res.text);
	}
	if (field) assert.ok(res.body.data.some((d: any) => d.field === field || d.field.startsWith(`${field}.`) || d.field.startsWith(`${field}[`)), `field ${field} named: ${res.text}`);
}

export async function poll<T>(fn: () => Promise<T>, done: (v: T) => boolean, ms = 15_000): Promise<T> {
	const until = Date.now() + ms;
	let last = await fn();
	while (!done(last)) {
		if (Date.now() > until) assert.fail(`condition not met within ${ms} ms: ${JSON.stringify(last)}`);
		await new Promise(r => setTimeout(r, 50));
		last = await fn();
	}
	return last;
}

/** Bus call that resolves to its error instead of throwing. */
export async function callErr(bus: ServiceBroker, action: string, params: unknown, meta?: Record<string, unknown>): Promise<any> {
	try {
		const r = await bus.call(action, params as any, meta ? { meta } : {});
		assert.fail(`${action} should have been refused, answered ${JSON.stringify(r)}`);
	} catch (err: any) {
		if (err?.code === "ERR_ASSERTION") throw err;
		return err;
	}
}

export { newClub, person, createClient, email, esMobile, uid };
export type { TestClub, Http };
