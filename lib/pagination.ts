/**
 * Cursor pagination, newest first: `?limit=` (1..500, default 50) and an opaque `?cursor=`.
 * Answers `{ items, nextCursor }`. The cursor is the (created_at, id) of the last item.
 */
import type { Knex } from "knex";
import { invalid } from "./errors";
import { UUID_RE } from "./tenant.middleware";
import { parseInstant } from "./dates";

export const listParams = {
	limit: { type: "number", integer: true, min: 1, max: 500, optional: true, convert: true },
	cursor: { type: "string", optional: true, min: 1, max: 512 },
} as const;

export interface Page<T> {
	items: T[];
	nextCursor: string | null;
}

interface CursorPosition {
	at: string;
	id: string;
}

/** An opaque cursor for a keyset position (any JSON tuple); every list's cursor is made here. */
export function packCursor(position: readonly unknown[]): string {
	return Buffer.from(JSON.stringify(position)).toString("base64url");
}

/** The tuple a cursor of packCursor holds, if `check` accepts it; a 422 on `cursor` otherwise. */
export function unpackCursor<T extends unknown[]>(cursor: string, check: (position: unknown[]) => position is T): T {
	try {
		const position = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
		if (Array.isArray(position) && check(position)) return position;
	} catch {
		/* fall through */
	}
	throw invalid({ field: "cursor", type: "cursor", message: "The 'cursor' is not one this API gave out." });
}

export function encodeCursor(pos: CursorPosition): string {
	return packCursor([pos.at, pos.id]);
}

export function decodeCursor(cursor: string | undefined): CursorPosition | null {
	if (!cursor) return null;
	const [at, id] = unpackCursor(cursor, (p): p is [string, string] => typeof p[0] === "string" && typeof p[1] === "string" && parseInstant(p[0]) !== undefined && UUID_RE.test(p[1]));
	return { at, id };
}

/**
 * Applies keyset pagination on (timeColumn, idColumn) to a query, runs it and returns the
 * page. Newest first unless `order: "asc"` (oldest first). `map` turns a row into the API
 * entity. A cursor is only meaningful for the same order it was made with.
 */
export async function paginate<Row extends Record<string, any>, T>(
	query: Knex.QueryBuilder,
	opts: { limit?: number; cursor?: string; timeColumn?: string; idColumn?: string; order?: "asc" | "desc" },
	map: (row: Row) => T,
): Promise<Page<T>> {
	const limit = opts.limit ?? 50;
	const timeColumn = opts.timeColumn ?? "created_at";
	const idColumn = opts.idColumn ?? "id";
	const order = opts.order === "asc" ? "asc" : "desc"; // never a caller's raw string
	const pos = decodeCursor(opts.cursor);
	if (pos) query.whereRaw(`(??, ??) ${order === "asc" ? ">" : "<"} (?::timestamptz, ?)`, [timeColumn, idColumn, pos.at, pos.id]);
	const rows: Row[] = await query.orderBy([
		{ column: timeColumn, order },
		{ column: idColumn, order },
	]).limit(limit + 1);
	const more = rows.length > limit;
	const pageRows = more ? rows.slice(0, limit) : rows;
	const last = pageRows[pageRows.length - 1];
	const lastAt = last ? last[timeColumn.split(".").pop()!] : null;
	return {
		items: pageRows.map(map),
		nextCursor: more && last ? encodeCursor({ at: new Date(lastAt).toISOString(), id: String(last[idColumn.split(".").pop()!]) }) : null,
	};
}
