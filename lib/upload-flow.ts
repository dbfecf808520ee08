/**
 * Flow control for uploads streamed from the gateway to an action on another node.
 *
 * Moleculer sends a stream's chunks over the transporter as fast as the source gives them
 * and the receiving node buffers whatever its reader has not taken yet: a 60 MB file sent on
 * a fast network sat whole in the import node's memory (measured: +116 MB of buffers) before
 * its spool could write it to disk. So the two ends keep a credit window:
 *
 * - the gateway passes the request body through a `PacedUpload`, which stops reading the
 *   client once `WINDOW_BYTES` have been sent that the receiver has not confirmed;
 * - the receiver wraps `ctx.stream` in `creditedStream`, which confirms what it has consumed
 *   every `CREDIT_EVERY_BYTES` by calling `api.uploadCredit` on the gateway node that sent it.
 *
 * TCP then slows the client down, as it would with a local reader. The gateway releases the
 * window once the call settles, so a refusal that drains the rest of the body never stalls.
 */
import { Transform, type Readable, type TransformCallback } from "node:stream";

/** Bytes the gateway may have sent ahead of what the receiver confirmed. */
export const WINDOW_BYTES = 8 * 1024 * 1024;
/** The receiver confirms its progress this often (bytes). */
const CREDIT_EVERY_BYTES = 1024 * 1024;

/** What the gateway tells the receiving action in `ctx.meta.upload.flow`. */
export interface UploadFlowMeta {
	id: string;
	nodeID: string;
}

/** Gateway side: passes the body on, never more than `window` bytes ahead of the credit. */
export class PacedUpload extends Transform {
	sent = 0;
	confirmed = 0;
	private waiting: TransformCallback | null = null;
	private released = false;

	constructor(private readonly window = WINDOW_BYTES) {
		super();
	}

	override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
		this.sent += chunk.length;
		this.push(chunk);
		if (this.released || this.sent - this.confirmed <= this.window) done();
		else this.waiting = done;
	}

	/** The receiver has consumed `consumed` bytes in all. */
	credit(consumed: number): void {
		if (consumed > this.confirmed) this.confirmed = consumed;
		if (this.waiting && this.sent - this.confirmed <= this.window) this.wake();
	}

	/** No more pacing (the call has settled): whatever is left flows. */
	release(): void {
		this.released = true;
		this.wake();
	}

	private wake(): void {
		const done = this.waiting;
		this.waiting = null;
		done?.();
	}
}

/**
 * Receiver side: `stream` as it is consumed, reporting the bytes taken so far through
 * `report` every `every` bytes and at the end. Errors of the source pass through.
 */
export function creditedStream(stream: Readable, report: (consumed: number) => void, every = CREDIT_EVERY_BYTES): Readable {
	let consumed = 0;
	let reported = 0;
	const counter = new Transform({
		transform(chunk: Buffer, _enc, done) {
			consumed += chunk.length;
			if (consumed - reported >= every) {
				reported = consumed;
				report(consumed);
			}
			done(null, chunk);
		},
		flush(done) {
			if (consumed > reported) report(consumed);
			done();
		},
	});
	stream.on("error", err => counter.destroy(err));
	return stream.pipe(counter);
}
