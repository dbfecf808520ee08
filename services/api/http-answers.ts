/**
 * How the gateway answers (a mixin of the api service): every error in one shape (http-errors.ts),
 * JSON bodies, and one access-log line per request with the key's id (never the key).
 */
import type { ServerResponse } from "node:http";
import { defineMixin } from "../../lib/service";
import { toHttpError } from "./http-errors";
import { routesWarm } from "./readiness";
import { API_BASE, type GatewayThis, type Req } from "./gateway.types";

/** What HttpAnswersMixin gives the gateway's `this`. */
export interface HttpAnswersMembers {
	sendHttpError(req: Req, res: ServerResponse, err: any): void;
	sendJson(res: ServerResponse, status: number, body: unknown): void;
	/** The access-log line once the answer is written (routes moleculer-web does not log). */
	logOnFinish(req: Req, res: ServerResponse): void;
	accessLog(req: Req, status: number): void;
}

export const HttpAnswersMixin = defineMixin<GatewayThis>({
	methods: {
		sendHttpError(req: Req, res: ServerResponse, err: any) {
			let { status, body } = toHttpError(err);
			// No route matched while the routes were still being mounted: "try again", not "no such route".
			if (status === 404 && !req.$alias && String(req.originalUrl ?? req.url ?? "").startsWith(API_BASE) && !routesWarm(this, true)) {
				({ status, body } = toHttpError({ code: 503, type: "SERVICE_UNAVAILABLE" }));
				res.setHeader("Retry-After", "1");
			}
			if (status === 503) this.logger.warn(`${req.method} ${req.url}: ${err?.type ?? "SERVICE_UNAVAILABLE"} ${err?.message ?? ""}`);
			else if (status >= 500) this.logger.error(`${req.method} ${req.url} failed:`, err);
			if (res.headersSent) {
				res.end();
			} else {
				const retryAfter = err.retryAfter ?? err.data?.retryAfter;
				if (status === 429 && retryAfter) res.setHeader("Retry-After", String(retryAfter));
				this.sendJson(res, status, body);
			}
			this.accessLog(req, status);
		},

		sendJson(res: ServerResponse, status: number, body: unknown) {
			const text = JSON.stringify(body);
			res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
			res.end(text);
		},

		logOnFinish(req: Req, res: ServerResponse) {
			res.once("finish", () => this.accessLog(req, res.statusCode));
		},

		/** One line per request, with the key's id (never the key). */
		accessLog(req: Req, status: number) {
			if (req.$logged) return;
			req.$logged = true;
			const ms = req.$startedAt ? Number(process.hrtime.bigint() - req.$startedAt) / 1e6 : 0;
			this.logger.info(`${req.method} ${req.originalUrl ?? req.url} ${status} ${ms.toFixed(1)}ms key=${req.$keyId ?? "-"}`);
		},
	},
});
