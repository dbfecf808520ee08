/**
 * Bytes -> text for CSV files as people really have them: UTF-8 with or without BOM,
 * UTF-16 with a BOM, and Windows-1252 (Excel's "CSV" on Western Windows) otherwise.
 *
 * `auto` decides by the BOM, then by the first non-ASCII bytes: a file stays undecided
 * while it is pure ASCII (both readings agree), and the first non-ASCII sequence decides
 * (valid UTF-8 -> UTF-8, else Windows-1252). So a Windows-1252 file whose first accented
 * letter is on line 40 000 is still read right, and nothing is buffered meanwhile.
 */
import iconv from "iconv-lite";

export type RequestedEncoding = "auto" | "utf-8" | "windows-1252";
export type DetectedEncoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

interface Decoder {
	write(buf: Buffer): string;
	end(): string | undefined;
}

/** How many bytes after the first non-ASCII byte are checked before deciding. */
const DECIDE_WINDOW = 4096;

/** valid: only complete valid sequences (and at least one multi-byte); incomplete: ran out mid-sequence. */
function utf8Verdict(buf: Buffer, start: number, end: number): "valid" | "invalid" | "incomplete" {
	let i = start;
	while (i < end) {
		const b = buf[i];
		let need: number;
		if (b < 0x80) {
			i++;
			continue;
		} else if (b >= 0xc2 && b <= 0xdf) need = 1;
		else if (b >= 0xe0 && b <= 0xef) need = 2;
		else if (b >= 0xf0 && b <= 0xf4) need = 3;
		else return "invalid";
		if (i + need >= end) {
			// The sequence is cut by the end of what we have.
			for (let k = i + 1; k < end; k++) if ((buf[k] & 0xc0) !== 0x80) return "invalid";
			return "incomplete";
		}
		for (let k = 1; k <= need; k++) if ((buf[i + k] & 0xc0) !== 0x80) return "invalid";
		// Overlong / surrogate / out-of-range forms.
		if (b === 0xe0 && buf[i + 1] < 0xa0) return "invalid";
		if (b === 0xed && buf[i + 1] > 0x9f) return "invalid";
		if (b === 0xf0 && buf[i + 1] < 0x90) return "invalid";
		if (b === 0xf4 && buf[i + 1] > 0x8f) return "invalid";
		i += need + 1;
	}
	return "valid";
}

export class AutoDecoder {
	/** The encoding in use once known (null while an `auto` file is still pure ASCII). */
	detected: DetectedEncoding | null = null;
	private decoder: Decoder | null = null;
	private head: Buffer | null = Buffer.alloc(0);
	private pending: Buffer | null = null;

	constructor(private readonly requested: RequestedEncoding = "auto") {}

	private use(enc: DetectedEncoding): void {
		this.detected = enc;
		this.decoder = iconv.getDecoder(enc === "windows-1252" ? "win1252" : enc, { stripBOM: true }) as Decoder;
	}

	write(chunk: Buffer): string {
		if (this.head) {
			// Wait for 3 bytes to recognise a BOM (unless the file is that short: end() handles it).
			const head = Buffer.concat([this.head, chunk]);
			if (head.length < 3) {
				this.head = head;
				return "";
			}
			this.head = null;
			chunk = head;
			if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) this.use("utf-8");
			else if (chunk[0] === 0xff && chunk[1] === 0xfe) this.use("utf-16le");
			else if (chunk[0] === 0xfe && chunk[1] === 0xff) this.use("utf-16be");
			else if (this.requested !== "auto") this.use(this.requested);
		}
		if (this.decoder) return this.decoder.write(chunk);
		return this.undecided(chunk, false);
	}

	end(): string {
		let out = "";
		if (this.head) {
			const head = this.head;
			this.head = null;
			if (head.length) {
				if (this.requested !== "auto") this.use(this.requested);
				out += this.decoder ? this.decoder.write(head) : this.undecided(head, true);
			}
		} else if (!this.decoder && this.pending) {
			out += this.undecided(Buffer.alloc(0), true);
		}
		if (this.decoder) out += this.decoder.end() ?? "";
		return out;
	}

	/** Pure ASCII passes through; the first non-ASCII bytes decide between UTF-8 and Windows-1252. */
	private undecided(chunk: Buffer, final: boolean): string {
		if (this.pending) {
			chunk = Buffer.concat([this.pending, chunk]);
			this.pending = null;
		}
		let i = 0;
		while (i < chunk.length && chunk[i] < 0x80) i++;
		if (i === chunk.length) return chunk.toString("latin1");
		const ascii = chunk.toString("latin1", 0, i);
		const windowEnd = Math.min(chunk.length, i + DECIDE_WINDOW);
		const verdict = utf8Verdict(chunk, i, windowEnd);
		if (verdict === "incomplete" && !final && windowEnd === chunk.length) {
			this.pending = chunk.subarray(i);
			return ascii;
		}
		// Cut by the window (not by the data) counts as valid so far.
		const utf8 = verdict === "valid" || (verdict === "incomplete" && windowEnd < chunk.length);
		this.use(utf8 ? "utf-8" : "windows-1252");
		return ascii + this.decoder!.write(chunk.subarray(i));
	}
}
