/**
 * Our action conventions, typed. Every action with a REST face declares:
 *   rest        "VERB /path" (moleculer-web autoAliases; services set settings.rest = "/")
 *   auth        minimum role: "viewer" | "staff" | "admin" | "platform" | "public" (default admin)
 *   tenant      false for the few actions that run without ctx.meta.clubId
 *   idempotency "required" (money moves) | "optional": the Idempotency-Key header
 *   openapi     summary, tags and response schemas for the OpenAPI document
 *   session     the gateway hands it the session cookie's hash and the scheme (sign-in, sign-out)
 */
import type { ActionSchema, Context, ServiceSchema } from "moleculer";
import type { ActionOpenApi } from "./openapi";

export type Role = "viewer" | "staff" | "admin";
export type RestSpec = string | { method: string; path: string; type?: string };

export interface AppAction extends Omit<ActionSchema, "handler" | "rest"> {
	rest?: RestSpec;
	auth?: Role | "platform" | "public";
	tenant?: boolean;
	idempotency?: "required" | "optional";
	openapi?: ActionOpenApi;
	session?: boolean;
	timeout?: number;
	handler(this: any, ctx: Context<any, any>): any;
}

export interface AppServiceSchema extends Omit<ServiceSchema, "actions" | "settings"> {
	settings?: Record<string, any>;
	actions?: Record<string, AppAction>;
}

/** Identity at runtime; gives the schema our conventions' types. */
export function defineService(schema: AppServiceSchema): ServiceSchema {
	return schema as unknown as ServiceSchema;
}
