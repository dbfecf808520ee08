/**
 * Country to ISO 3166-1 alpha-2 from a code (`fr`, `FRA`, `250`) or a name in English,
 * French, Spanish, German or Italian (`France`, `Francia`, `Frankreich`, `Espagne`...),
 * case-, accent- and punctuation-insensitive. Backed by i18n-iso-countries.
 */
import countries from "i18n-iso-countries";

const LANGS = ["en", "fr", "es", "de", "it", "pt", "nl", "ca"] as const;
for (const lang of LANGS) {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	countries.registerLocale(require(`i18n-iso-countries/langs/${lang}.json`));
}

export function fold(text: string): string {
	return text
		.normalize("NFKD")
		.replace(/[\u0300-\u036f]/g, "")
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, " ")
		.trim();
}

const byName = new Map<string, string>();
for (const lang of LANGS) {
	for (const [code, names] of Object.entries(countries.getNames(lang, { select: "all" }))) {
		for (const n of names as string[]) {
			const key = fold(n);
			if (key && !byName.has(key)) byName.set(key, code);
		}
	}
}
// Common short forms people type.
const EXTRA: Record<string, string> = {
	uk: "GB", "great britain": "GB", england: "GB", scotland: "GB", wales: "GB", "northern ireland": "GB",
	usa: "US", "u s a": "US", "u s": "US", america: "US", "etats unis": "US", "estados unidos": "US",
	holland: "NL", "the netherlands": "NL", "pays bas": "NL", "paises bajos": "NL",
	"republique tcheque": "CZ", "czech republic": "CZ", russia: "RU", "south korea": "KR", "korea": "KR",
	"ivory coast": "CI", "cote d ivoire": "CI", "emirats arabes unis": "AE", uae: "AE",
};
for (const [k, v] of Object.entries(EXTRA)) if (!byName.has(k)) byName.set(k, v);

/** Returns the alpha-2 code, or null when the text names no country. */
export function normalizeCountry(input: unknown): string | null {
	if (typeof input !== "string" && typeof input !== "number") return null;
	const raw = String(input).trim();
	if (!raw || raw.length > 100) return null;
	if (/^[A-Za-z]{2}$/.test(raw)) {
		const code = raw.toUpperCase();
		if (code === "UK") return "GB";
		return countries.isValid(code) ? code : null;
	}
	if (/^[A-Za-z]{3}$/.test(raw)) {
		const code = countries.alpha3ToAlpha2(raw.toUpperCase());
		if (code) return code;
	}
	if (/^\d{1,3}$/.test(raw)) {
		const code = countries.numericToAlpha2(raw.padStart(3, "0"));
		if (code) return code;
	}
	return byName.get(fold(raw)) ?? null;
}
