// Generates the console's API client, types and zod schemas from our OpenAPI document
// (scripts/console-build.ts writes it). Output: src/api/generated, never edited by hand.
//   node scripts/generate-api.mjs <openapi.json> <outDir>
import { createClient } from "@hey-api/openapi-ts";

const [input, output] = process.argv.slice(2);
await createClient({
	input,
	output: { path: output, clean: true },
	logs: { level: "warn" },
	plugins: ["@hey-api/client-fetch", "@hey-api/typescript", { name: "@hey-api/sdk", validator: false }, { name: "zod" }],
});
