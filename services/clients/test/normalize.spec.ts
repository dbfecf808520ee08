/**
 * lib/normalize: what people type (in five languages) becomes what we store. Pure unit
 * tests; the same functions serve the REST/bus actions and the CSV import.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
	isCalendarDate,
	normalizeBirthDate,
	normalizeClientInput,
	normalizeCountry,
	normalizeEmail,
	normalizeFullName,
	normalizeGender,
	normalizePhone,
	normalizeTag,
	normalizeTags,
	splitTags,
} from "../../../lib/normalize/client";

describe("Normalisation (lib/normalize)", () => {
	describe("e-mail", () => {
		it("when an address has spaces and capitals, then it is trimmed and lower-cased", () => {
			assert.equal(normalizeEmail("  Ana.Garcia@Example.COM "), "ana.garcia@example.com");
			assert.equal(normalizeEmail("mailto:Jo@club.fr"), "jo@club.fr");
			assert.equal(normalizeEmail("o'neil+padel@sub.example.co.uk"), "o'neil+padel@sub.example.co.uk");
			assert.equal(normalizeEmail("x@xn--bcher-kva.ch"), "x@xn--bcher-kva.ch");
		});
		it("when the text is not an address, then null", () => {
			for (const bad of ["", "   ", "ana", "ana@", "@example.com", "ana@example", "ana@@example.com", "ana @example.com", "ana..g@example.com", ".ana@example.com", "ana@-example.com", "ana@example.c", `${"a".repeat(65)}@example.com`, 42 as any, null]) {
				assert.equal(normalizeEmail(bad), null, String(bad));
			}
		});
	});

	describe("phone", () => {
		it("when a national number is typed with the client's country, then it becomes E.164 in that country", () => {
			assert.equal(normalizePhone("06 12 34 56 78", "FR"), "+33612345678");
			assert.equal(normalizePhone("612 34 56 78", "ES"), "+34612345678");
			assert.equal(normalizePhone("0151 23456789", "DE"), "+4915123456789");
			assert.equal(normalizePhone("347 123 4567", "IT"), "+393471234567");
			assert.equal(normalizePhone("(201) 555-0123", "US"), "+12015550123");
			assert.equal(normalizePhone("07911 123456", "GB"), "+447911123456");
		});
		it("when an international number is typed, then the default region does not matter", () => {
			assert.equal(normalizePhone("+33 6 12 34 56 78", "ES"), "+33612345678");
			assert.equal(normalizePhone("0033 6 12 34 56 78", "FR"), "+33612345678");
			assert.equal(normalizePhone("+49 (0)151 23456789", "FR"), "+4915123456789");
			assert.equal(normalizePhone("'+34612345678", null), "+34612345678");
			assert.equal(normalizePhone("+34.612.345.678"), "+34612345678");
		});
		it("when the number is not valid, then null", () => {
			for (const bad of ["", "123", "06 12", "+33 1", "abc", "06 12 34 56 78 ext", "+999 123456789", "0612345678901234567890"]) {
				assert.equal(normalizePhone(bad, "FR"), null, bad);
			}
			assert.equal(normalizePhone("612345678"), null, "a national number with no region");
		});
	});

	describe("country", () => {
		it("when a code or a name in EN/FR/ES/DE/IT is typed, then the alpha-2 code", () => {
			const cases: Record<string, string> = {
				fr: "FR", FR: "FR", FRA: "FR", France: "FR", Francia: "FR", Frankreich: "FR", "  france ": "FR",
				Espagne: "ES", España: "ES", espana: "ES", Spanien: "ES", Spagna: "ES", Spain: "ES",
				Deutschland: "DE", Allemagne: "DE", Alemania: "DE", Germania: "DE", Germany: "DE",
				Italia: "IT", Italie: "IT", Italien: "IT", "Royaume-Uni": "GB", UK: "GB", "Reino Unido": "GB", England: "GB",
				"États-Unis": "US", USA: "US", Schweiz: "CH", Suisse: "CH", Svizzera: "CH", "Pays-Bas": "NL", Belgique: "BE", "250": "FR",
			};
			for (const [input, code] of Object.entries(cases)) assert.equal(normalizeCountry(input), code, input);
		});
		it("when the text names no country, then null", () => {
			for (const bad of ["", "XX", "Atlantis", "Narnia", "12345"]) assert.equal(normalizeCountry(bad), null, bad);
		});
	});

	describe("gender", () => {
		it("when common spellings in five languages are typed, then female | male | other", () => {
			const cases: Record<string, string> = {
				F: "female", f: "female", female: "female", Female: "female", FEMME: "female", Femme: "female", "féminin": "female", mujer: "female", Mujer: "female",
				femenino: "female", weiblich: "female", Frau: "female", donna: "female", Femmina: "female", W: "female", woman: "female", "♀": "female",
				M: "male", m: "male", male: "male", Homme: "male", H: "male", hombre: "male", masculino: "male", "männlich": "male", mannlich: "male",
				Mann: "male", uomo: "male", maschio: "male", masculin: "male", man: "male", "♂": "male",
				other: "other", Autre: "other", otro: "other", otra: "other", divers: "other", altro: "other", X: "other", "non-binary": "other", "Non binaire": "other", "no binario": "other",
			};
			for (const [input, g] of Object.entries(cases)) assert.equal(normalizeGender(input), g, input);
		});
		it("when a language hint is given, then single letters follow it (Spanish M is mujer)", () => {
			assert.equal(normalizeGender("M", "es"), "female");
			assert.equal(normalizeGender("H", "es"), "male");
			assert.equal(normalizeGender("V", "es"), "male");
			assert.equal(normalizeGender("M", "fr"), "male");
			assert.equal(normalizeGender("H", "fr"), "male");
			assert.equal(normalizeGender("W", "de"), "female");
			assert.equal(normalizeGender("D", "de"), "other");
			assert.equal(normalizeGender("D", "it"), "female");
			assert.equal(normalizeGender("M", "it"), "male");
			assert.equal(normalizeGender("M", "en"), "male");
			// Words do not depend on the hint.
			assert.equal(normalizeGender("mujer", "de"), "female");
			assert.equal(normalizeGender("Hombre", "it"), "male");
		});
		it("when the value is unknown, then null", () => {
			for (const bad of ["", "  ", "Q", "D", "yes", "123", "femalish"]) assert.equal(normalizeGender(bad), null, bad);
		});
	});

	describe("birth date", () => {
		const now = new Date("2026-11-24T12:00:00Z");
		it("when a real past date is written YYYY-MM-DD, then it is kept", () => {
			assert.deepEqual(normalizeBirthDate("1990-02-28", now), { value: "1990-02-28" });
			assert.deepEqual(normalizeBirthDate("2000-02-29", now), { value: "2000-02-29" });
			assert.deepEqual(normalizeBirthDate(" 2026-11-24 ", now), { value: "2026-11-24" });
		});
		it("when the date does not exist, is not ISO, or is in the future, then an error names the field", () => {
			for (const bad of ["1990-02-30", "1900-02-29", "2023-13-01", "31/12/1990", "1990-1-5", "19900105", "", "2026-12-25"]) {
				const r = normalizeBirthDate(bad, now);
				assert.ok("error" in r, bad);
				assert.equal(r.error.field, "birthDate");
			}
			const future = normalizeBirthDate("2027-01-01", now);
			assert.ok("error" in future && future.error.type === "dateMax");
		});
		it("when isCalendarDate checks any day of 1900..2100, then it agrees with the calendar", () => {
			fc.assert(
				fc.property(fc.integer({ min: 1900, max: 2100 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), (y, m, d) => {
					const text = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
					const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
					return isCalendarDate(text) === d <= days;
				}),
			);
		});
	});

	describe("tags and names", () => {
		it("when tags are messy, then trimmed, lower-cased and deduplicated in order", () => {
			assert.deepEqual(normalizeTags(["  VIP ", "vip", "Junior  Team", "morning"]), { value: ["vip", "junior team", "morning"] });
			assert.equal(normalizeTag("x".repeat(41)), null);
			assert.equal(normalizeTag("x".repeat(40)), "x".repeat(40));
			const bad = normalizeTags(["ok", "  ", "y".repeat(41)]);
			assert.ok("errors" in bad);
			assert.deepEqual(bad.errors.map(e => e.field), ["tags[1]", "tags[2]"]);
			assert.deepEqual(splitTags("vip; junior|morning,, "), ["vip", "junior", "morning"]);
		});
		it("when a tag holds a CSV tag separator (, ; |), then it is refused with tagSeparator on tags[i]; a split cell never holds one", () => {
			const bad = normalizeTags(["ok", "rock;roll", "a|b", "x,y", " fine "]);
			assert.ok("errors" in bad);
			assert.deepEqual(bad.errors.map(e => [e.field, e.type]), [["tags[1]", "tagSeparator"], ["tags[2]", "tagSeparator"], ["tags[3]", "tagSeparator"]]);
			assert.match(bad.errors[0].message, /',' ';' or '\|'/);
			assert.deepEqual(normalizeTags(["a|b"], "addTags"), { errors: [{ field: "addTags[0]", type: "tagSeparator", message: (normalizeTags(["a|b"]) as any).errors[0].message }] });
			for (const t of ["a;b", "a,b", "a|b", " , "]) assert.equal(normalizeTag(t), null, t);
			assert.equal(normalizeTag("rock & roll / jazz: 2024 (é)"), "rock & roll / jazz: 2024 (é)");
			const cell = "Rock;Roll|a|b|x,y";
			const r = normalizeTags(splitTags(cell));
			assert.deepEqual(r, { value: ["rock", "roll", "a", "b", "x", "y"] });
		});
		it("when a full name has extra spaces, then they are collapsed; empty or over 200, then null", () => {
			assert.equal(normalizeFullName("  Ana   María\tGarcía "), "Ana María García");
			assert.equal(normalizeFullName("   "), null);
			assert.equal(normalizeFullName("a".repeat(201)), null);
			assert.equal(normalizeFullName("a".repeat(200)), "a".repeat(200));
		});
	});

	describe("a whole client", () => {
		it("when every field is typed the way people do, then the client is normalised", () => {
			const r = normalizeClientInput({ fullName: " José  Pérez ", email: " Jose@Example.ES ", phone: "612 345 678", gender: "Hombre", country: "España", birthDate: "1985-04-12", tags: ["VIP", "vip "] });
			assert.deepEqual(r, {
				value: { fullName: "José Pérez", email: "jose@example.es", phone: "+34612345678", gender: "male", country: "ES", birthDate: "1985-04-12", notes: null, tags: ["vip"] },
			});
		});
		it("when required fields are missing or invalid, then each is named once", () => {
			const r = normalizeClientInput({ fullName: "", email: "nope", phone: "12", gender: "?" });
			assert.ok("errors" in r);
			assert.deepEqual(r.errors.map(e => e.field).sort(), ["country", "email", "fullName", "gender", "phone"]);
			assert.equal(r.errors.find(e => e.field === "fullName")!.type, "required");
		});
		it("when the country is missing and a default is given (the import's club country), then it is used for the phone too", () => {
			const r = normalizeClientInput({ fullName: "Luca", email: "l@x.it", phone: "347 123 4567", gender: "M" }, { defaultCountry: "IT", genderLanguage: "it" });
			assert.ok("value" in r);
			assert.equal(r.value.country, "IT");
			assert.equal(r.value.phone, "+393471234567");
		});
		it("when the country is unknown, then only the country is reported, not the phone", () => {
			const r = normalizeClientInput({ fullName: "A", email: "a@b.co", phone: "612345678", gender: "f", country: "Atlantis" });
			assert.ok("errors" in r);
			assert.deepEqual(r.errors.map(e => e.field), ["country"]);
		});
		it("when partial (PATCH), then only the given fields are checked and returned", () => {
			const r = normalizeClientInput({ phone: "06 12 34 56 78", notes: null }, { partial: true, defaultCountry: "FR" });
			assert.deepEqual(r, { value: { phone: "+33612345678", notes: null } });
		});
	});
});
