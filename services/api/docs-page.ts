/**
 * /api/docs: the OpenAPI document rendered by Scalar's API reference (@scalar/api-reference,
 * its standalone browser bundle served from node_modules at /api/docs/scalar.js). Nothing is
 * fetched from elsewhere: no CDN, no web fonts, no telemetry, no AI agent, no request proxy,
 * so the page works offline and "Try it" calls this server directly.
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import type { IncomingMessage, ServerResponse } from "node:http";

const DOCS_BUNDLE_PATH = "/api/docs/scalar.js";

/** Scalar's configuration (https://scalar.com docs: "Configuration"). */
const CONFIG = {
	url: "/api/openapi.json",
	theme: "default",
	layout: "modern",
	withDefaultFonts: false,
	telemetry: false,
	agent: { disabled: true },
	showDeveloperTools: "never",
	hideClientButton: false,
	persistAuth: false,
	documentDownloadType: "json",
	defaultHttpClient: { targetKey: "shell", clientKey: "curl" },
	metaData: { title: "Clubhouse API reference" },
};

export function renderDocsPage(): string {
	// The configuration is JSON in a <script> of type application/json: no string reaches the HTML unescaped.
	const config = JSON.stringify(CONFIG).replace(/</g, "\\u003c");
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clubhouse API reference</title>
<style>body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}</style>
</head>
<body>
<noscript>This page needs JavaScript. The OpenAPI document itself is at <a href="/api/openapi.json">/api/openapi.json</a>.</noscript>
<div id="app"></div>
<script id="scalar-config" type="application/json">${config}</script>
<script src="${DOCS_BUNDLE_PATH}"></script>
<script>Scalar.createApiReference("#app", JSON.parse(document.getElementById("scalar-config").textContent));</script>
</body>
</html>`;
}

let bundle: { raw: Buffer; gzip: Buffer; etag: string } | null = null;

/** The standalone bundle, read (and gzipped) once. */
function loadBundle(): { raw: Buffer; gzip: Buffer; etag: string } {
	if (!bundle) {
		// The package's exports do not list the browser bundle: find it beside its main entry (dist/).
		const file = path.join(path.dirname(require.resolve("@scalar/api-reference")), "browser", "standalone.js");
		const raw = fs.readFileSync(file);
		const version = require(path.join(path.dirname(file), "..", "..", "package.json")).version as string;
		bundle = { raw, gzip: zlib.gzipSync(raw, { level: 6 }), etag: `"scalar-${version}-${raw.length}"` };
	}
	return bundle;
}

export function sendDocsBundle(req: IncomingMessage, res: ServerResponse): void {
	const b = loadBundle();
	if (req.headers["if-none-match"] === b.etag) {
		res.writeHead(304, { ETag: b.etag });
		res.end();
		return;
	}
	const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
	const body = gzip ? b.gzip : b.raw;
	res.writeHead(200, {
		"Content-Type": "application/javascript; charset=utf-8",
		"Content-Length": body.length,
		"Cache-Control": "public, max-age=86400",
		ETag: b.etag,
		Vary: "Accept-Encoding",
		...(gzip ? { "Content-Encoding": "gzip" } : {}),
	});
	res.end(req.method === "HEAD" ? undefined : body);
}
