/** Building blocks of the named schemas (lib/openapi/schemas/*.ts): field shapes, example ids and times. */

export const id = { type: "string", format: "uuid" };
export const time = { type: "string", format: "date-time" };
export const nullableTime = { type: ["string", "null"], format: "date-time" };
export const date = { type: ["string", "null"], format: "date" };
export const role = { type: "string", enum: ["admin", "staff", "viewer"] };
export const gender = { type: "string", enum: ["female", "male", "other"] };
export const country = { type: "string", pattern: "^[A-Z]{2}$", description: "ISO 3166-1 alpha-2" };
export const currency = { type: "string", pattern: "^[A-Z]{3}$", description: "ISO 4217" };
export const minor = (description: string) => ({ type: "integer", description: `${description}, in minor units (5000 = 50.00)` });

export const IDS = {
	club: "5f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
	client: "7d3c0f9e-2b1a-4c55-9a0e-3f1b2c4d5e6f",
	client2: "8e4d1a0f-3c2b-4d66-8b1f-4a2c3d5e6f70",
	group: "2a6b8c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d",
	category: "3b7c9d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e",
	wallet: "9b2f4e1a-6c3d-4a8b-b1e2-7f6a5d4c3b2a",
	transaction: "c4e5f6a7-8b9c-4d0e-a1f2-b3c4d5e6f7a8",
	booking: "d5f6a7b8-9c0d-4e1f-b2a3-c4d5e6f7a8b9",
	series: "e6a7b8c9-0d1e-4f2a-83b4-d5e6f7a8b9c0",
	import: "f7b8c9d0-1e2f-4a3b-94c5-e6f7a8b9c0d1",
	apiKey: "0a1b2c3d-4e5f-4a6b-87c8-d9e0f1a2b3c4",
	staff: "1b2c3d4e-5f6a-4b7c-98d9-e0f1a2b3c4d5",
	audit: "2c3d4e5f-6a7b-4c8d-a9e0-f1a2b3c4d5e6",
	webhook: "3d4e5f6a-7b8c-4d9e-b0f1-a2b3c4d5e6f7",
	delivery: "4e5f6a7b-8c9d-4e0f-81a2-b3c4d5e6f7a8",
	event: "5f6a7b8c-9d0e-4f1a-92b3-c4d5e6f7a8b9",
};
export const AT = "2026-11-22T18:00:00.000Z";
export const AT2 = "2026-11-23T09:30:00.000Z";
