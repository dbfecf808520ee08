/** fastest-validator rules (an action's `params`) as JSON Schema, for the OpenAPI document. */
import type { JsonSchema } from "./registry";

/** Converts one fastest-validator rule into a JSON Schema. */
export function ruleToSchema(rule: any): { schema: JsonSchema; optional: boolean } {
	if (typeof rule === "string") return ruleToSchema(parseShorthand(rule));
	if (Array.isArray(rule)) {
		const alts = rule.map(r => ruleToSchema(r));
		return { schema: { oneOf: alts.map(a => a.schema) }, optional: alts.every(a => a.optional) };
	}
	if (rule == null || typeof rule !== "object") return { schema: {}, optional: true };
	const optional = rule.optional === true || rule.default !== undefined;
	let s: JsonSchema;
	switch (rule.type) {
		case "string":
			s = { type: "string" };
			if (rule.min != null) s.minLength = rule.min;
			if (rule.max != null) s.maxLength = rule.max;
			if (rule.length != null) s.minLength = s.maxLength = rule.length;
			if (rule.pattern) s.pattern = rule.pattern instanceof RegExp ? rule.pattern.source : String(rule.pattern);
			if (rule.enum) s.enum = rule.enum;
			if (rule.numeric) s.pattern = "^[0-9]+$";
			break;
		case "email":
			s = { type: "string", format: "email" };
			if (rule.max != null) s.maxLength = rule.max;
			break;
		case "uuid":
			s = { type: "string", format: "uuid" };
			break;
		case "url":
			s = { type: "string", format: "uri" };
			break;
		case "number":
			s = { type: rule.integer ? "integer" : "number" };
			if (rule.min != null) s.minimum = rule.min;
			if (rule.max != null) s.maximum = rule.max;
			if (rule.positive) s.exclusiveMinimum = 0;
			break;
		case "boolean":
			s = { type: "boolean" };
			break;
		case "date":
			s = { type: "string", format: "date-time" };
			break;
		case "enum":
			s = { enum: rule.values };
			break;
		case "equal":
			s = { const: rule.value };
			break;
		case "array": {
			s = { type: "array" };
			if (rule.items) s.items = ruleToSchema(rule.items).schema;
			if (rule.min != null) s.minItems = rule.min;
			if (rule.max != null) s.maxItems = rule.max;
			if (rule.unique) s.uniqueItems = true;
			break;
		}
		case "object": {
			const props = rule.props ?? rule.properties;
			s = props ? objectSchema(props, rule.strict === true || rule.strict === "remove") : { type: "object" };
			break;
		}
		case "multi":
			s = { oneOf: (rule.rules ?? []).map((r: any) => ruleToSchema(r).schema) };
			break;
		default:
			s = {};
	}
	if (rule.nullable) {
		if (typeof s.type === "string") s.type = [s.type, "null"];
		else if (s.enum) s.enum = [...s.enum, null];
		else s = { oneOf: [s, { type: "null" }] };
	}
	if (rule.default !== undefined && typeof rule.default !== "function") s.default = rule.default;
	if (rule.description) s.description = rule.description;
	return { schema: s, optional };
}

function parseShorthand(text: string): any {
	const [type, ...flags] = text.split("|");
	const rule: any = { type };
	for (const f of flags) {
		const [k, v] = f.split(":");
		rule[k] = v === undefined ? true : v === "true" ? true : v === "false" ? false : Number.isNaN(Number(v)) ? v : Number(v);
	}
	return rule;
}

/** Converts an action's `params` (a map of rules) into an object schema. */
export function objectSchema(params: Record<string, any>, strict = false): JsonSchema {
	const properties: Record<string, JsonSchema> = {};
	const required: string[] = [];
	for (const [key, rule] of Object.entries(params)) {
		if (key.startsWith("$$")) continue;
		const { schema, optional } = ruleToSchema(rule);
		properties[key] = schema;
		if (!optional) required.push(key);
	}
	const s: JsonSchema = { type: "object", properties };
	if (required.length) s.required = required;
	if (strict || params.$$strict) s.additionalProperties = false;
	return s;
}
