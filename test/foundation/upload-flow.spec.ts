/**
 * The credit window between a gateway and the node reading a streamed upload
 * (lib/upload-flow.ts): unit level here, across brokers over NATS in
 * services/import/test/import.cluster.spec.ts.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { PacedUpload, creditedStream } from "../../lib/upload-flow";

const CHUNK = 64 * 1024;
const tick = () => new Promise(r => setTimeout(r, 20));

/** A source that has `total` bytes ready at once, like a client on a fast network. */
function fastSource(total: number): Readable {
	let left = total;
	return new Readable({
		read() {
			if (left <= 0) return void this.push(null);
			const n = Math.min(CHUNK, left);
			left -= n;
			this.push(Buffer.alloc(n, 97));
		},
	});
}

/** Reads everything the paced stream lets through, at once, as moleculer's transit does. */
function eagerReader(stream: Readable): { received: () => number; ended: Promise<void> } {
	let received = 0;
	stream.on("data", (b: Buffer) => (received += b.length));
	return { received: () => received, ended: new Promise(r => stream.on("end", () => r())) };
}

describe("Upload flow control (unit)", () => {
	it("when the receiver confirms nothing, then no more than the window (plus one chunk) is read from the client", async () => {
		const window = 1024 * 1024;
		const paced = new PacedUpload(window);
		fastSource(20 * window).pipe(paced);
		const reader = eagerReader(paced);
		for (let i = 0; i < 10; i++) await tick();
		assert.ok(reader.received() > 0, "something flowed");
		assert.ok(reader.received() <= window + CHUNK, `${reader.received()} bytes went past a ${window}-byte window`);
		assert.ok(paced.sent <= window + CHUNK);
	});

	it("when the receiver confirms what it consumed, then the rest flows and arrives whole and in order", async () => {
		const window = 512 * 1024;
		const total = 10 * 1024 * 1024 + 123;
		const paced = new PacedUpload(window);
		fastSource(total).pipe(paced);
		// The receiver: consumes through creditedStream, which reports to the gateway's window.
		const credits: number[] = [];
		const received = creditedStream(paced, consumed => {
			credits.push(consumed);
			setImmediate(() => paced.credit(consumed)); // the credit travels back asynchronously
		}, 128 * 1024);
		let bytes = 0;
		let maxAhead = 0;
		for await (const b of received) {
			bytes += (b as Buffer).length;
			maxAhead = Math.max(maxAhead, paced.sent - paced.confirmed);
		}
		assert.equal(bytes, total);
		assert.equal(credits.at(-1), total, "the last credit covers the whole body");
		assert.ok(credits.every((c, i) => i === 0 || c > credits[i - 1]), "credits only grow");
		assert.ok(maxAhead <= window + CHUNK, `the gateway ran ${maxAhead} bytes ahead of a ${window}-byte window`);
	});

	it("when the call has settled, then release() lets the rest of the body through without credit", async () => {
		const window = 256 * 1024;
		const total = 4 * 1024 * 1024;
		const paced = new PacedUpload(window);
		fastSource(total).pipe(paced);
		const reader = eagerReader(paced);
		await tick();
		assert.ok(reader.received() < total);
		paced.release();
		await reader.ended;
		assert.equal(reader.received(), total);
	});

	it("when the source fails, then the credited stream fails with the same error", async () => {
		const source = new Readable({ read() {} });
		const credited = creditedStream(source, () => undefined);
		const failed = new Promise<Error>(resolve => credited.on("error", resolve));
		source.destroy(new Error("client went away"));
		assert.match((await failed).message, /client went away/);
	});
});
