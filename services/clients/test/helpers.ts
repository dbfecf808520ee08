/** Test helpers of the clients specs (not a spec: mocha only loads *.spec.ts). */
import crypto from "node:crypto";
import type { ServiceBroker } from "moleculer";

const email = (tag = "c") => `${tag}.${crypto.randomBytes(4).toString("hex")}@example.com`;

export function person(over: Record<string, unknown> = {}) {
	return { fullName: "Ana García", email: email("ana"), phone: "612 345 678", gender: "F", country: "ES", ...over };
}

/** Records the clients.* events the app emits (a listener, not a stand-in for any service). */
export function eventRecorder(broker: ServiceBroker) {
	const events: Array<{ name: string; payload: any }> = [];
	const name = `test-clients-events-${crypto.randomBytes(3).toString("hex")}`;
	const svc = broker.createService({
		name,
		settings: { tenant: false },
		events: {
			"clients.*"(ctx: any) {
				events.push({ name: ctx.eventName, payload: ctx.params });
			},
		},
	});
	return {
		events,
		async waitFor(pred: (e: { name: string; payload: any }) => boolean, ms = 3000) {
			const until = Date.now() + ms;
			while (Date.now() < until) {
				const hit = events.find(pred);
				if (hit) return hit;
				await new Promise(r => setTimeout(r, 20));
			}
			throw Object.assign(new Error(`event not seen in ${ms} ms`), { name: "AssertionError" });
		},
		stop: () => broker.destroyService(svc),
	};
}

