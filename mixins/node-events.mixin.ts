/**
 * Every node hears this service's events.
 *
 * Moleculer delivers an emitted event (`ctx.emit`, `broker.emit`) to ONE node per listener
 * group, and a service's listeners are in the group named after the service: with two nodes
 * of a service, only one of them hears each event. Right for work, wrong for what every node
 * keeps in memory (a cache dropped on `groups.*` events): the other node would go on serving
 * what changed. With this mixin each node listens in its own group, `<service>@<nodeID>`, so
 * every node hears every event of the service.
 *
 *   mixins: [DbMixin({ schema: "import" }), NodeEventsMixin()]
 *
 * It applies to every event of the service (its own and its mixins'): use it in services whose
 * events are all per-node (cache invalidation), never in one that also does work on an event.
 * (`merged` runs after the mixins are merged, before the events are registered.)
 */
import type { ServiceSchema } from "moleculer";
import { defineMixin, type AppEvent, type AppService } from "../lib/service";

/** The listener group of a node's copy of a service: its own, so it hears every event. */
const nodeGroup = (service: string, nodeID: string) => `${service}@${nodeID}`;

export function NodeEventsMixin(): Partial<ServiceSchema> {
	return defineMixin<AppService>({
		merged(schema) {
			const events = (schema.events ?? {}) as Record<string, AppEvent | AppEvent["handler"]>;
			for (const [name, def] of Object.entries(events)) {
				const event: AppEvent = typeof def === "function" || Array.isArray(def) ? { handler: def as AppEvent["handler"] } : def;
				event.group = nodeGroup(schema.name, this.broker.nodeID);
				events[name] = event;
			}
		},
	});
}
