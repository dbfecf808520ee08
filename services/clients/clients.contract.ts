/**
 * The clients service's contract (types only): the actions other services call and the events it
 * emits, as CONTRIBUTING.md's inter-service table lists them. Other services import this file
 * (`import type`), never the service's other files. Every action takes the club from ctx.meta.clubId.
 */
import type { NormalizedClient } from "../../lib/normalize/client";

export type ClientSource = "staff" | "online" | "import";

export interface ClientCategory {
	categoryId: string;
	validFrom: string | null;
	validUntil: string | null;
}

/** The API.md Client: the normalised fields as stored, and what the club and the system add. */
export interface Client extends NormalizedClient {
	id: string;
	groupId: string;
	categories: ClientCategory[];
	verified: boolean;
	source: ClientSource;
	createdAt: string;
	updatedAt: string;
}

/** The fields a client is created or updated with, before normalisation (as POST /clients takes them). */
export interface ClientFields {
	fullName?: string;
	email?: string;
	phone?: string;
	gender?: string;
	country?: string;
	birthDate?: string | null;
	notes?: string | null;
	groupId?: string;
	tags?: string[];
}

/** `clients.get`: the client, 404 when unknown, deleted or another club's. */
export interface GetClientParams {
	id: string;
}

/** `clients.findByEmail`: the client or null. */
export interface FindClientByEmailParams {
	email: string;
}

/** `clients.create`: a Client (bus callers may set source; over REST it is always staff). */
export interface CreateClientParams extends ClientFields {
	source?: ClientSource;
}

/** `clients.countByGroup`: `{ [groupId]: count }` of live clients. */
export interface CountByGroupParams {
	groupIds?: string[];
}

/** `clients.countByCategory`: `{ [categoryId]: count }` of live clients (any period). */
export interface CountByCategoryParams {
	categoryIds?: string[];
}

export type CountsAnswer = Record<string, number>;

/** `clients.moveAllFromGroup`: moves every client of a group to another (a group's deletion). */
export interface MoveAllFromGroupParams {
	fromGroupId: string;
	toGroupId: string;
}

export interface MoveAllFromGroupAnswer {
	moved: number;
}

/** A row as normalised by lib/normalize (the code behind POST /clients), with its group. */
export interface ImportBatchClient extends NormalizedClient {
	/** The group for a new client (the named group, the job's group or the club's default). */
	groupId: string;
	/** Whether an update moves an existing client to groupId (the row or the job named a group). */
	setGroup: boolean;
}

/** `clients.importBatch` (import workers): applies one normalised chunk exactly once. */
export interface ImportBatchParams {
	jobId: string;
	chunkIndex: number;
	onDuplicate: "skip" | "update";
	dryRun?: boolean;
	/** Clients created before this instant are "the club's" for POSSIBLE_DUPLICATE warnings (the job's creation; default: now). */
	existingBefore?: string;
	rows: Array<{ line: number; client: ImportBatchClient }>;
}

export interface ImportRowError {
	line: number;
	field: string;
	code: string;
	message: string;
}

export interface ImportBatchOutcome {
	created: number;
	updated: number;
	skipped: number;
	failed: number;
	/** Created (or, in a dry run, to be created) rows that look like clients the club already had; each is in `errors` as POSSIBLE_DUPLICATE. */
	possibleDuplicates?: number;
	errors: ImportRowError[];
	/** Ids of updated clients (for cache invalidation); empty on a replay. */
	updatedIds: string[];
	/** True when this chunk had already been applied: nothing was written this time. */
	replayed: boolean;
}

/** The events the service emits (after commit), by name. */
export interface ClientsEvents {
	"clients.created": { clubId: string; client: Client };
	/** One client changed; an import chunk announces its updated clients by id only. */
	"clients.updated": { clubId: string; client: Client } | { clubId: string; clientIds: string[] };
	"clients.deleted": { clubId: string; clientId: string };
	/** The source was merged into the target (the source is also announced as deleted). */
	"clients.merged": { clubId: string; targetId: string; sourceId: string };
}
