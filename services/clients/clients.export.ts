/**
 * The clients CSV export: UTF-8 with BOM, RFC 4180 quoting, formula cells neutralised
 * (a cell starting with = + - @ tab or CR gets a leading '), streamed page by page with a
 * keyset on (created_at, id) so memory stays flat whatever the club's size.
 */
import { Readable } from "node:stream";
import type { Knex } from "knex";
import { csvLine } from "../../lib/csv";
import { categoriesOf, exportPage, type ClientRow, type ListFilters } from "./clients.queries";

const EXPORT_HEADER = ["id", "full_name", "email", "phone", "gender", "country", "birth_date", "group", "tags", "categories", "verified", "created_at"] as const;
const LIST_SEPARATOR = "|";
const PAGE = 2000;

export interface ExportLookups {
	groupName(id: string): Promise<string>;
	categoryName(id: string): Promise<string>;
}

/**
 * The export as a Readable stream. The first page is read before returning, so a database
 * error is still an HTTP error rather than a truncated file. Null filters match nothing (header only).
 */
export async function exportStream(db: Knex, clubId: string, filters: ListFilters | null, lookups: ExportLookups): Promise<Readable> {
	const page = (after: { at: Date; id: string } | null): Promise<ClientRow[]> => (filters ? exportPage(db, clubId, filters, after, PAGE) : Promise.resolve([]));
	let rows = await page(null);
	async function* lines(): AsyncGenerator<string> {
		yield `\uFEFF${EXPORT_HEADER.join(",")}\r\n`;
		while (rows.length) {
			const cats = await categoriesOf(db, clubId, rows.map(r => r.id));
			let chunk = "";
			for (const r of rows) {
				const catNames: string[] = [];
				for (const c of cats.get(r.id) ?? []) catNames.push(await lookups.categoryName(c.category_id));
				chunk += csvLine([
					r.id,
					r.full_name,
					r.email,
					r.phone,
					r.gender,
					r.country,
					r.birth_date,
					await lookups.groupName(r.group_id),
					r.tags.join(LIST_SEPARATOR),
					catNames.join(LIST_SEPARATOR),
					r.verified ? "true" : "false",
					r.created_at.toISOString(),
				]);
			}
			yield chunk;
			if (rows.length < PAGE) break;
			const last = rows[rows.length - 1];
			rows = await page({ at: last.created_at, id: last.id });
		}
	}
	return Readable.from((async function* () {
		for await (const text of lines()) yield Buffer.from(text, "utf8");
	})(), { objectMode: false });
}
