/**
 * The one normalisation of client input, used by the clients service (REST and bus) and by
 * the CSV import: what people type becomes what we store.
 *   - e-mail: trimmed, lower-cased, validated;
 *   - phone: E.164 (libphonenumber-js), the client's country as the default region;
 *   - country: ISO 3166-1 alpha-2 from codes or names in EN/FR/ES/DE/IT (./country.ts);
 *   - gender: female | male | other from common spellings in EN/FR/ES/DE/IT, with an
 *     optional language hint for single letters (Spanish `M` is mujer, female);
 *   - birthDate: YYYY-MM-DD, a real calendar date, not in the future;
 *   - tags: trimmed, lower-cased, deduplicated, 1..40 characters, never `,` `;` `|` (the
 *     CSV tag separators);
 *   - fullName: trimmed, inner white space collapsed, 1..200 characters.
 * Single-field normalisers answer the normalised value or null (not recognised);
 * `normalizeClientInput` answers `{ value }` or `{ errors: [{ field, type, message }] }`.
 */
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";
import { fold, normalizeCountry } from "./country";
import { isCalendarDate } from "../dates";

export { normalizeCountry, fold } from "./country";

export type Gender = "female" | "male" | "other";
export type Language = "en" | "fr" | "es" | "de" | "it";

export interface FieldError {
	field: string;
	type: string;
	message: string;
}

const LIMITS = { fullName: 200, email: 254, notes: 5000, tag: 40, tags: 100 } as const;

// ---------------------------------------------------------------- full name

/** Trimmed, NFC, inner white space collapsed; null when empty, too long or with control characters. */
export function normalizeFullName(input: unknown): string | null {
	if (typeof input !== "string") return null;
	const text = input.normalize("NFC").replace(/\s+/g, " ").trim();
	if (!text || text.length > LIMITS.fullName) return null;
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f\u007f]/.test(text)) return null;
	return text;
}

// ---------------------------------------------------------------- e-mail

const EMAIL_LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const EMAIL_DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** Trimmed and lower-cased; null when it is not an address (local@domain.tld). */
export function normalizeEmail(input: unknown): string | null {
	if (typeof input !== "string") return null;
	let text = input.trim().toLowerCase();
	const mailto = /^mailto:/.exec(text);
	if (mailto) text = text.slice(mailto[0].length);
	if (!text || text.length > LIMITS.email) return null;
	const at = text.lastIndexOf("@");
	if (at < 1 || at !== text.indexOf("@")) return null;
	const local = text.slice(0, at);
	const domain = text.slice(at + 1);
	if (local.length > 64 || !EMAIL_LOCAL.test(local) || !EMAIL_DOMAIN.test(domain)) return null;
	return text;
}

// ---------------------------------------------------------------- phone

/**
 * E.164 (`+34612345678`) from what people type (`612 34 56 78`, `0033 6 12…`, `+49 (0)151…`),
 * with `country` (alpha-2) as the region of national numbers. Null when not a valid number.
 */
export function normalizePhone(input: unknown, country?: string | null): string | null {
	if (typeof input !== "string" && typeof input !== "number") return null;
	let text = String(input).trim();
	if (!text || text.length > 40) return null;
	// A spreadsheet's formula guard (our own export writes phones as '+33…).
	if (text.startsWith("'")) text = text.slice(1).trim();
	// "+49 (0)151 …": the trunk zero in brackets is not dialled from abroad.
	text = text.replace(/^(\+\d{1,3})\s*\(0\)/, "$1");
	if (!/^[+\d\s().\-/]+$/.test(text) || !/\d/.test(text)) return null;
	const region = country && /^[A-Z]{2}$/.test(country) ? (country as CountryCode) : undefined;
	try {
		const parsed = parsePhoneNumberFromString(text, region ? { defaultCountry: region } : undefined);
		if (!parsed || !parsed.isValid()) return null;
		return parsed.number;
	} catch {
		return null;
	}
}

// ---------------------------------------------------------------- gender

const GENDER_WORDS: Record<string, Gender> = {};
const addWords = (g: Gender, words: string[]) => {
	for (const w of words) GENDER_WORDS[fold(w)] = g;
};
addWords("female", [
	"female", "woman", "women", "fem", "feminine", "girl", "lady", "mrs", "ms", "miss",
	"femme", "feminin", "féminin", "féminine", "fille", "madame", "mme",
	"mujer", "femenino", "femenina", "hembra", "chica", "señora", "sra",
	"weiblich", "frau", "fraulein", "fräulein", "mädchen", "w",
	"donna", "femmina", "femminile", "ragazza", "signora",
	"f",
]);
addWords("male", [
	"male", "man", "men", "masculine", "boy", "mr", "gentleman",
	"homme", "masculin", "garçon", "garcon", "monsieur", "mr", "m.",
	"hombre", "masculino", "varon", "varón", "chico", "señor", "sr",
	"mannlich", "männlich", "mann", "herr", "junge",
	"uomo", "maschio", "maschile", "ragazzo", "signore",
]);
addWords("other", [
	"other", "others", "x", "nonbinary", "non binary", "non-binary", "nb", "enby", "diverse", "divers", "genderqueer", "agender", "intersex",
	"autre", "non binaire", "non-binaire",
	"otro", "otra", "otros", "no binario", "no binaria", "no-binario",
	"andere", "anderes", "nicht binar", "nicht-binär", "inter",
	"altro", "altra", "non binario", "non-binario",
]);

/** Single letters whose meaning depends on the language (M: male in EN/FR/DE/IT, mujer in ES). */
const LETTERS: Record<Language | "default", Record<string, Gender>> = {
	default: { f: "female", w: "female", m: "male", h: "male", x: "other", o: "other" },
	en: { f: "female", w: "female", m: "male", x: "other", o: "other" },
	fr: { f: "female", m: "male", h: "male", a: "other", x: "other", o: "other" },
	es: { m: "female", f: "female", h: "male", v: "male", o: "other", x: "other" },
	de: { w: "female", f: "female", m: "male", d: "other", x: "other" },
	it: { f: "female", d: "female", m: "male", u: "male", a: "other", x: "other", o: "other" },
};

/**
 * female | male | other from `F`, `female`, `Femme`, `Mujer`, `weiblich`, `Donna`, `M`, `H`,
 * `Hombre`, `männlich`, `uomo`, `autre`, `divers`… Single letters follow `language` when
 * given (es: M mujer, H hombre; de: W weiblich, D divers; it: D donna). Null when unknown.
 */
export function normalizeGender(input: unknown, language?: Language | null): Gender | null {
	if (typeof input !== "string") return null;
	const raw = input.trim();
	if (!raw || raw.length > 40) return null;
	if (raw === "♀") return "female";
	if (raw === "♂") return "male";
	const key = fold(raw);
	if (!key) return null;
	if (key.length === 1) return LETTERS[language ?? "default"][key] ?? null;
	return GENDER_WORDS[key] ?? GENDER_WORDS[key.replace(/ /g, "")] ?? null;
}

// ---------------------------------------------------------------- birth date

/** True for a YYYY-MM-DD that names a real calendar day (lib/dates.ts). */
export { isCalendarDate };

/** Today as YYYY-MM-DD. Birth dates are compared to the latest calendar day on Earth (UTC+14). */
function latestToday(now: Date): string {
	return new Date(now.getTime() + 14 * 3600_000).toISOString().slice(0, 10);
}

export type BirthDateResult = { value: string } | { error: FieldError };

/** YYYY-MM-DD, a real day, from 1900-01-01 up to today. */
export function normalizeBirthDate(input: unknown, now = new Date(), field = "birthDate"): BirthDateResult {
	const text = typeof input === "string" ? input.trim() : input;
	if (!isCalendarDate(text)) {
		return { error: { field, type: "date", message: `The '${field}' must be a real date written YYYY-MM-DD.` } };
	}
	if (text > latestToday(now)) return { error: { field, type: "dateMax", message: `The '${field}' must not be in the future.` } };
	if (text < "1900-01-01") return { error: { field, type: "dateMin", message: `The '${field}' must be 1900-01-01 or later.` } };
	return { value: text };
}

// ---------------------------------------------------------------- tags

/**
 * The characters that separate tags in one CSV cell (the export joins with `|`, the import
 * splits on all three): a tag never contains them, so export → import gives the same tags.
 */
const TAG_SEPARATORS = /[,;|]/;

/** A tag normalised, or why it is refused (`type` and `message` of a 422). */
function checkTag(input: unknown): { value: string } | { type: string; message: string } {
	const tooLong = { type: "tag", message: `Each tag must be 1 to ${LIMITS.tag} characters.` };
	if (typeof input !== "string") return tooLong;
	const tag = input.normalize("NFC").replace(/\s+/g, " ").trim().toLowerCase();
	if (!tag || tag.length > LIMITS.tag) return tooLong;
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f\u007f]/.test(tag)) return { type: "tag", message: "A tag may not contain control characters." };
	if (TAG_SEPARATORS.test(tag)) {
		return { type: "tagSeparator", message: "A tag may not contain ',' ';' or '|': they separate tags in CSV files (export and import). Send them as separate tags." };
	}
	return { value: tag };
}

/** Trimmed, lower-cased, inner white space collapsed; null when empty, over 40 characters or holding , ; | */
export function normalizeTag(input: unknown): string | null {
	const r = checkTag(input);
	return "value" in r ? r.value : null;
}

/** Each tag normalised, duplicates dropped (first kept); errors name `tags[i]`. */
export function normalizeTags(input: unknown, field = "tags"): { value: string[] } | { errors: FieldError[] } {
	if (!Array.isArray(input)) return { errors: [{ field, type: "array", message: `The '${field}' must be a list of tags.` }] };
	const errors: FieldError[] = [];
	const out: string[] = [];
	input.forEach((t, i) => {
		const r = checkTag(t);
		if (!("value" in r)) errors.push({ field: `${field}[${i}]`, type: r.type, message: r.message });
		else if (!out.includes(r.value)) out.push(r.value);
	});
	if (out.length > LIMITS.tags) errors.push({ field, type: "arrayMax", message: `A client has at most ${LIMITS.tags} tags.` });
	return errors.length ? { errors } : { value: out };
}

/** Splits one CSV cell of tags on `,` `;` or `|` (TAG_SEPARATORS; empty pieces ignored). */
export function splitTags(cell: string): string[] {
	return cell.split(TAG_SEPARATORS).map(t => t.trim()).filter(Boolean);
}

// ---------------------------------------------------------------- a whole client

export const IDENTITY_FIELDS = ["fullName", "email", "phone", "gender", "country", "birthDate"] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number];

export interface NormalizedClient {
	fullName: string;
	email: string;
	phone: string;
	gender: Gender;
	country: string;
	birthDate: string | null;
	notes: string | null;
	tags: string[];
}

export interface NormalizeOptions {
	/** Region for the phone when the input has no (valid) country; also the country when none is given. */
	defaultCountry?: string | null;
	/** Language of single-letter genders (the import's header language). */
	genderLanguage?: Language | null;
	/**
	 * Only the fields present are checked and returned (PATCH). The phone's region is then
	 * `country` when given, else `defaultCountry` (the client's current country).
	 */
	partial?: boolean;
	now?: Date;
}

const REQUIRED = ["fullName", "email", "phone", "gender", "country"] as const;

const present = (raw: Record<string, unknown>, k: string) => raw[k] !== undefined;

/**
 * Normalises a client's fields. Required: fullName, email, phone, gender, country (a missing
 * country falls back to `defaultCountry`); optional birthDate, notes (null clears), tags.
 * Unknown keys are ignored (callers validate their shape first).
 */
export function normalizeClientInput(raw: Record<string, unknown>, opts: NormalizeOptions = {}): { value: Partial<NormalizedClient> } | { errors: FieldError[] } {
	const errors: FieldError[] = [];
	const value: Partial<NormalizedClient> = {};
	const isEmpty = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");
	if (!opts.partial) {
		for (const k of REQUIRED) {
			if (isEmpty(raw[k]) && !(k === "country" && opts.defaultCountry)) {
				errors.push({ field: k, type: "required", message: `The '${k}' field is required.` });
			}
		}
	}
	const has = (k: string) => present(raw, k) && !(!opts.partial && isEmpty(raw[k]) && (REQUIRED as readonly string[]).includes(k));

	if (has("fullName")) {
		const v = normalizeFullName(raw.fullName);
		if (v === null) errors.push({ field: "fullName", type: "fullName", message: `The 'fullName' must be 1 to ${LIMITS.fullName} characters.` });
		else value.fullName = v;
	}
	if (has("email")) {
		const v = normalizeEmail(raw.email);
		if (v === null) errors.push({ field: "email", type: "email", message: "The 'email' is not a valid e-mail address." });
		else value.email = v;
	}
	let countryOk = true;
	if (has("country")) {
		const v = normalizeCountry(raw.country);
		if (v === null) {
			countryOk = false;
			errors.push({ field: "country", type: "country", message: "The 'country' is not a known country (ISO code or name)." });
		} else value.country = v;
	} else if (!opts.partial && opts.defaultCountry) {
		value.country = opts.defaultCountry;
	}
	if (has("phone")) {
		const region = value.country ?? opts.defaultCountry ?? null;
		const v = normalizePhone(raw.phone, region);
		if (v === null) {
			// With an unknown country the phone may be fine: report only the country then.
			if (countryOk || !present(raw, "country")) {
				errors.push({ field: "phone", type: "phone", message: `The 'phone' is not a valid phone number${region ? ` for ${region}` : ""} (write it with its country code, e.g. +34 612 345 678).` });
			}
		} else value.phone = v;
	}
	if (has("gender")) {
		const v = normalizeGender(raw.gender, opts.genderLanguage);
		if (v === null) errors.push({ field: "gender", type: "gender", message: "The 'gender' must be female, male or other." });
		else value.gender = v;
	}
	if (present(raw, "birthDate")) {
		if (raw.birthDate === null || (typeof raw.birthDate === "string" && raw.birthDate.trim() === "")) value.birthDate = null;
		else {
			const r = normalizeBirthDate(raw.birthDate, opts.now);
			if ("error" in r) errors.push(r.error);
			else value.birthDate = r.value;
		}
	} else if (!opts.partial) value.birthDate = null;
	if (present(raw, "notes")) {
		if (raw.notes === null) value.notes = null;
		else if (typeof raw.notes !== "string" || raw.notes.length > LIMITS.notes) {
			errors.push({ field: "notes", type: "notes", message: `The 'notes' must be text of at most ${LIMITS.notes} characters.` });
		} else value.notes = raw.notes.trim() === "" ? null : raw.notes;
	} else if (!opts.partial) value.notes = null;
	if (present(raw, "tags")) {
		const r = normalizeTags(raw.tags);
		if ("errors" in r) errors.push(...r.errors);
		else value.tags = r.value;
	} else if (!opts.partial) value.tags = [];
	return errors.length ? { errors } : { value };
}
