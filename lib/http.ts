/** Small helpers for actions that answer REST through the gateway. */
import type { Context } from "moleculer";

export interface HttpMeta {
	clubId: string;
	keyId?: string;
	role?: "admin" | "staff" | "viewer";
	idempotencyKey?: string;
	$statusCode?: number;
	$location?: string;
	$responseType?: string;
	$responseHeaders?: Record<string, string>;
}

/** Marks the REST answer as 201 Created (the bus caller just gets the body). */
export function created<T>(ctx: Context<unknown, any>, body: T, location?: string): T {
	ctx.meta.$statusCode = 201;
	if (location) ctx.meta.$location = location;
	return body;
}

/** Marks the REST answer as 204 No Content. */
export function noContent(ctx: Context<unknown, any>): null {
	ctx.meta.$statusCode = 204;
	return null;
}
