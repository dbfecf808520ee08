/**
 * A REST route stays mounted when its service loses its last live node. moleculer-web rebuilds
 * the aliases from the live registry (debounced, on every service change), so once the last
 * node of a service was gone its routes answered 404 "not found", as if they had never
 * existed. The gateway keeps the aliases it has mounted once; while no node serves them,
 * moleculer-web finds no endpoint and the answer is 503 SERVICE_UNAVAILABLE (http-errors.ts).
 * A service that comes back brings fresh aliases, which replace the kept ones.
 */

interface Alias {
	route: unknown;
	method: string;
	path: string;
	_generated?: boolean;
}

const keyOf = (a: Alias) => `${a.method} ${a.path}`;

/** After moleculer-web regenerated `route`'s aliases: put back the ones it had and lost. */
export function keepKnownAliases(gateway: { aliases: Alias[]; knownAliases?: Map<unknown, Map<string, Alias>> }, route: unknown): void {
	gateway.knownAliases ??= new Map();
	const known = gateway.knownAliases.get(route) ?? new Map<string, Alias>();
	gateway.knownAliases.set(route, known);
	const now = new Set<string>();
	for (const a of gateway.aliases) {
		if (a.route !== route || !a._generated) continue;
		now.add(keyOf(a));
		known.set(keyOf(a), a);
	}
	for (const [key, alias] of known) if (!now.has(key)) gateway.aliases.push(alias);
}
