/**
 * The gateway's HTTP edge, before moleculer-web routes a request:
 *
 * - `HEAD` on a GET route answers as GET without a body (moleculer-web matches aliases by
 *   method, so HEAD was a 404). Node's ServerResponse decides "no body" from the method it was
 *   created for, so routing the request as GET keeps the headers and drops the body.
 * - A URL longer than MAX_URL_CHARS is a 414. One so long that Node's parser gives up on the
 *   request line (past its 16 KiB header limit) was a reset connection: it is a 414 too (and a
 *   431 when it is the other headers that are too big), written before the socket is closed.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** Longest URL (path and query) the gateway reads. */
const MAX_URL_CHARS = 8192;

function errorBody(code: number, name: string, type: string, message: string): string {
	return JSON.stringify({ name, message, code, type });
}

/** Answers the request here when it must not be routed (true); otherwise prepares it for routing. */
export function atTheEdge(req: IncomingMessage, res: ServerResponse): boolean {
	if ((req.url?.length ?? 0) > MAX_URL_CHARS) {
		const text = errorBody(414, "UriTooLongError", "URI_TOO_LONG", `The URL is longer than ${MAX_URL_CHARS} characters.`);
		res.writeHead(414, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), Connection: "close" });
		res.end(text);
		req.resume();
		return true;
	}
	if (req.method === "HEAD") {
		req.method = "GET";
		// GET's Content-Length, which Node only computes for a body it sends.
		const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
		res.end = ((chunk?: unknown, ...rest: unknown[]) => {
			if ((typeof chunk === "string" || Buffer.isBuffer(chunk)) && !res.headersSent && !res.hasHeader("Content-Length")) res.setHeader("Content-Length", Buffer.byteLength(chunk));
			return end(chunk, ...rest);
		}) as ServerResponse["end"];
	}
	return false;
}

/** The server's 'clientError': a request Node could not parse still gets an HTTP answer. */
export function onClientError(err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket): void {
	if (!socket.writable || (socket as any)._httpMessage?.headersSent) {
		socket.destroy();
		return;
	}
	let status = 400;
	let body = errorBody(400, "BadRequestError", "BAD_REQUEST", "The request could not be parsed.");
	if (err.code === "HPE_HEADER_OVERFLOW") {
		const head = err.rawPacket ? err.rawPacket.subarray(0, MAX_URL_CHARS + 64).toString("latin1") : "";
		const firstLine = head.split("\r\n", 1)[0];
		const urlTooLong = !head.includes("\r\n") || firstLine.length > MAX_URL_CHARS;
		status = urlTooLong ? 414 : 431;
		body = urlTooLong
			? errorBody(414, "UriTooLongError", "URI_TOO_LONG", `The URL is longer than ${MAX_URL_CHARS} characters.`)
			: errorBody(431, "HeadersTooLargeError", "HEADERS_TOO_LARGE", "The request's headers are too large.");
	} else if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
		status = 408;
		body = errorBody(408, "RequestTimeoutError", "REQUEST_TIMEOUT", "The request took too long to arrive.");
	}
	const reason = { 400: "Bad Request", 408: "Request Timeout", 414: "URI Too Long", 431: "Request Header Fields Too Large" }[status];
	socket.on("error", () => undefined);
	// Answer, then read away what the client is still sending: closing with unread bytes resets the connection.
	socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
	socket.resume();
	setTimeout(() => socket.destroy(), 2000).unref();
}
