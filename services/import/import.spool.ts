/**
 * A spool between a network stream and a slower reader. Moleculer streams over a
 * transporter have no end-to-end backpressure: the gateway sends the upload as fast as it
 * reads it, and the import node would have to buffer whatever its parser has not consumed
 * yet (measured: a 60 MB file took 1 GB of RSS). The spool writes what arrives to a
 * temporary file at disk speed and hands it to the parser from there, so memory stays flat
 * whatever the file size; the file is removed at the end. Bytes past `maxBytes + 1` are read
 * and dropped (the reader reports the size error). In one process too: the client's upload is
 * read at disk speed, not at the pace of the workers, so its exchange is never held open.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";

const READ_SIZE = 64 * 1024;

export interface Spool {
	/** The upload, from the spool file, in order. */
	chunks: AsyncIterable<Buffer>;
	/** Resolves once the network stream has been read to its end (or failed). */
	written: Promise<void>;
	/** Bytes kept so far (at most `maxBytes + 1`: more means the upload is over the limit). */
	size(): number;
	/** How the network stream failed, if it did. */
	error(): unknown;
	/** Removes the spool file (after `written`). */
	close(): Promise<void>;
}

export function spool(source: AsyncIterable<Buffer | string>, maxBytes: number): Spool {
	const file = path.join(os.tmpdir(), `clubhouse-import-${crypto.randomUUID()}.csv`);
	const fd = fs.openSync(file, "w+", 0o600);
	let size = 0;
	let finished = false;
	let failure: unknown = null;
	let wake: (() => void) | null = null;
	const notify = () => {
		const w = wake;
		wake = null;
		w?.();
	};

	const written = (async () => {
		try {
			for await (const part of source) {
				const buf = typeof part === "string" ? Buffer.from(part) : part;
				if (size <= maxBytes) {
					const keep = buf.subarray(0, Math.max(0, Math.min(buf.length, maxBytes + 1 - size)));
					await new Promise<void>((resolve, reject) => fs.write(fd, keep, 0, keep.length, size, err => (err ? reject(err) : resolve())));
					size += keep.length;
					notify();
				}
			}
		} catch (err) {
			failure = err;
		} finally {
			finished = true;
			notify();
		}
	})();

	async function* chunks(): AsyncGenerator<Buffer> {
		let offset = 0;
		for (;;) {
			if (offset < size) {
				const buf = Buffer.allocUnsafe(Math.min(READ_SIZE, size - offset));
				const n = await new Promise<number>((resolve, reject) => fs.read(fd, buf, 0, buf.length, offset, (err, bytes) => (err ? reject(err) : resolve(bytes))));
				offset += n;
				yield n === buf.length ? buf : buf.subarray(0, n);
				continue;
			}
			if (finished) {
				if (failure) throw failure;
				return;
			}
			await new Promise<void>(resolve => (wake = resolve));
		}
	}

	return {
		chunks: chunks(),
		written,
		size: () => size,
		error: () => failure,
		async close() {
			await written;
			try {
				fs.closeSync(fd);
			} catch {
				/* already closed */
			}
			await fs.promises.rm(file, { force: true });
		},
	};
}

/**
 * Waits until the whole upload is in the spool, asking `cancelled()` every `everyMs`.
 * Returns false when the job was cancelled meanwhile (the spool goes on reading the rest
 * away, so the client still gets its answer); throws `tooLarge()` when the upload went over
 * `maxBytes`, and the stream's failure when it broke, before any of it was handed on.
 */
export async function untilWritten(s: Spool, maxBytes: number, cancelled: () => Promise<boolean>, everyMs: number, tooLarge: () => Error): Promise<boolean> {
	for (;;) {
		let timer: NodeJS.Timeout | undefined;
		const done = await Promise.race([s.written.then(() => true), new Promise<false>(r => (timer = setTimeout(() => r(false), everyMs)))]);
		clearTimeout(timer);
		if (s.size() > maxBytes) throw tooLarge();
		if (done && s.error()) throw s.error(); // cut before its end: nothing is handed on
		if (done) return true;
		if (await cancelled()) return false;
	}
}
