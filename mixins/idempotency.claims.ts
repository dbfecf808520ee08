/**
 * The caller's side of the club-wide Idempotency-Key claims (services/clubs/clubs.claims.ts):
 * before a service runs or replays a keyed request, the key is claimed for this request's
 * hash; a key the club already used for another request is 422 IDEMPOTENCY_KEY_REUSED.
 *
 * The claims that arrive while a claim call of the same club is in flight wait and go
 * together in the next call, so a hot path (many debits of one wallet) pays about one short
 * round trip per batch, not one commit per request.
 */
import type { ServiceBroker } from "moleculer";
import { keyReusedError } from "./idempotency.errors";

const MAX_BATCH = 1000;

interface Pending {
	key: string;
	hash: string;
	resolve(): void;
	reject(err: unknown): void;
}

export class ClaimBatcher {
	private readonly queues = new Map<string, Pending[]>();
	private readonly running = new Set<string>();

	constructor(private readonly broker: ServiceBroker) {}

	/** Resolves when the key is this request's (first use, or the same request again); rejects 422 otherwise. */
	claim(clubId: string, key: string, hash: string): Promise<void> {
		return new Promise((resolve, reject) => {
			const queue = this.queues.get(clubId) ?? [];
			queue.push({ key, hash, resolve, reject });
			this.queues.set(clubId, queue);
			if (!this.running.has(clubId)) {
				this.running.add(clubId);
				setImmediate(() => void this.drain(clubId));
			}
		});
	}

	private async drain(clubId: string): Promise<void> {
		try {
			for (;;) {
				const queue = this.queues.get(clubId);
				if (!queue || queue.length === 0) break;
				const batch = queue.splice(0, MAX_BATCH);
				try {
					const { refused } = (await this.broker.call("clubs.claimIdempotencyKeys", { claims: batch.map(p => ({ key: p.key, hash: p.hash })) }, { meta: { clubId } })) as { refused: number[] };
					const no = new Set(refused);
					batch.forEach((p, i) => (no.has(i) ? p.reject(keyReusedError()) : p.resolve()));
				} catch (err) {
					for (const p of batch) p.reject(err);
				}
			}
		} finally {
			this.queues.delete(clubId);
			this.running.delete(clubId);
		}
	}
}
