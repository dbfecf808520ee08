/**
 * The e-mails already seen in a file, for DUPLICATE_IN_FILE, in bounded memory: a 64-bit
 * hash per e-mail (two independent 32-bit FNV-1a-style hashes) in an open-addressing
 * table of typed arrays. A million e-mails take 16 MiB instead of ~100 MiB of strings;
 * a false duplicate needs a 64-bit collision (about 1 in 10^7 for a 10-million-row file).
 */
export class SeenSet {
	private hi: Uint32Array;
	private lo: Uint32Array;
	private used: Uint8Array;
	private count = 0;

	constructor(capacity = 1 << 16) {
		this.hi = new Uint32Array(capacity);
		this.lo = new Uint32Array(capacity);
		this.used = new Uint8Array(capacity);
	}

	get size(): number {
		return this.count;
	}

	/** Adds the key; false when it was already there. */
	add(key: string): boolean {
		let h1 = 0x811c9dc5;
		let h2 = 0x9747b28c;
		for (let i = 0; i < key.length; i++) {
			const c = key.charCodeAt(i);
			h1 = Math.imul(h1 ^ c, 0x01000193);
			h2 = Math.imul(h2 ^ c, 0x5bd1e995);
			h2 ^= h2 >>> 15;
		}
		h1 = (h1 ^ (h1 >>> 16)) >>> 0;
		h2 = (h2 ^ (h2 >>> 13)) >>> 0;
		if ((this.count + 1) * 10 > this.used.length * 7) this.grow();
		return this.insert(h1, h2);
	}

	private insert(h1: number, h2: number): boolean {
		const mask = this.used.length - 1;
		let i = (h1 ^ Math.imul(h2, 0x27d4eb2d)) & mask;
		while (this.used[i]) {
			if (this.hi[i] === h1 && this.lo[i] === h2) return false;
			i = (i + 1) & mask;
		}
		this.used[i] = 1;
		this.hi[i] = h1;
		this.lo[i] = h2;
		this.count++;
		return true;
	}

	private grow(): void {
		const { hi, lo, used } = this;
		const capacity = used.length * 2;
		this.hi = new Uint32Array(capacity);
		this.lo = new Uint32Array(capacity);
		this.used = new Uint8Array(capacity);
		this.count = 0;
		for (let i = 0; i < used.length; i++) if (used[i]) this.insert(hi[i], lo[i]);
	}
}
