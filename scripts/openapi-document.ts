/**
 * Writes the OpenAPI document, built without a server (scripts/openapi-lint.ts `offlineDocument`),
 * to a file: the input of the console's generated API client (scripts/console-build.ts).
 *
 *   npx tsx scripts/openapi-document.ts out.json
 */
import fs from "node:fs";
import { offlineDocument } from "./openapi-lint";

if (require.main === module) {
	const out = process.argv[2];
	if (!out) {
		console.error("usage: tsx scripts/openapi-document.ts <out.json>");
		process.exit(2);
	}
	fs.writeFileSync(out, JSON.stringify(offlineDocument(), null, 2) + "\n");
	// The services were created (never started); their timers must not keep the process alive.
	process.exit(0);
}
