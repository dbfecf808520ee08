/**
 * Standard Webhooks (standardwebhooks.com) signing, and the sealing of secrets at rest.
 *
 * A secret is `whsec_` + base64 of 32 random bytes; the HMAC key is those bytes. Each
 * attempt is signed `v1,<base64 HMAC-SHA256("{webhook-id}.{webhook-timestamp}.{body}")>`,
 * once per secret still valid (the new one and, for 24 h after a rotation, the old one),
 * space-separated in `webhook-signature`.
 *
 * Secrets are kept sealed with AES-256-GCM under a key derived from WEBHOOK_SECRETS_KEY
 * (or, unset, from PLATFORM_API_KEY): a copy of the database alone does not reveal them.
 */
import crypto from "node:crypto";

const SECRET_PREFIX = "whsec_";

export function newSecret(): string {
	return SECRET_PREFIX + crypto.randomBytes(32).toString("base64");
}

export function signature(secret: string, id: string, timestamp: number, body: string): string {
	const key = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
	return "v1," + crypto.createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
}

/** The headers of one attempt. */
export function signedHeaders(secrets: string[], id: string, timestamp: number, body: string): Record<string, string> {
	return {
		"webhook-id": id,
		"webhook-timestamp": String(timestamp),
		"webhook-signature": secrets.map(s => signature(s, id, timestamp, body)).join(" "),
	};
}

export function sealingKey(material: string): Buffer {
	return crypto.createHash("sha256").update(`clubhouse:webhook-secrets:${material}`).digest();
}

export function seal(secret: string, key: Buffer): string {
	const iv = crypto.randomBytes(12);
	const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
	const ct = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
	return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64");
}

/** The secret, or null when it was sealed under another key (WEBHOOK_SECRETS_KEY changed). */
export function unseal(sealed: string, key: Buffer): string | null {
	try {
		const buf = Buffer.from(sealed, "base64");
		const decipher = crypto.createDecipheriv("aes-256-gcm", key, buf.subarray(0, 12));
		decipher.setAuthTag(buf.subarray(12, 28));
		return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString("utf8");
	} catch {
		return null;
	}
}
