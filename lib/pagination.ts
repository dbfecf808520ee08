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

export function encodeCursor(pos: CursorPosition): string {
	return Buffer.from(JSON.stringify([pos.at, pos.id])).toString("base64url");
}

export function decodeCursor(cursor: string | undefined): CursorPosition | null {
	if (!cursor) return null;
	try {
		const [at, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
		if (typeof at === "string" && typeof id === "string" && parseInstant(at) !== undefined && UUID_RE.test(id)) {
			return { at, id };
		}
	} catch {
		/* fall through */
	}
	throw invalid({ field: "cursor", type: "cursor", message: "The 'cursor' is not one this API gave out." });
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
