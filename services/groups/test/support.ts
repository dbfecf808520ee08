/**
 * Helpers for the groups specs: an event recorder living on the shared app's broker (a
 * real service subscribed to the real events), and clients made through the real gateway.
 */
import crypto from "node:crypto";
import type { ServiceBroker } from "moleculer";
import type { Http } from "../../../test/support/app";

export interface Recorded {
	event: string;
	payload: any;
}

const EVENTS = ["groups.updated", "groups.deleted", "groups.defaultChanged", "categories.updated", "groups.productAccessUpdated"];

/** Subscribes once per broker to every groups event; `of(clubId)` reads what a club emitted. */
export class EventRecorder {
	readonly seen: Recorded[] = [];

	/** `emitters`: other brokers (nodes) that must know the recorder before the test emits. */
	static async on(broker: ServiceBroker, emitters: ServiceBroker[] = []): Promise<EventRecorder> {
		const rec = new EventRecorder();
		const events: Record<string, (ctx: any) => void> = {};
		for (const name of EVENTS) events[name] = (ctx: any) => void rec.seen.push({ event: name, payload: ctx.params });
		const name = `groups-events-${crypto.randomBytes(4).toString("hex")}`;
		broker.createService({ name, events });
		await Promise.all([broker, ...emitters].map(b => b.waitForServices([name], 10_000)));
		return rec;
	}

	of(clubId: string, event?: string): Recorded[] {
		return this.seen.filter(r => r.payload?.clubId === clubId && (!event || r.event === event));
	}

	/** Waits until `pred` holds over the club's events (events are delivered asynchronously). */
	async waitFor(clubId: string, pred: (events: Recorded[]) => boolean, ms = 3000): Promise<Recorded[]> {
		const until = Date.now() + ms;
		for (;;) {
			const evs = this.of(clubId);
			if (pred(evs)) return evs;
			if (Date.now() > until) throw Object.assign(new Error(`expected events not seen; got ${JSON.stringify(evs.map(e => e.event))}`), { name: "AssertionError" });
			await new Promise(r => setTimeout(r, 20));
		}
	}
}

/** A client of the club, made by staff through the gateway (the clients service). */
export async function makeClient(http: Http, key: string, over: Record<string, unknown> = {}): Promise<any> {
	const n = crypto.randomBytes(4).toString("hex");
	const res = await http.post(
		"/clients",
		{ fullName: `Test Client ${n}`, email: `c-${n}@example.com`, phone: "+34612345678", gender: "female", country: "ES", ...over },
		{ key },
	);
	if (res.status !== 201) throw Object.assign(new Error(`makeClient: ${res.status} ${res.text}`), { name: "SetupError" });
	return res.body;
}
