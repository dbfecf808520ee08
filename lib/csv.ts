/**
 * Writing CSV we hand out (the clients export, an import's rejected rows): RFC 4180 quoting and
 * formula cells neutralised, so a spreadsheet that opens the file never runs a cell.
 */

/** Prefixes a formula-looking cell with ' (Excel, LibreOffice and Sheets would run it). */
export function neutralise(cell: string): string {
	return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** One CSV cell: neutralised, then quoted when it holds a comma, a quote or a line break; null is empty. */
export function csvCell(value: string | number | null | undefined): string {
	if (value === null || value === undefined || value === "") return "";
	const safe = neutralise(String(value));
	return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One CSV record with its CRLF. */
export const csvLine = (cells: Array<string | number | null | undefined>) => `${cells.map(csvCell).join(",")}\r\n`;
