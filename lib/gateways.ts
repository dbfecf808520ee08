/**
 * Telling every gateway node to drop a credential (a revoked key, an ended session) before
 * the change is answered, so "refused at once on every node" holds: each gateway is called
 * directly and awaited; the broadcast (and the gateways' short cache) covers one that is
 * slow to answer or joins meanwhile.
 */
import type { Context } from "moleculer";

export async function tellEveryGateway(ctx: Context<any, any>, action: string, params: Record<string, unknown>, event: string, eventPayload = params): Promise<void> {
	const gateways: any[] = ctx.broker.registry.getActionEndpoints(action)?.endpoints ?? [];
	await Promise.all(gateways.map(ep => ctx.call(action, params, { nodeID: ep.id, timeout: 2000 }).catch(() => undefined)));
	ctx.broadcast(event, eventPayload);
}
