/**
 * The registry of named schemas (components/schemas): each with its example, in the order
 * they are defined (the document lists them so). lib/openapi/schemas.ts loads the areas'
 * definitions (lib/openapi/schemas/*.ts) in that order.
 */

export type JsonSchema = Record<string, any>;

export interface NamedSchema {
	schema: JsonSchema;
	example: unknown;
}

export const SCHEMAS: Record<string, NamedSchema> = {};

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** Registers a named schema (with its example) and gives its $ref. */
export function defineSchema(name: string, schema: JsonSchema, example: unknown): JsonSchema {
	SCHEMAS[name] = { schema, example };
	return ref(name);
}

/** An object schema whose every listed property is always present in answers. */
export function entity(properties: Record<string, JsonSchema>, description?: string): JsonSchema {
	return { type: "object", ...(description ? { description } : {}), required: Object.keys(properties), properties };
}

/** `<Name>Page`: a page of `Name`s (see `Page`), registered on first use. */
export function pageOf(name: string): JsonSchema {
	const pageName = `${name}Page`;
	if (!SCHEMAS[pageName]) {
		const item = SCHEMAS[name];
		if (!item) throw new Error(`pageOf('${name}'): define the schema '${name}' first`);
		defineSchema(
			pageName,
			{ allOf: [ref("Page"), { type: "object", required: ["items"], properties: { items: { type: "array", items: ref(name) } } }], description: `A page of ${name}s.` },
			{ items: [item.example], nextCursor: "eyJpZCI6IjdkM2MwZjllIn0" },
		);
	}
	return ref(pageName);
}
