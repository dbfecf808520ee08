/**
 * One HTTP attempt: POST the body to the checked address (the URL's host name stays the
 * Host header and the TLS server name, so certificates are verified as usual), no
 * redirects followed (a 3xx is a failure like any non-2xx), one overall timeout, and at
 * most MAX_RESPONSE_BYTES of the answer read.
 */
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { Target } from "./webhooks.ssrf";

const MAX_RESPONSE_BYTES = 4096;

export interface AttemptResult {
	ok: boolean;
	status: number | null;
	error: string | null;
}

/** A lookup that answers the address already checked, whatever Node asks for. */
function pinned(target: Target): LookupFunction {
	return ((_host: string, opts: any, cb: any) => {
		const callback = typeof opts === "function" ? opts : cb;
		if (opts && typeof opts === "object" && opts.all) callback(null, [{ address: target.address, family: target.family }]);
		else callback(null, target.address, target.family);
	}) as LookupFunction;
}

const oneLine = (s: string, max: number) => s.replace(/[\u0000-\u001F\u007F]+/g, " ").trim().slice(0, max);

export function postOnce(target: Target, headers: Record<string, string>, body: string, timeoutMs: number): Promise<AttemptResult> {
	return new Promise(resolve => {
		let settled = false;
		const done = (r: AttemptResult) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			req.destroy();
			resolve(r);
		};
		const lib = target.url.protocol === "https:" ? https : http;
		const req = lib.request(
			target.url,
			{
				method: "POST",
				agent: false,
				lookup: pinned(target),
				headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), "user-agent": "Clubhouse-Webhooks/1" },
			},
			res => {
				const status = res.statusCode ?? 0;
				if (status >= 200 && status < 300) return done({ ok: true, status, error: null });
				let seen = "";
				const finish = () => done({ ok: false, status, error: `HTTP ${status}${seen ? `: ${oneLine(seen, 200)}` : ""}` });
				res.setEncoding("utf8");
				res.on("data", (chunk: string) => {
					seen += chunk;
					if (seen.length >= MAX_RESPONSE_BYTES) finish();
				});
				res.on("end", finish);
				res.on("error", finish);
			},
		);
		const timer = setTimeout(() => done({ ok: false, status: null, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
		req.on("error", (err: any) => done({ ok: false, status: null, error: oneLine(`${err?.code ? `${err.code}: ` : ""}${err?.message ?? "request failed"}`, 300) }));
		req.end(body);
	});
}
