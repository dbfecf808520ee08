/**
 * Reads an uploaded CSV as a stream and hands it on in chunks: bytes are counted against
 * the size limit, decoded (./csv/decode.ts), the delimiter sniffed, rows parsed with their
 * physical line (./csv/parser.ts), the header mapped (./csv/headers.ts), each row turned
 * into client input (./csv/rows.ts) and later rows repeating an e-mail marked
 * DUPLICATE_IN_FILE. Nothing but the current chunk is held in memory.
 */
import { normalizeEmail } from "../../lib/normalize/client";
import { AutoDecoder, type DetectedEncoding, type RequestedEncoding } from "./csv/decode";
import { mapHeaders, type HeaderMap } from "./csv/headers";
import { CsvParser, CsvSyntaxError, sniffDelimiter, type CsvRow } from "./csv/parser";
import { isBlank, toImportRow, type ImportRow } from "./csv/rows";
import { SeenSet } from "./csv/seen";

export type DelimiterOption = "auto" | "," | ";" | "tab";

export interface ReadOptions {
	encoding: RequestedEncoding;
	delimiter: DelimiterOption;
	maxBytes: number;
	chunkRows: number;
	/** Longest row, in characters (a quote left open fails here rather than swallowing the file). */
	maxRowChars: number;
}

export interface ReadSink {
	/** The header was read and every required column is there; nothing was published yet. */
	header(map: HeaderMap): Promise<void>;
	/** One chunk of rows, in file order. Awaited: this is where backpressure comes from. */
	chunk(rows: ImportRow[]): Promise<void>;
	/** Checked between chunks: true stops reading (the job was cancelled). */
	stopped(): boolean;
}

export interface ReadResult {
	totalRows: number;
	blankLines: number;
	encoding: DetectedEncoding;
	delimiter: string;
	stopped: boolean;
}

/** The file cannot be imported (the job fails with this message). */
export class ImportFileError extends Error {
	constructor(
		message: string,
		readonly code: "EMPTY_FILE" | "BINARY_FILE" | "CSV_SYNTAX" | "MISSING_COLUMNS" | "FILE_TOO_LARGE",
	) {
		super(message);
		this.name = "ImportFileError";
	}
}

/** How much decoded text is looked at for the delimiter when the header line is that long. */
const SNIFF_CHARS = 64 * 1024;
/** Control characters (besides tab, CR, LF) tolerated at the start of a text file. */
const MAX_CONTROL_CHARS = 8;

function controlChars(text: string): number {
	let n = 0;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12 && c !== 26) n++;
	}
	return n;
}

export async function readCsv(source: AsyncIterable<Buffer | string>, opts: ReadOptions, sink: ReadSink): Promise<ReadResult> {
	const decoder = new AutoDecoder(opts.encoding);
	let bytes = 0;
	let preface = "";
	let checked = 0;
	let parser: CsvParser | null = null;
	let delimiter = opts.delimiter === "tab" ? "\t" : opts.delimiter === "auto" ? "" : opts.delimiter;
	let map: HeaderMap | null = null;
	let headerSeen = false;
	let totalRows = 0;
	let blankLines = 0;
	let chunk: ImportRow[] = [];
	const seen = new SeenSet();
	const parsed: CsvRow[] = [];
	const collect = (row: CsvRow) => parsed.push(row);

	const binary = () => new ImportFileError("The file is not a CSV text file (it holds binary data).", "BINARY_FILE");

	const screen = (text: string) => {
		if (text.includes("\u0000")) throw binary();
		if (checked < SNIFF_CHARS) {
			const head = text.slice(0, SNIFF_CHARS - checked);
			checked += head.length;
			if (controlChars(head) > MAX_CONTROL_CHARS) throw binary();
		}
	};

	const handleRows = async () => {
		for (const row of parsed) {
			if (!headerSeen) {
				if (isBlank(row.cells)) continue;
				headerSeen = true;
				map = mapHeaders(row.cells);
				if (map.missing.length) {
					throw new ImportFileError(`Missing required columns: ${map.missing.join(", ")} (line ${row.line} is read as the header).`, "MISSING_COLUMNS");
				}
				await sink.header(map);
				continue;
			}
			if (isBlank(row.cells)) {
				blankLines++;
				continue;
			}
			let r = toImportRow(row.line, row.cells, map!);
			const key = normalizeEmail(r.input?.email);
			if (key && !seen.add(key)) {
				r = { line: row.line, error: { line: row.line, field: "email", code: "DUPLICATE_IN_FILE", message: "An earlier row of the file has this e-mail." } };
			}
			chunk.push(r);
			totalRows++;
			if (chunk.length >= opts.chunkRows) {
				const full = chunk;
				chunk = [];
				await sink.chunk(full);
				if (sink.stopped()) return true;
			}
		}
		parsed.length = 0;
		return false;
	};

	const feed = async (text: string): Promise<boolean> => {
		if (!text) return false;
		screen(text);
		if (!parser) {
			preface += text;
			const hasLine = /[\r\n]/.test(preface);
			if (!hasLine && preface.length < SNIFF_CHARS) return false;
			if (!delimiter) delimiter = sniffDelimiter(preface.replace(/^\uFEFF/, ""));
			parser = new CsvParser(delimiter, opts.maxRowChars);
			text = preface;
			preface = "";
		}
		try {
			parser.push(text, collect);
		} catch (err) {
			if (err instanceof CsvSyntaxError) throw new ImportFileError(err.message, "CSV_SYNTAX");
			throw err;
		}
		return handleRows();
	};

	for await (const part of source) {
		const buf = typeof part === "string" ? Buffer.from(part) : part;
		bytes += buf.length;
		if (bytes > opts.maxBytes) throw new ImportFileError(`The file is larger than the limit of ${opts.maxBytes} bytes.`, "FILE_TOO_LARGE");
		if (await feed(decoder.write(buf))) return { totalRows, blankLines, encoding: decoder.detected ?? "utf-8", delimiter, stopped: true };
	}
	if (await feed(decoder.end())) return { totalRows, blankLines, encoding: decoder.detected ?? "utf-8", delimiter, stopped: true };
	if (!parser && preface) {
		if (!delimiter) delimiter = sniffDelimiter(preface.replace(/^\uFEFF/, ""));
		parser = new CsvParser(delimiter, opts.maxRowChars);
		parser.push(preface, collect);
	}
	if (parser) {
		try {
			parser.end(collect);
		} catch (err) {
			if (err instanceof CsvSyntaxError) throw new ImportFileError(err.message, "CSV_SYNTAX");
			throw err;
		}
		if (await handleRows()) return { totalRows, blankLines, encoding: decoder.detected ?? "utf-8", delimiter, stopped: true };
	}
	if (!headerSeen) throw new ImportFileError("The file is empty: it has no header line.", "EMPTY_FILE");
	if (chunk.length) await sink.chunk(chunk);
	return { totalRows, blankLines, encoding: decoder.detected ?? "utf-8", delimiter: delimiter || ",", stopped: false };
}
