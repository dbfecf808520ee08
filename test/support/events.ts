/**
 * Hearing the events the app emits, one way for every spec: recordEvents() adds a listener
 * service to a broker (a real subscriber of the real events, not a stand-in for any service)
 * and keeps every event it hears, in arrival order.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { ServiceBroker } from "moleculer";

export interface SeenEvent {
	name: string;
	payload: any;
}

export interface EventRecorder {
	/** Every event heard, in arrival order. */
	readonly events: SeenEvent[];
	/** The events of one club (`payload.clubId`), of one name when given. */
	of(clubId: string, name?: string): SeenEvent[];
	/** The first event `pred` accepts, waiting for it (events arrive asynchronously). */
	waitFor(pred: (e: SeenEvent) => boolean, ms?: number): Promise<SeenEvent>;
	/** Waits until `pred` holds over the club's events; answers them. */
	waitForClub(clubId: string, pred: (events: SeenEvent[]) => boolean, ms?: number): Promise<SeenEvent[]>;
	/** Removes the listener. */
	stop(): Promise<void>;
}

/**
 * Listens on `broker` to `names` (patterns such as "clients.*" too). `knownBy`: the other
 * brokers (nodes) that must have discovered the listener before the test emits, or an event
 * emitted there could miss it.
 */
export async function recordEvents(broker: ServiceBroker, names: string[], opts: { knownBy?: ServiceBroker[]; ms?: number } = {}): Promise<EventRecorder> {
	const events: SeenEvent[] = [];
	const handlers: Record<string, (ctx: any) => void> = {};
	for (const ev of names) handlers[ev] = (ctx: any) => void events.push({ name: ctx.eventName, payload: ctx.params });
	const name = `test-events-${crypto.randomBytes(4).toString("hex")}`;
	const svc = broker.createService({ name, settings: { tenant: false }, events: handlers });
	await broker.waitForServices(name);
	const until = Date.now() + (opts.ms ?? 10_000);
	for (const other of opts.knownBy ?? []) {
		while (!(other.registry as any).services.has(name, broker.nodeID)) {
			if (Date.now() > until) throw new Error(`event listener not discovered by ${other.nodeID}`);
			await new Promise(r => setTimeout(r, 20));
		}
	}
	const of = (clubId: string, ev?: string) => events.filter(e => e.payload?.clubId === clubId && (!ev || e.name === ev));
	const seen = (list: SeenEvent[]) => list.map(e => e.name).join(", ");
	return {
		events,
		of,
		async waitFor(pred, ms = 3000) {
			const stop = Date.now() + ms;
			for (;;) {
				const hit = events.find(pred);
				if (hit) return hit;
				if (Date.now() > stop) assert.fail(`event not seen within ${ms} ms; seen: ${seen(events)}`);
				await new Promise(r => setTimeout(r, 20));
			}
		},
		async waitForClub(clubId, pred, ms = 3000) {
			const stop = Date.now() + ms;
			for (;;) {
				const list = of(clubId);
				if (pred(list)) return list;
				if (Date.now() > stop) assert.fail(`expected events not seen within ${ms} ms; got: ${seen(list)}`);
				await new Promise(r => setTimeout(r, 20));
			}
		},
		stop: () => broker.destroyService(svc),
	};
}
