/** The unauthenticated ops routes of the gateway (not actions), as OpenAPI paths. */
import { errorExample } from "./errors";
import { ref } from "./schemas";

const notFound = {
	"4XX": {
		description: "Client error (e.g. NOT_FOUND for an unknown path)",
		content: { "application/json": { schema: ref("Error"), example: errorExample("NOT_FOUND") } },
	},
};

function op(operationId: string, summary: string, description: string, ok: { contentType: string; schema: any; example: unknown }, extra: Record<string, any> = {}) {
	return {
		get: {
			operationId,
			summary,
			description,
			security: [],
			tags: ["ops"],
			responses: { "200": { description: summary, content: { [ok.contentType]: { schema: ok.schema, example: ok.example } } }, ...extra, ...notFound },
		},
	};
}

const readiness = {
	type: "object",
	required: ["ready", "checks"],
	properties: {
		ready: { type: "boolean" },
		checks: { type: "object", properties: { database: { type: "string" }, transporter: { type: "string" }, services: { type: "string" }, routes: { type: "string" } } },
	},
};

export const OPS_PATHS = {
	"/health": op("health", "Liveness", "The node is alive.", {
		contentType: "application/json",
		schema: { type: "object", required: ["status"], properties: { status: { const: "ok" } } },
		example: { status: "ok" },
	}),
	"/ready": op(
		"ready",
		"Readiness",
		"The database and the transporter are reachable, every local service has started and every REST route is mounted: a request sent right after a 200 finds its route.",
		{ contentType: "application/json", schema: readiness, example: { ready: true, checks: { database: "ok", transporter: "ok", services: "ok", routes: "ok" } } },
		{ "503": { description: "Not ready", content: { "application/json": { schema: readiness, example: { ready: false, checks: { database: "ok", transporter: "ok", services: "starting", routes: "not yet mounted" } } } } } },
	),
	"/metrics": op("metrics", "Prometheus metrics", "This node's metrics in the Prometheus text format: requests, latencies, errors, registry and channel counts, memory, CPU, load. Nothing that identifies the host: no hostname, network addresses, process arguments, pid, OS user or node id.", {
		contentType: "text/plain",
		schema: { type: "string" },
		example: '# HELP moleculer_request_total Number of requests\n# TYPE moleculer_request_total counter\nmoleculer_request_total{action="clients.list"} 42\n',
	}),
	"/api/openapi.json": op("openapi", "This document", "The OpenAPI 3.1 document of every route, generated from the actions.", {
		contentType: "application/json",
		schema: { type: "object", required: ["openapi"], properties: { openapi: { type: "string" } } },
		example: { openapi: "3.1.0" },
	}),
	"/api/docs": op("docs", "The API reference page", "This document rendered as a page (works offline).", {
		contentType: "text/html",
		schema: { type: "string" },
		example: "<!doctype html><html>…</html>",
	}),
};
