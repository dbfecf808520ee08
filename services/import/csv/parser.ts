/**
 * A streaming RFC 4180 CSV parser over decoded text that knows each row's physical line.
 *
 * Why not csv-parser: it cannot say on which line a row starts once quoted cells hold
 * newlines, it parses an unclosed quote at end of file as one giant last row, and its
 * row-size error carries no line. Here a row is `{ line, cells }` with `line` the physical
 * line where it starts (LF, CRLF or CR; newlines inside quotes counted), a quoted cell may
 * hold delimiters, newlines and doubled quotes, and a quote left open fails with the line
 * where it was opened. Text is consumed chunk by chunk; memory is bounded by maxRowChars.
 */

export interface CsvRow {
	line: number;
	cells: string[];
}

/** A file that cannot be parsed any further (the job fails with this message). */
export class CsvSyntaxError extends Error {
	constructor(
		message: string,
		readonly line: number,
	) {
		super(message);
		this.name = "CsvSyntaxError";
	}
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

const enum S {
	FieldStart,
	Unquoted,
	Quoted,
	QuoteInQuoted,
}

export class CsvParser {
	private state = S.FieldStart;
	private cells: string[] = [];
	private cell = "";
	private line = 1;
	private rowLine = 1;
	private quoteLine = 1;
	private rowChars = 0;
	private lastCR = false;
	private readonly delim: number;

	constructor(
		delimiter: string,
		private readonly maxRowChars: number,
	) {
		this.delim = delimiter.charCodeAt(0);
	}

	/** Parses `text`, calling `emit` for every complete row. Throws CsvSyntaxError. */
	push(text: string, emit: (row: CsvRow) => void): void {
		const n = text.length;
		const delim = this.delim;
		let start = 0;
		for (let i = 0; i < n; i++) {
			const c = text.charCodeAt(i);
			// Physical lines: CR, LF and CRLF each end one line, inside quotes too.
			if (c === CR) {
				this.line++;
				this.lastCR = true;
			} else if (c === LF) {
				if (this.lastCR) {
					this.lastCR = false;
					// The LF of a CRLF: the row (if any) already ended on the CR.
					if (this.state !== S.Quoted) {
						if (this.state === S.FieldStart && this.cells.length === 0) {
							start = i + 1;
							continue;
						}
					}
				} else this.line++;
			} else this.lastCR = false;

			if (++this.rowChars > this.maxRowChars) this.tooLong();

			switch (this.state) {
				case S.FieldStart:
					if (c === QUOTE) {
						this.state = S.Quoted;
						this.quoteLine = this.line;
						start = i + 1;
					} else if (c === delim) {
						this.cells.push("");
					} else if (c === LF || c === CR) {
						this.cells.push("");
						this.endRow(emit);
					} else {
						this.state = S.Unquoted;
						start = i;
					}
					break;
				case S.Unquoted:
					if (c === delim) {
						this.cells.push(this.cell + text.slice(start, i));
						this.cell = "";
						this.state = S.FieldStart;
					} else if (c === LF || c === CR) {
						this.cells.push(this.cell + text.slice(start, i));
						this.cell = "";
						this.endRow(emit);
					}
					break;
				case S.Quoted:
					if (c === QUOTE) {
						this.cell += text.slice(start, i);
						this.state = S.QuoteInQuoted;
					}
					break;
				case S.QuoteInQuoted:
					if (c === QUOTE) {
						// A doubled quote inside a quoted cell.
						this.cell += '"';
						this.state = S.Quoted;
						start = i + 1;
					} else if (c === delim) {
						this.cells.push(this.cell);
						this.cell = "";
						this.state = S.FieldStart;
					} else if (c === LF || c === CR) {
						this.cells.push(this.cell);
						this.cell = "";
						this.endRow(emit);
					} else {
						// Text after a closing quote ("a"b): kept, as spreadsheets do.
						this.state = S.Unquoted;
						start = i;
					}
					break;
			}
		}
		if (this.state === S.Unquoted || this.state === S.Quoted) this.cell += text.slice(start);
	}

	/** End of input: the last row (without a final newline), or an unclosed quote. */
	end(emit: (row: CsvRow) => void): void {
		if (this.state === S.Quoted) {
			throw new CsvSyntaxError(`line ${this.quoteLine}: unclosed quote (a quoted cell opened here never ends)`, this.quoteLine);
		}
		if (this.state === S.Unquoted || this.state === S.QuoteInQuoted) {
			this.cells.push(this.cell);
			this.cell = "";
		} else if (this.cells.length > 0) {
			this.cells.push(""); // "a,b," at end of file: the last cell is empty
		}
		if (this.cells.length > 0) this.endRow(emit);
	}

	private endRow(emit: (row: CsvRow) => void): void {
		const row = { line: this.rowLine, cells: this.cells };
		this.cells = [];
		this.state = S.FieldStart;
		this.rowChars = 0;
		this.rowLine = this.line;
		emit(row);
	}

	private tooLong(): never {
		if (this.state === S.Quoted) {
			throw new CsvSyntaxError(
				`line ${this.quoteLine}: unclosed quote or row too long (a quoted cell opened here runs past ${this.maxRowChars} characters)`,
				this.quoteLine,
			);
		}
		throw new CsvSyntaxError(`line ${this.rowLine}: row too long (more than ${this.maxRowChars} characters)`, this.rowLine);
	}
}

/**
 * Picks the delimiter among `,` `;` and tab from the header line (outside quotes):
 * the most frequent wins; none at all (a one-column file) means `,`.
 */
export function sniffDelimiter(text: string): string {
	const counts = new Map<string, number>([[";", 0], ["\t", 0], [",", 0]]);
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (ch === '"') quoted = !quoted;
		else if (!quoted && (ch === "\n" || ch === "\r")) break;
		else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
	}
	let best = ",";
	let bestCount = 0;
	for (const [d, n] of counts) {
		if (n > bestCount) {
			best = d;
			bestCount = n;
		}
	}
	return best;
}
