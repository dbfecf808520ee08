/**
 * The gateway's `this` (services/api): the service with its settings, what moleculer-web gives
 * (its typings declare none of it), and what each of the gateway's mixins adds; the request type
 * its hooks take, and the REST base path.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Context } from "moleculer";
import type { AppService } from "../../lib/service";
import type { PacedUpload } from "../../lib/upload-flow";
import type { Actor, Role } from "../staff/staff.contract";
import type { KeyAuthMembers, KeyAuthState } from "./key-auth";
import type { SessionAuthMembers, SessionAuthState } from "./session-auth";
import type { OpsMembers, OpsState } from "./ops-routes";
import type { HttpAnswersMembers } from "./http-answers";

export const API_BASE = "/api/v1";

/** A request as moleculer-web hands it to our hooks. */
export type Req = IncomingMessage & {
	$action?: any;
	$params?: Record<string, unknown>;
	$ctx?: Context<any, any>;
	$alias?: any;
	$endpoint?: any;
	$route?: any;
	$startedAt?: bigint;
	$keyId?: string;
	$logged?: boolean;
	body?: unknown;
	query?: Record<string, unknown>;
	originalUrl?: string;
};

/** Who a request speaks for: a key (clubs.resolveKey) or a staff session (session-auth.ts). */
export interface KeyIdentity {
	keyId: string;
	clubId: string;
	role: Role;
	/** The key's name (clubs.resolveKey), or a session's actor and id (session-auth.ts). */
	name?: string;
	actor?: Actor;
	sessionId?: string;
}

export interface GatewaySettings {
	/** Tests: requests per key and minute instead of RATE_LIMIT_PER_MINUTE. */
	rateLimitPerMinute?: number;
	optimizeOrder?: boolean;
	[key: string]: unknown;
}

interface Alias {
	route: unknown;
	method: string;
	path: string;
	action?: string;
	_generated?: boolean;
}

/** The moleculer-web members the gateway uses. */
export interface WebMembers {
	server?: Server;
	routes: Array<{ opts: { autoAliases?: boolean } }>;
	aliases: Alias[];
	sendResponse(req: Req, res: ServerResponse, data: unknown, action?: unknown): void;
	sendError(req: Req, res: ServerResponse, err: unknown): void;
	optimizeAliasesOrder(): void;
	/** readiness.ts and known-routes.ts keep these on the gateway. */
	routesWarm?: boolean;
	knownAliases?: Map<unknown, Map<string, Alias>>;
}

/** The api service's own methods (moleculer-web's, wrapped). */
export interface GatewayMethods {
	regenerateAutoAliases(route: unknown): void;
	refreshAliases(): void;
	httpHandler(req: Req, res: ServerResponse, next?: unknown): unknown;
	errorHandler(req: Req, res: ServerResponse, err: unknown): void;
	callAction(route: any, actionName: string, req: Req, res: ServerResponse, params: unknown, isStream: boolean): Promise<unknown>;
	logRequest(req: Req): void;
}

export interface GatewayState {
	/** Streamed uploads this node is relaying to another node (lib/upload-flow.ts). */
	uploadFlows: Map<string, PacedUpload>;
}

export type GatewayThis = AppService<GatewaySettings> &
	WebMembers &
	KeyAuthMembers &
	KeyAuthState &
	SessionAuthMembers &
	SessionAuthState &
	OpsMembers &
	OpsState &
	HttpAnswersMembers &
	GatewayMethods &
	GatewayState;
