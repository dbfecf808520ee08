import crypto from "node:crypto";

/** SHA-256 of UTF-8 text as lowercase hex: how API keys, session tokens and reset tokens are stored and looked up. */
export function sha256Hex(text: string): string {
	return crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

/** Constant-time equality of two hex digests (false when their lengths differ). */
export function sameDigest(a: string, b: string): boolean {
	const x = Buffer.from(a, "hex");
	const y = Buffer.from(b, "hex");
	return x.length === y.length && crypto.timingSafeEqual(x, y);
}
