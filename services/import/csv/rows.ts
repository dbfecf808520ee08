/**
 * One parsed CSV row -> the raw client input the shared normaliser takes (the same one
 * behind POST /clients). Only CSV concerns live here: which cell, the export's formula
 * guard, first + last name, the tags cell, spreadsheet dates. Genders, e-mails, phones,
 * countries and tags are left to lib/normalize/client.ts (the worker calls it).
 */
import { splitTags } from "../../../lib/normalize/client";
import type { Field, HeaderMap } from "./headers";

/** A row on the channel: its physical line and either its input or the reason it already failed. */
export interface ImportRow {
	line: number;
	input?: RawClientInput;
	/** The group named in the row (resolved by name by the worker). */
	group?: string;
	error?: RowError;
}

export interface RowError {
	line: number;
	field: string;
	code: string;
	message: string;
}

export interface RawClientInput {
	fullName: string;
	email: string;
	phone: string;
	gender: string;
	country: string;
	birthDate?: string;
	notes?: string;
	tags?: string[];
}

/** Our export prefixes cells starting with = + - @ tab or CR with `'` so spreadsheets show them as text. */
export function unguard(cell: string): string {
	if (cell.length > 1 && cell.charCodeAt(0) === 39 /* ' */) {
		const c = cell[1];
		if (c === "=" || c === "+" || c === "-" || c === "@" || c === "\t" || c === "\r") return cell.slice(1);
	}
	return cell;
}

function first(cells: string[], idx: number[] | undefined): string {
	if (!idx) return "";
	for (const i of idx) {
		const v = unguard(cells[i] ?? "").trim();
		if (v) return v;
	}
	return "";
}

function joined(cells: string[], idx: number[] | undefined): string {
	if (!idx) return "";
	return idx
		.map(i => unguard(cells[i] ?? "").trim())
		.filter(Boolean)
		.join(" ");
}

/**
 * Spreadsheet dates -> YYYY-MM-DD: `1990-05-17`, `1990-05-17 00:00:00`, `17/05/1990`,
 * `17.05.1990`, `17-05-1990` (day first, as in Europe; month first when the day is > 12
 * in the second place, like `05/17/1990`). Anything else goes to the normaliser as typed.
 */
export function spreadsheetDate(value: string): string {
	const v = value.trim();
	let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+Z?)?$/.exec(v);
	if (m) return `${m[1]}-${m[2].padStart(2, "0")}-${m[3].padStart(2, "0")}`;
	m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(v);
	if (m) {
		let [d, mo] = [Number(m[1]), Number(m[2])];
		if (mo > 12 && d <= 12) [d, mo] = [mo, d];
		return `${m[3]}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
	}
	return v;
}

export function toImportRow(line: number, cells: string[], map: HeaderMap): ImportRow {
	const c = map.columns;
	const col = (f: Field) => first(cells, c[f]);
	let fullName = col("fullName");
	if (!fullName) fullName = [joined(cells, c.firstName), joined(cells, c.lastName)].filter(Boolean).join(" ");
	const input: RawClientInput = {
		fullName,
		email: col("email"),
		phone: col("phone"),
		gender: col("gender"),
		country: col("country"),
	};
	const birthDate = col("birthDate");
	if (birthDate) input.birthDate = spreadsheetDate(birthDate);
	const notes = c.notes ? unguard(cells[c.notes[0]] ?? "").trim() : "";
	if (notes) input.notes = notes;
	const tags = c.tags ? c.tags.flatMap(i => splitTags(unguard(cells[i] ?? ""))) : [];
	if (tags.length) input.tags = tags;
	const row: ImportRow = { line, input };
	const group = col("group");
	if (group) row.group = group;
	return row;
}

export function isBlank(cells: string[]): boolean {
	for (const cell of cells) if (cell.trim() !== "") return false;
	return true;
}
