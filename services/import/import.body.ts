/**
 * The upload body as the import reads it, made safe against the wire: a client that goes
 * away mid-upload, a multipart body cut before its closing boundary, a transporter stream
 * that fails. Every stream created here has its 'error' handler attached at once (an
 * 'error' nobody listens to is an uncaught exception: the node exits), and every failure of
 * the body comes out of the iteration as one `UploadStreamError`, so the upload can tell
 * "the client's bytes broke" (400, the job fails) from our own failures.
 */
import { pipeline, type Readable } from "node:stream";
import busboy from "busboy";
import { invalid } from "../../lib/errors";
import { UploadStreamError } from "./import.errors";

/** Words for the job's `error`, from what broke. */
function describeStreamFailure(err: unknown): string {
	const message = String((err as Error)?.message ?? err);
	if (/unexpected end of (form|file)/i.test(message)) return "The multipart body ended before its closing boundary: the upload is incomplete, nothing more was read.";
	if (/malformed|boundary|part header/i.test(message)) return "The multipart body is malformed: the upload could not be read to its end.";
	return "The upload was interrupted before the end of the file.";
}

/**
 * `source` as an async iterable whose failure (whenever it happens, even before anyone
 * iterates) surfaces as an `UploadStreamError` from the iteration.
 */
export function guardUpload(source: Readable): AsyncIterable<Buffer> {
	let failure: UploadStreamError | null = null;
	source.on("error", err => {
		failure ??= err instanceof UploadStreamError ? err : new UploadStreamError(describeStreamFailure(err), err);
	});
	// A request whose client went away before its end is `aborted` (older Node: no 'error').
	source.once("aborted", () => {
		failure ??= new UploadStreamError(describeStreamFailure(new Error("aborted")));
		source.destroy(failure);
	});
	return {
		async *[Symbol.asyncIterator]() {
			try {
				for await (const part of source) yield part as Buffer;
			} catch (err) {
				throw failure ?? (err instanceof UploadStreamError ? err : new UploadStreamError(describeStreamFailure(err), err));
			}
			if (failure) throw failure;
		},
	};
}

/**
 * The `file` part of a multipart body, as a stream (other parts are skipped). The body is
 * piped with `pipeline`, so its failure reaches busboy and the file part (plain `pipe`
 * leaves the file part waiting forever for bytes that never come).
 */
export function multipartFile(stream: Readable | null, contentType: string, onLateError: (err: unknown) => void): Promise<{ file: Readable; fileName: string | null }> {
	return new Promise((resolve, reject) => {
		const missing = () => invalid({ field: "file", type: "required", message: "The multipart body needs a 'file' part with the CSV." });
		if (!stream) return reject(missing());
		let bb: busboy.Busboy;
		try {
			bb = busboy({ headers: { "content-type": contentType }, limits: { files: 1, fields: 50 } });
		} catch {
			return reject(invalid({ field: "file", type: "multipart", message: "The multipart body could not be read (boundary missing?)." }));
		}
		let found = false;
		bb.on("file", (name: string, file: Readable, info: { filename?: string }) => {
			// At once: busboy destroys the part with the body's error, maybe before the import iterates it.
			file.on("error", () => undefined);
			if (name === "file" && !found) {
				found = true;
				resolve({ file, fileName: info.filename ?? null });
			} else file.resume();
		});
		bb.on("close", () => {
			if (!found) reject(missing());
		});
		pipeline(stream, bb, err => {
			if (!err) return;
			if (!found) reject(invalid({ field: "file", type: "multipart", message: "The multipart body is malformed or incomplete." }));
			else onLateError(err);
		});
	});
}

/** Reads what is left of an upload so the client gets our answer rather than a reset connection. */
export function drain(source: unknown): void {
	const s = source as { resume?: () => void; on?: (ev: string, fn: () => void) => void };
	if (typeof s?.resume === "function") {
		s.on?.("error", () => undefined);
		s.resume();
	}
}
