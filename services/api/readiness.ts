/**
 * What /ready needs beyond the database and the transporter: every local service has started,
 * and every REST route of every service this gateway knows is mounted. moleculer-web mounts
 * aliases debounced after a service change, so a request sent right after an early 200 could
 * get a 404 for up to a second: a route not yet mounted is mounted now, or the node is not ready.
 */

import type { RestAction } from "../../lib/openapi";

interface Registry {
	getServiceList(opts: { withActions: boolean }): unknown[];
}

interface Gateway {
	aliases: Array<{ action?: string; _generated?: boolean }>;
	broker: { started: boolean; registry: Registry };
	refreshAliases(): void;
}

/**
 * The published REST actions the registry knows, on any node (what the gateway mounts and the
 * OpenAPI document lists). Moleculer's typings name the list's field `action`; it is `actions`.
 */
export function publishedRestActions(registry: Registry): RestAction[] {
	const found: RestAction[] = [];
	for (const svc of registry.getServiceList({ withActions: true }) as Array<{ actions?: Record<string, any> }>) {
		for (const a of Object.values<any>(svc.actions ?? {})) {
			if (a.rest && (a.visibility == null || a.visibility === "published")) found.push(a);
		}
	}
	return found;
}

/** REST actions of the registry whose route this gateway has not mounted. */
function unmounted(gw: Gateway): string[] {
	const mounted = new Set(gw.aliases.filter(a => a._generated).map(a => a.action));
	return publishedRestActions(gw.broker.registry)
		.map(a => a.name)
		.filter(name => !mounted.has(name));
}

/** `started` and `routes` checks for /ready ("ok" when good). */
export function routeChecks(gw: Gateway): { services: string; routes: string } {
	if (!gw.broker.started) return { services: "starting", routes: "not yet mounted" };
	let missing = unmounted(gw);
	if (missing.length) {
		gw.refreshAliases();
		missing = unmounted(gw);
	}
	return { services: "ok", routes: missing.length ? `${missing.length} not mounted` : "ok" };
}

/**
 * Whether this gateway has mounted its REST routes (once warm, it stays warm: known-routes.ts
 * keeps them). Until then (a node that has just started, before moleculer-web mounted the
 * aliases or before the other nodes' services were discovered) a path that matches no route
 * is answered 503 with Retry-After, not 404: the route may well exist a moment later.
 * `mountNow` also mounts what is missing, for the next request.
 */
export function routesWarm(gw: Gateway & { routesWarm?: boolean }, mountNow = false): boolean {
	if (gw.routesWarm) return true;
	const complete = () => gw.broker.started && gw.aliases.some(a => a._generated) && unmounted(gw).length === 0;
	gw.routesWarm = complete();
	if (!gw.routesWarm && mountNow) {
		gw.refreshAliases();
		gw.routesWarm = complete();
		return false; // the request at hand was routed before
	}
	return gw.routesWarm;
}
