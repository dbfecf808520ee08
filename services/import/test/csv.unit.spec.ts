/**
 * Unit tests of the CSV reading pieces (no broker, no database): the parser's physical line
 * numbers whatever the newlines and chunk boundaries, the decoder's late decision, the
 * delimiter sniffing, header recognition and the seen-e-mail set.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import iconv from "iconv-lite";
import { AutoDecoder } from "../csv/decode";
import { CsvParser, CsvSyntaxError, sniffDelimiter, type CsvRow } from "../csv/parser";
import { mapHeaders } from "../csv/headers";
import { spreadsheetDate, toImportRow, unguard } from "../csv/rows";
import { SeenSet } from "../csv/seen";

function parseAll(text: string, pieces: number[] = [], delimiter = ","): CsvRow[] {
	const rows: CsvRow[] = [];
	const p = new CsvParser(delimiter, 10_000);
	let at = 0;
	for (const size of pieces) {
		p.push(text.slice(at, at + size), r => rows.push(r));
		at += size;
	}
	p.push(text.slice(at), r => rows.push(r));
	p.end(r => rows.push(r));
	return rows;
}

function decodeAll(buf: Buffer, pieces: number[], requested: "auto" | "utf-8" | "windows-1252" = "auto"): { text: string; enc: string | null } {
	const d = new AutoDecoder(requested);
	let text = "";
	let at = 0;
	for (const size of pieces) {
		text += d.write(buf.subarray(at, at + size));
		at += size;
	}
	text += d.write(buf.subarray(at));
	text += d.end();
	return { text, enc: d.detected };
}

describe("CSV parser", () => {
	it("when quoted cells hold delimiters, doubled quotes and newlines (LF, CRLF, CR), then rows keep them and start on their physical line", () => {
		const text = 'h1,h2\r\na,"x, ""y""\r\nz"\r\nb,"1\n2\r3"\rc,d\n\n"e",\n';
		const rows = parseAll(text);
		assert.deepEqual(
			rows.map(r => [r.line, r.cells]),
			[
				[1, ["h1", "h2"]],
				[2, ["a", 'x, "y"\r\nz']],
				[4, ["b", "1\n2\r3"]],
				[7, ["c", "d"]],
				[8, [""]],
				[9, ["e", ""]],
			],
		);
	});

	it("when the text arrives in arbitrary pieces, then the rows are the same as in one piece", () => {
		const text = 'name;note\r\n"Zoé";"a;b\r\nc"\r\nJo;"say ""hi"""\nlast;x';
		const whole = parseAll(text, [], ";");
		fc.assert(
			fc.property(fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 20 }), pieces => {
				assert.deepEqual(parseAll(text, pieces, ";"), whole);
			}),
		);
	});

	it("when a quote never closes, then the error names the line where it opened", () => {
		assert.throws(() => parseAll('a,b\n1,2\n"3,4\n5,6\n'), (e: unknown) => e instanceof CsvSyntaxError && e.line === 3 && /^line 3: unclosed quote/.test(e.message));
	});

	it("when a row is longer than the limit, then it fails at its line", () => {
		const p = new CsvParser(",", 20);
		assert.throws(() => p.push("a,b\n" + "x".repeat(30) + "\n", () => undefined), (e: unknown) => e instanceof CsvSyntaxError && /^line 2: row too long/.test(e.message));
	});

	it("when the header line is sniffed, then the most frequent of , ; tab wins (quotes ignored)", () => {
		assert.equal(sniffDelimiter("a;b;c,d\n1"), ";");
		assert.equal(sniffDelimiter("a\tb\tc\n"), "\t");
		assert.equal(sniffDelimiter('"a;b;c",d,e\n'), ",");
		assert.equal(sniffDelimiter("single\n"), ",");
	});
});

describe("CSV decoder", () => {
	it("when a Windows-1252 file is pure ASCII for 200 KB before its first accent, then it is still read as Windows-1252", () => {
		const buf = Buffer.concat([Buffer.from("a,b\n" + "x,y\n".repeat(50_000)), iconv.encode("Zoé,Lefèvre\n", "win1252")]);
		const { text, enc } = decodeAll(buf, [65536, 65536, 65536]);
		assert.equal(enc, "windows-1252");
		assert.ok(text.endsWith("Zoé,Lefèvre\n"));
	});

	it("when UTF-8 multi-byte letters are split across pieces, then they decode whole", () => {
		const buf = Buffer.from("Jürgen,Groß,Ñandú,€\n", "utf8");
		fc.assert(
			fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 10 }), pieces => {
				const { text, enc } = decodeAll(buf, pieces);
				assert.equal(text, "Jürgen,Groß,Ñandú,€\n");
				assert.equal(enc, "utf-8");
			}),
		);
	});

	it("when the file starts with a BOM, then the BOM decides (UTF-8, UTF-16 LE/BE) and is dropped", () => {
		assert.equal(decodeAll(Buffer.from("\uFEFFé,b\n", "utf8"), [1, 1]).text, "é,b\n");
		assert.equal(decodeAll(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("é,b\n", "utf16le")]), [3]).text, "é,b\n");
		const be = Buffer.from("é,b\n", "utf16le").swap16();
		const r = decodeAll(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), []);
		assert.deepEqual([r.text, r.enc], ["é,b\n", "utf-16be"]);
	});

	it("when the encoding is forced, then it is used even where auto would decide otherwise", () => {
		assert.equal(decodeAll(Buffer.from("é\n", "utf8"), [], "windows-1252").text, "Ã©\n");
	});
});

describe("CSV headers and rows", () => {
	it("when headers are in FR/ES/DE/IT with accents and punctuation, then each maps to its field", () => {
		const m = mapHeaders(["Prénom", "NOM", "Courriel", "Téléphone", "Sexe", "Pays", "Date de naissance", "Étiquettes", "Groupe", "Remarques"]);
		assert.deepEqual(m.missing, []);
		assert.deepEqual(Object.keys(m.columns).sort(), ["birthDate", "country", "email", "firstName", "gender", "group", "lastName", "notes", "phone", "tags"]);
		assert.equal(m.genderLanguage, null);
		assert.equal(mapHeaders(["Nombre", "Apellidos", "Correo", "Móvil", "Sexo", "País"]).genderLanguage, "es");
		assert.deepEqual(mapHeaders(["Vorname", "Nachname", "E-Mail", "Handy", "Geschlecht", "Land"]).missing, []);
		assert.deepEqual(mapHeaders(["Nome", "Cognome", "Email", "Cellulare", "Sesso", "Paese"]).missing, []);
		assert.deepEqual(mapHeaders(["Name", "Email"]).missing, ["phone", "gender", "country"]);
	});

	it("when first and last name columns are given, then they join as 'First Last'; the export's formula guard is stripped", () => {
		const m = mapHeaders(["Last name", "First name", "Email", "Phone", "Gender", "Country", "Birthday"]);
		const row = toImportRow(2, ["Lefèvre", "Zoé", "z@example.com", "'+33612345678", "F", "FR", "17.05.1990"], m);
		assert.equal(row.input!.fullName, "Zoé Lefèvre");
		assert.equal(row.input!.phone, "+33612345678");
		assert.equal(row.input!.birthDate, "1990-05-17");
		assert.equal(unguard("'=SUM(A1)"), "=SUM(A1)");
		assert.equal(unguard("'t Hooft"), "'t Hooft");
		assert.equal(spreadsheetDate("1990-5-7 00:00:00"), "1990-05-07");
	});

	it("when e-mails repeat in the seen set, then only the first is new (across growth)", () => {
		const s = new SeenSet(4);
		for (let i = 0; i < 50_000; i++) assert.equal(s.add(`user${i}@example.com`), true);
		for (let i = 0; i < 50_000; i += 997) assert.equal(s.add(`user${i}@example.com`), false);
		assert.equal(s.size, 50_000);
	});
});
