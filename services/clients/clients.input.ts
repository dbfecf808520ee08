/**
 * What callers send the clients service, checked before anything is written: field errors,
 * the group a client goes to, list filters and list cursors.
 */
import type { Context } from "moleculer";
import { ConflictError, invalid, type FieldError } from "../../lib/errors";
import type { HttpMeta } from "../../lib/http";
import { normalizeTag } from "../../lib/normalize/client";
import { packCursor, unpackCursor } from "../../lib/pagination";
import { parseInstant } from "../../lib/dates";
import { UUID_RE } from "../../lib/tenant.middleware";
import { clubGroupId } from "../../lib/club-group";
import type { ClientRow, ListFilters, Source } from "./clients.queries";

export const field = (f: string, type: string, message: string): FieldError => ({ field: f, type, message });

export const clientExists = (clientId: string | null) => new ConflictError("CLIENT_EXISTS", "A client with this e-mail already exists in the club", { clientId });

/**
 * The group a client goes to: the given one (422 when it is not the club's), else the
 * club's default group, or External for clients who came online.
 */
export async function resolveGroup(ctx: Context<unknown, HttpMeta>, groupId: string | undefined, source: Source): Promise<string> {
	if (groupId !== undefined) return clubGroupId(ctx, groupId);
	const d: { defaultGroupId: string; externalGroupId: string } = await ctx.call("groups.defaults", {});
	return source === "online" ? d.externalGroupId : d.defaultGroupId;
}

/** Query filters, normalised; null when a filter can match nothing (an id that is not a UUID). */
export function filtersOf(p: ListFilters): ListFilters | null {
	const f: ListFilters = {};
	if (p.q !== undefined && p.q.trim()) f.q = p.q.trim();
	if (p.verified !== undefined) f.verified = p.verified;
	if (p.groupId !== undefined) {
		if (!UUID_RE.test(p.groupId)) return null;
		f.groupId = p.groupId.toLowerCase();
	}
	if (p.categoryId !== undefined) {
		if (!UUID_RE.test(p.categoryId)) return null;
		f.categoryId = p.categoryId.toLowerCase();
	}
	if (p.tag !== undefined) {
		const tag = normalizeTag(p.tag);
		if (tag === null) return null;
		f.tag = tag;
	}
	return f;
}

/** A list position: the ISO time (exactly as we write it) and UUID of the last client of a page. */
const isPosition = (p: unknown[]): p is [string, string] =>
	typeof p[0] === "string" && typeof p[1] === "string" && UUID_RE.test(p[1]) && parseInstant(p[0]) !== undefined && /^\d{4}-\d{2}-\d{2}T/.test(p[0]) && new Date(p[0]).toISOString() === p[0];

/** Our cursors carry an ISO time and a UUID; anything else is a 422, never a Postgres cast error. */
export function checkCursor(cursor: string | undefined): { at: string; id: string } | null {
	if (!cursor) return null;
	const [at, id] = unpackCursor(cursor, isPosition);
	return { at, id };
}

/** The cursor of the page after this client. */
export const cursorAfter = (row: Pick<ClientRow, "created_at" | "id">) => packCursor([row.created_at.toISOString(), row.id]);
