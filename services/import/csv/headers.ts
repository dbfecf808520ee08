/**
 * Header recognition: which column holds which client field, in English, French, Spanish,
 * German or Italian, case-, accent- and punctuation-insensitive (`E-mail`, `Courriel`,
 * `Téléphone portable`, `Fecha de nacimiento`, `Geschlecht`...). Our own export's header
 * (`id,full_name,...,created_at`) is recognised too, so an export imports back.
 */
import { fold } from "../../../lib/normalize/country";

export type Field = "fullName" | "firstName" | "lastName" | "email" | "phone" | "gender" | "country" | "birthDate" | "notes" | "tags" | "group";
/** Columns of our export that the import knows and does not import (no warning). */
type Ignored = "exportOnly";
/** "name" alone is the full name; next to a first-name column it is the last name. */
type Ambiguous = "name";

/** The header language that decides single-letter genders (lib/normalize: es M = mujer); null = M/H male, F/W female. */
export type GenderLanguage = "es" | "it" | null;

const SYNONYMS: Record<Field | Ignored | Ambiguous, string[]> = {
	fullName: [
		"fullname", "completename", "clientname", "customername", "contactname", "membername",
		"nomcomplet", "nometprenom", "nomprenom", "prenomnom", "prenometnom", "nomduclient",
		"nombrecompleto", "nombreyapellidos", "nombreapellidos", "apellidosynombre", "nombredelcliente",
		"vollstandigername", "vollername", "vornameundnachname", "nameundvorname", "kundenname",
		"nomecompleto", "nomeecognome", "nomecognome", "cognomeenome", "nominativo",
	],
	firstName: ["firstname", "givenname", "forename", "first", "prenom", "nombre", "nombrepila", "vorname", "rufname", "nome"],
	lastName: [
		"lastname", "surname", "familyname", "last",
		"nomdefamille", "nomdenaissance",
		"apellido", "apellidos", "primerapellido", "segundoapellido",
		"nachname", "familienname", "zuname",
		"cognome",
	],
	name: ["name", "nom"],
	email: [
		"email", "mail", "emailaddress", "mailaddress", "emailadresse",
		"courriel", "adresseemail", "adressemail", "adressecourriel", "adresseelectronique", "mel",
		"correo", "correoelectronico", "direcciondecorreo", "direcciondecorreoelectronico", "direccionemail",
		"emailadresse", "mailadresse",
		"postaelettronica", "indirizzoemail", "indirizzomail", "indirizzodipostaelettronica",
	],
	phone: [
		"phone", "phonenumber", "telephone", "telephonenumber", "tel", "telno", "mobile", "mobilephone", "mobilenumber", "cell", "cellphone", "cellular",
		"numerodetelephone", "telephoneportable", "portable", "numerodeportable", "gsm", "telmobile",
		"telefono", "telefonomovil", "movil", "celular", "numerodetelefono", "telefonomobil",
		"telefon", "telefonnummer", "handy", "handynummer", "mobiltelefon", "mobilnummer", "rufnummer",
		"cellulare", "numerodicellulare", "numeroditelefono", "telefonocellulare",
	],
	gender: ["gender", "sex", "sexe", "genre", "sexo", "genero", "geschlecht", "sesso", "genere"],
	country: ["country", "countrycode", "pays", "codepays", "pais", "codigopais", "land", "landercode", "staat", "paese", "nazione", "stato"],
	birthDate: [
		"birthdate", "dateofbirth", "dob", "birthday", "born",
		"datedenaissance", "naissance", "datenaissance", "nele",
		"fechadenacimiento", "fechanacimiento", "nacimiento", "cumpleanos",
		"geburtsdatum", "geburtstag", "geboren",
		"datadinascita", "nascita", "datanascita",
	],
	notes: [
		"notes", "note", "comment", "comments", "remarks", "remark",
		"remarque", "remarques", "commentaire", "commentaires", "observations",
		"notas", "nota", "comentario", "comentarios", "observaciones",
		"notiz", "notizen", "bemerkung", "bemerkungen", "kommentar", "anmerkungen",
		"commento", "commenti", "osservazioni",
	],
	tags: ["tags", "tag", "labels", "label", "keywords", "etiquettes", "etiquette", "motscles", "etiquetas", "etiqueta", "schlagworter", "stichworter", "schlagwort", "etichette", "etichetta"],
	group: ["group", "clientgroup", "customergroup", "groupe", "groupeclient", "grupo", "grupodeclientes", "gruppe", "kundengruppe", "gruppo"],
	exportOnly: ["id", "categories", "verified", "createdat"],
};

const LOOKUP = new Map<string, Field | Ignored | Ambiguous>();
for (const [field, names] of Object.entries(SYNONYMS)) for (const n of names) LOOKUP.set(n, field as Field | Ignored | Ambiguous);

const GENDER_LANGUAGE: Record<string, GenderLanguage> = { sexo: "es", genero: "es", sesso: "it", genere: "it" };

function headerKey(header: string): string {
	return fold(header).replace(/ /g, "");
}

export interface HeaderMap {
	/** Field -> column indexes (in file order; the first non-empty cell wins, first+last are joined). */
	columns: Partial<Record<Field, number[]>>;
	genderLanguage: GenderLanguage;
	warnings: string[];
	/** Required fields no column provides (the job fails before any row is written). */
	missing: string[];
}

const REQUIRED: { field: string; has: (c: HeaderMap["columns"]) => boolean }[] = [
	{ field: "full name (or first and last name)", has: c => !!(c.fullName || c.firstName || c.lastName) },
	{ field: "email", has: c => !!c.email },
	{ field: "phone", has: c => !!c.phone },
	{ field: "gender", has: c => !!c.gender },
	{ field: "country", has: c => !!c.country },
];

export function mapHeaders(headers: string[]): HeaderMap {
	const columns: HeaderMap["columns"] = {};
	const warnings: string[] = [];
	const names: number[] = [];
	let genderLanguage: GenderLanguage = null;
	const add = (field: Field, index: number) => (columns[field] = [...(columns[field] ?? []), index]);
	headers.forEach((raw, index) => {
		const header = raw.replace(/^\uFEFF/, "").trim();
		const key = headerKey(header);
		const field = LOOKUP.get(key);
		if (!key) {
			warnings.push(`Column ${index + 1} has no header: ignored.`);
		} else if (!field) {
			warnings.push(`Column '${header}' is not a client field: ignored.`);
		} else if (field === "exportOnly") {
			// Our export's own id/categories/verified/created_at: known, not imported.
		} else if (field === "name") {
			names.push(index);
		} else {
			add(field, index);
			if (field === "gender" && !columns.gender?.slice(1).length) genderLanguage = GENDER_LANGUAGE[key] ?? null;
		}
	});
	// "Name"/"Nom": the last name next to a first-name column, else the full name.
	for (const index of names) add(columns.firstName ? "lastName" : "fullName", index);
	// A lone "Nombre"/"Prénom"-style column with no last name and no full name: read it as the full name.
	if (!columns.fullName && columns.firstName && !columns.lastName) {
		columns.fullName = columns.firstName;
		delete columns.firstName;
	}
	if (!columns.fullName && columns.lastName && !columns.firstName) {
		columns.fullName = columns.lastName;
		delete columns.lastName;
	}
	for (const [field, idx] of Object.entries(columns)) {
		if (idx && idx.length > 1 && field !== "lastName" && field !== "firstName") {
			warnings.push(`Columns ${idx.map(i => `'${headers[i].trim()}'`).join(", ")} all give the ${field}: the first non-empty one is used.`);
		}
	}
	const missing = REQUIRED.filter(r => !r.has(columns)).map(r => r.field);
	return { columns, genderLanguage, warnings, missing };
}
