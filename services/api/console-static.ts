/**
 * The staff console's built files (console/dist, see scripts/console-build.ts) served at `/`
 * by the gateway, for what no route answered:
 *   /assets/*   hashed file names: cached for a year, immutable; a missing one is a 404;
 *   other files at the root of dist (rare): cached for an hour;
 *   any other GET path (a console route such as /clients/…): index.html, never cached, with a
 *   Content-Security-Policy that allows only this origin.
 * A precompressed `.gz` beside a file is sent to browsers that accept gzip. /api/*, /health,
 * /ready and /metrics are never answered here.
 */
import fs from "node:fs";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { defineMixin } from "../../lib/service";

export const CONSOLE_DIST = path.resolve(__dirname, "..", "..", "console", "dist");

const TYPES: Record<string, string> = {
	".html": "text/html; charset=utf-8",
	".js": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
	".ico": "image/x-icon",
	".woff2": "font/woff2",
	".txt": "text/plain; charset=utf-8",
	".map": "application/json; charset=utf-8",
};

const IMMUTABLE = "public, max-age=31536000, immutable";
const CSP = [
	"default-src 'self'",
	"script-src 'self'",
	"style-src 'self' 'unsafe-inline'",
	"img-src 'self' data:",
	"connect-src 'self'",
	"font-src 'self'",
	"object-src 'none'",
	"base-uri 'self'",
	"form-action 'self'",
	"frame-ancestors 'none'",
].join("; ");

function isApiPath(p: string): boolean {
	return p === "/api" || p.startsWith("/api/") || p === "/health" || p === "/ready" || p === "/metrics";
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, headers: Record<string, string>, onMissing: () => void): void {
	fs.stat(file, (err, stat) => {
		if (err || !stat.isFile()) return onMissing();
		const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
		const base: Record<string, string> = {
			"Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
			"X-Content-Type-Options": "nosniff",
			ETag: etag,
			Vary: "Accept-Encoding",
			...headers,
		};
		if (req.headers["if-none-match"] === etag) {
			res.writeHead(304, base);
			res.end();
			return;
		}
		const gz = `${file}.gz`;
		const wantsGzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
		fs.stat(gz, (gzErr, gzStat) => {
			const useGz = wantsGzip && !gzErr && gzStat.isFile();
			const source = useGz ? gz : file;
			res.writeHead(200, { ...base, ...(useGz ? { "Content-Encoding": "gzip" } : {}), "Content-Length": String(useGz ? gzStat.size : stat.size) });
			if (req.method === "HEAD") return void res.end();
			const stream = fs.createReadStream(source);
			stream.on("error", () => res.destroy());
			stream.pipe(res);
		});
	});
}

function notBuilt(res: ServerResponse): void {
	const body =
		"<!doctype html><meta charset=utf-8><title>Clubhouse</title><h1>The staff console is not built</h1>" +
		"<p>Run <code>npm run build:console</code> (or <code>npm start</code>, which builds it when needed). The API is at <a href=/api/docs>/api/docs</a>.</p>";
	res.writeHead(503, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Content-Length": String(Buffer.byteLength(body)) });
	res.end(body);
}

/** A request handler in moleculer-web's `serve(req, res, next)` shape; `next()` answers 404. */
function consoleHandler(dist = CONSOLE_DIST) {
	const root = path.resolve(dist);
	return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
		if (req.method !== "GET" && req.method !== "HEAD") return next();
		let pathname: string;
		try {
			// moleculer-web cuts a matched route's prefix off req.url; originalUrl keeps the whole path.
			pathname = decodeURIComponent(new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? "/", "http://console").pathname);
		} catch {
			return next();
		}
		if (isApiPath(pathname) || pathname.includes("\0")) return next();
		const file = path.resolve(root, `.${pathname}`);
		if (file !== root && !file.startsWith(root + path.sep)) return next();
		if (pathname.startsWith("/assets/")) return sendFile(req, res, file, { "Cache-Control": IMMUTABLE }, () => next());
		const index = () =>
			sendFile(req, res, path.join(root, "index.html"), { "Cache-Control": "no-cache", "Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin" }, () => notBuilt(res));
		if (path.extname(pathname) && pathname !== "/index.html") return sendFile(req, res, file, { "Cache-Control": "public, max-age=3600" }, () => next());
		index();
	};
}

/** Mixin for the gateway: moleculer-web hands every request no route answered to `this.serve`. */
export const ConsoleStaticMixin = defineMixin<{ serve: ReturnType<typeof consoleHandler> }>({
	created() {
		this.serve = consoleHandler();
	},
});
