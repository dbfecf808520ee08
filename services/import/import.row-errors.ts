/**
 * The rows of a job that failed, in file order: a JSON page (GET /imports/:id/errors) or every
 * one as a CSV download (format=csv), read in pages of the (line, id) order either way.
 */
import { Readable } from "node:stream";
import type { Knex } from "knex";
import { csvLine } from "../../lib/csv";
import { packCursor, unpackCursor, type Page } from "../../lib/pagination";
import * as q from "./import.queries";

/** One failed row as the API shows it. */
export interface ImportRowErrorItem {
	line: number;
	field: string;
	code: string;
	message: string;
}

/** Rows read per statement for the CSV download. */
const CSV_PAGE = 5000;

const positionOf = (r: q.RowErrorRow) => ({ line: r.line, id: Number(r.id) });

function afterCursor(cursor: string | undefined): { line: number; id: number } | null {
	if (!cursor) return null;
	const [line, id] = unpackCursor(cursor, (p): p is [number, number] => Number.isInteger(p[0]) && Number.isInteger(p[1]) && (p[0] as number) > 0 && (p[1] as number) > 0);
	return { line, id };
}

/** A page of the job's row errors after `cursor` (a cursor of this list, else 422). */
export async function rowErrorsPage(db: Knex, clubId: string, jobId: string, cursor: string | undefined, limit: number): Promise<Page<ImportRowErrorItem>> {
	const rows = await q.errorPage(db, clubId, jobId, afterCursor(cursor), limit + 1);
	const more = rows.length > limit;
	const page = more ? rows.slice(0, limit) : rows;
	const last = page[page.length - 1];
	return {
		items: page.map(r => ({ line: r.line, field: r.field, code: r.code, message: r.message })),
		nextCursor: more && last ? packCursor([last.line, Number(last.id)]) : null,
	};
}

/** Every row error of the job as CSV (line,field,code,message), cells made safe (lib/csv.ts). */
export function rowErrorsCsv(db: Knex, clubId: string, jobId: string): Readable {
	async function* lines() {
		yield "line,field,code,message\r\n";
		let after: { line: number; id: number } | null = null;
		for (;;) {
			const rows = await q.errorPage(db, clubId, jobId, after, CSV_PAGE);
			if (!rows.length) break;
			yield rows.map(r => csvLine([r.line, r.field, r.code, r.message])).join("");
			after = positionOf(rows[rows.length - 1]);
			if (rows.length < CSV_PAGE) break;
		}
	}
	return Readable.from(
		(async function* () {
			for await (const text of lines()) yield Buffer.from(text, "utf8");
		})(),
	);
}
