/**
 * The OpenAPI document without a running server: every service of a node is created (not
 * started: no database, no transporter), registered in the local registry, and the gateway's
 * own `openApiDocument()` builds the document exactly as `GET /api/openapi.json` serves it.
 *
 *   npx tsx scripts/openapi-document.ts [out.json]     (stdout when no file is given)
 */
import fs from "node:fs";
import { readEnv, SERVICE_NAMES } from "../moleculer.config";
import { createNode } from "../lib/node";

export function openApiDocument(): Record<string, any> {
	const env = { ...readEnv(), services: [...SERVICE_NAMES], transporter: null };
	const broker = createNode({ env, broker: { logger: false, metrics: { enabled: false } } });
	// Registering announces "$services.changed" to services that never started: keep it quiet.
	(broker as any).servicesChanged = () => undefined;
	for (const svc of broker.services as any[]) broker.registry.registerLocalService(svc._serviceSpecification);
	const api: any = broker.getLocalService("api");
	return api.openApiDocument();
}

if (require.main === module) {
	const text = JSON.stringify(openApiDocument(), null, 2) + "\n";
	const out = process.argv[2];
	// Services' timers (created, never started) must not keep the process alive; exit once written.
	if (out) {
		fs.writeFileSync(out, text);
		process.exit(0);
	}
	process.stdout.write(text, () => process.exit(0));
}
