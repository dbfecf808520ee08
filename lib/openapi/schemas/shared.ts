/** Named schemas every route shares: errors and the page of a list. */
import { defineSchema, entity, ref } from "../registry";

defineSchema(
	"Error",
	{
		type: "object",
		description: "Every 4xx and 5xx answer. Branch on `type` (stable); `message` is for people.",
		required: ["name", "message", "code", "type"],
		properties: {
			name: { type: "string", description: "The error class" },
			message: { type: "string" },
			code: { type: "integer", description: "The HTTP status" },
			type: { type: "string", description: "Stable machine-readable reason, e.g. NOT_FOUND, NAME_TAKEN" },
			data: { description: "Details, depending on `type`" },
		},
	},
	{ name: "NotFoundError", message: "Client not found", code: 404, type: "NOT_FOUND" },
);

defineSchema(
	"FieldError",
	entity({ field: { type: "string", description: "The parameter, dotted for nested ones (`price.amount`)" }, type: { type: "string", description: "What is wrong: required, email, stringMax, unknownField..." }, message: { type: "string" } }),
	{ field: "email", type: "email", message: "The 'email' field must be a valid e-mail." },
);

defineSchema(
	"ValidationError",
	{
		allOf: [ref("Error"), { type: "object", required: ["data"], properties: { data: { type: "array", items: ref("FieldError") } } }],
		description: "422: each invalid or unknown field, with the reason.",
	},
	{ name: "ValidationError", message: "Parameters validation error!", code: 422, type: "VALIDATION_ERROR", data: [{ field: "email", type: "email", message: "The 'email' field must be a valid e-mail." }] },
);

defineSchema(
	"Page",
	{
		type: "object",
		description: "Every list: `limit` (1..500, default 50) and `cursor` in; follow `nextCursor` until it is null.",
		required: ["items", "nextCursor"],
		properties: { items: { type: "array", items: {} }, nextCursor: { type: ["string", "null"], description: "Pass as `cursor` for the next page; null on the last page" } },
	},
	{ items: [], nextCursor: null },
);
