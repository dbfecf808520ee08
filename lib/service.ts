/**
 * Our action conventions, typed. Every action with a REST face declares:
 *   rest        "VERB /path" (moleculer-web autoAliases; services set settings.rest = "/")
 *   auth        minimum role: "viewer" | "staff" | "admin" | "platform" | "public" (default admin)
 *   tenant      false for the few actions that run without ctx.meta.clubId
 *   idempotency "required" (money moves) | "optional": the Idempotency-Key header
 *   openapi     summary, tags and response schemas for the OpenAPI document
 *   session     the gateway hands it the session cookie's hash and the scheme (sign-in, sign-out)
 *
 * `this` inside actions, events, methods and lifecycle handlers is the type argument, written the
 * way Moleculer's TypeScript template does it: the service, what its mixins add, its own methods
 * and the state it keeps (set in `created`/`started`).
 *
 *   type WalletsThis = AppService<WalletsSettings> & DbMembers & OutboxMembers & WalletsMethods & WalletsState;
 *   export default defineService<WalletsThis>({ name: "wallets", ... });
 */
import type { ActionSchema, Context, Service, ServiceBroker, ServiceSchema } from "moleculer";
import type { ActionOpenApi } from "./openapi";

export type Role = "viewer" | "staff" | "admin";
export type RestSpec = string | { method: string; path: string; type?: string };

/** A running service of ours: Moleculer's Service with typed settings. */
export type AppService<S = Record<string, any>> = Omit<Service<S>, "settings"> & { settings: S };

export interface AppAction<T = any> extends Omit<ActionSchema, "handler" | "rest"> {
	rest?: RestSpec;
	auth?: Role | "platform" | "public";
	tenant?: boolean;
	idempotency?: "required" | "optional";
	openapi?: ActionOpenApi;
	session?: boolean;
	timeout?: number;
	handler(this: T, ctx: Context<any, any>): any;
}

export type AppEventHandler<T = any> = (this: T, ctx: Context<any, any>) => unknown;
export interface AppEvent<T = any> {
	group?: string;
	params?: Record<string, unknown>;
	handler: AppEventHandler<T>;
}

export interface AppServiceSchema<T = any> extends Omit<ServiceSchema, "actions" | "settings" | "methods" | "events" | "channels" | "created" | "started" | "stopped" | "merged" | "mixins"> {
	settings?: Record<string, any>;
	mixins?: Array<Partial<ServiceSchema>>;
	actions?: Record<string, AppAction<T>>;
	methods?: Record<string, (this: T, ...args: any[]) => any>;
	events?: Record<string, AppEventHandler<T> | AppEvent<T>>;
	/** @moleculer/channels handlers (see mixins/outbox.mixin.ts outboxConsumer). */
	channels?: Record<string, unknown>;
	created?(this: T): void;
	started?(this: T): void | Promise<void>;
	stopped?(this: T): void | Promise<void>;
	merged?(this: T, schema: ServiceSchema): void;
}

/** Identity at runtime; gives the schema our conventions' types and `this` the type T. */
export function defineService<T = any>(schema: AppServiceSchema<T> & ThisType<T>): ServiceSchema {
	return schema as unknown as ServiceSchema;
}

/** The same for a mixin (which has no name of its own): T is `this` of the services that use it (at least what the mixin needs). */
export function defineMixin<T = any>(schema: Omit<AppServiceSchema<T>, "name"> & { name?: string } & ThisType<T>): Partial<ServiceSchema> {
	return schema as unknown as Partial<ServiceSchema>;
}

/** Does any node (this one or another) run the service now? Optional services (staff, audit) are asked only then. */
export function serviceRuns(broker: ServiceBroker, name: string): boolean {
	// Moleculer's typings want a node id; without one the registry answers for any node.
	return broker.registry.hasService(name, undefined as unknown as string);
}
