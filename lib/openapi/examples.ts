/**
 * Examples for operations, derived from schemas: a $ref gives its named schema's example,
 * an object its properties' examples, a property by its name (FIELD_EXAMPLES) or format.
 * A string nobody knows an example for gives `undefined`, so an operation whose request or
 * response cannot be exemplified shows up in test/foundation/openapi.spec.ts: add the name
 * to FIELD_EXAMPLES, or an `example` to the action's `openapi` notes.
 */
import { IDS, SCHEMAS, type JsonSchema } from "./schemas";

/** Request fields by name (the params of the actions). */
export const FIELD_EXAMPLES: Record<string, unknown> = {
	fullName: "Ana García",
	email: "ana.garcia@example.com",
	phone: "+34612345678",
	gender: "female",
	country: "ES",
	birthDate: "1990-04-12",
	notes: "Prefers evening courts",
	tags: ["junior", "morning"],
	addTags: ["summer"],
	removeTags: ["morning"],
	tag: "junior",
	q: "garcia",
	name: "Juniors",
	description: "Under 18, weekday mornings",
	currency: "EUR",
	timezone: "Europe/Madrid",
	amount: 5000,
	price: { amount: 2000, currency: "EUR" },
	reference: "front-desk",
	productId: "court-1",
	productIds: ["court-1", "court-2", "padel-class"],
	startsAt: "2026-11-28T18:00:00.000Z",
	endsAt: "2026-11-28T19:30:00.000Z",
	validFrom: "2026-09-01",
	validUntil: "2027-06-30",
	from: "2026-11-01T00:00:00.000Z",
	to: "2026-12-01T00:00:00.000Z",
	cursor: "eyJpZCI6IjdkM2MwZjllIn0",
	limit: 50,
	role: "staff",
	url: "https://hooks.example.com/clubhouse",
	password: "correct horse battery staple",
	token: "inv_Yc8r2LkQ0pW5tZ3nB7vX1mJ4",
	apiKey: "chk_3kT9qLm2vX8pR4sW7yZ1aB5cD6eF0gH",
	action: "clients.update",
	targetType: "client",
	paymentMethod: "card",
	paymentMethods: ["card", "wallet"],
	discountPercent: 20,
	vatRate: 2100,
	maxFutureBookings: 4,
	format: "json",
};

const ID_EXAMPLES: Record<string, string> = {
	id: IDS.client,
	clientId: IDS.client,
	sourceId: IDS.client2,
	targetId: IDS.client,
	groupId: IDS.group,
	moveClientsTo: IDS.group,
	categoryId: IDS.category,
	walletId: IDS.wallet,
	transactionId: IDS.transaction,
	bookingId: IDS.booking,
	seriesId: IDS.series,
	importId: IDS.import,
	deliveryId: IDS.delivery,
	actorId: IDS.staff,
};

const FORMAT_EXAMPLES: Record<string, unknown> = {
	uuid: IDS.client,
	"date-time": "2026-11-22T18:00:00.000Z",
	date: "2026-11-22",
	email: "ana.garcia@example.com",
	uri: "https://hooks.example.com/clubhouse",
};

function mainType(schema: JsonSchema): string | undefined {
	const t = schema.type;
	if (Array.isArray(t)) return t.find(x => x !== "null");
	return t;
}

/** An example valid for `schema`, or undefined when none is known. `name` is the property's name. */
export function exampleFor(schema: JsonSchema | undefined, name?: string, depth = 0): unknown {
	if (!schema || depth > 12) return undefined;
	if (schema.example !== undefined) return schema.example;
	if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
	if (typeof schema.$ref === "string") {
		const named = SCHEMAS[schema.$ref.replace("#/components/schemas/", "")];
		return named?.example;
	}
	if ("const" in schema) return schema.const;
	if (Array.isArray(schema.enum)) {
		if (name && FIELD_EXAMPLES[name] !== undefined && schema.enum.includes(FIELD_EXAMPLES[name])) return FIELD_EXAMPLES[name];
		return schema.enum.find((v: unknown) => v !== null) ?? null;
	}
	if (schema.default !== undefined) return schema.default;
	for (const key of ["oneOf", "anyOf"] as const) {
		if (Array.isArray(schema[key])) {
			for (const alt of schema[key]) {
				if (alt?.type === "null") continue;
				const ex = exampleFor(alt, name, depth + 1);
				if (ex !== undefined) return ex;
			}
			return undefined;
		}
	}
	if (Array.isArray(schema.allOf)) {
		let out: Record<string, unknown> = {};
		for (const part of schema.allOf) {
			const ex = exampleFor(part, name, depth + 1);
			if (ex === undefined || typeof ex !== "object" || ex === null || Array.isArray(ex)) return undefined;
			out = { ...out, ...(ex as object) };
		}
		return out;
	}
	const type = mainType(schema);
	if (name && FIELD_EXAMPLES[name] !== undefined && fits(FIELD_EXAMPLES[name], type)) return FIELD_EXAMPLES[name];
	switch (type) {
		case "object": {
			if (!schema.properties) return undefined;
			const required: string[] = schema.required ?? [];
			const out: Record<string, unknown> = {};
			for (const [key, prop] of Object.entries<JsonSchema>(schema.properties)) {
				// Beside required fields, only the common optional ones (a full-blown example hides
				// what is needed); a schema that names no required field shows all it can.
				if (schema.required && !required.includes(key) && FIELD_EXAMPLES[key] === undefined) continue;
				const ex = exampleFor(prop, key, depth + 1);
				if (ex === undefined) {
					if (required.includes(key)) return undefined;
					continue;
				}
				out[key] = ex;
			}
			// Properties, none of which has an example: no example (rather than a bare {}).
			if (!Object.keys(out).length && Object.keys(schema.properties).length) return undefined;
			return out;
		}
		case "array": {
			const item = exampleFor(schema.items, name ? singular(name) : undefined, depth + 1);
			return item === undefined ? undefined : [item];
		}
		case "string":
			if (schema.format && FORMAT_EXAMPLES[schema.format] !== undefined) return FORMAT_EXAMPLES[schema.format];
			if (name && ID_EXAMPLES[name]) return ID_EXAMPLES[name];
			if (name && /Ids?$/.test(name)) return IDS.client;
			if (name && /At$/.test(name)) return FORMAT_EXAMPLES["date-time"];
			return undefined;
		case "integer":
		case "number":
			return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
		case "boolean":
			return false;
		case "null":
			return null;
		default:
			return undefined;
	}
}

function singular(name: string): string {
	if (name.endsWith("Ids")) return name.slice(0, -1);
	return name.endsWith("s") ? name.slice(0, -1) : name;
}

function fits(value: unknown, type: string | undefined): boolean {
	switch (type) {
		case "string":
			return typeof value === "string";
		case "integer":
			return Number.isInteger(value);
		case "number":
			return typeof value === "number";
		case "boolean":
			return typeof value === "boolean";
		case "array":
			return Array.isArray(value);
		case "object":
			return typeof value === "object" && value !== null && !Array.isArray(value);
		default:
			return false;
	}
}
