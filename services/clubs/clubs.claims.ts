/**
 * The club's Idempotency-Key claims (API.md: keys are scoped to the club, across routes).
 *
 * Each service keeps the answers of its own keyed requests (mixins/idempotency.mixin.ts), so
 * a key could be used once per service. The first use of a key anywhere writes a claim here,
 * (club, key) -> request hash (action + params); a later use of the key with another request
 * (another route, or the same route with another body) gets 422 IDEMPOTENCY_KEY_REUSED
 * before anything runs. A use with the same request passes, and its service replays.
 *
 * Claims of many requests arrive in one call (mixins/idempotency.claims.ts batches them) and
 * commit in one short transaction with synchronous_commit off: it never waits for a WAL
 * flush. That is safe because every claim is followed by the request's own work, committed
 * durably in the same PostgreSQL, and WAL is flushed in order: once the work is durable, so
 * is its claim. A claim lost in a crash belonged to work that never committed.
 */
import type { Context, ServiceSchema } from "moleculer";
import type { Knex } from "knex";
import type { HttpMeta } from "../../lib/http";

export const CLAIMS_TABLE = "idempotency_claims";
export const MAX_CLAIMS = 1000;

interface Claim {
	key: string;
	hash: string;
}

export const ClaimsMixin: Partial<ServiceSchema> = {
	actions: {
		/** Internal: claims keys for requests; answers the indexes of the claims refused (key held by another request). */
		claimIdempotencyKeys: {
			params: {
				$$strict: true,
				claims: {
					type: "array",
					min: 1,
					max: MAX_CLAIMS,
					items: { type: "object", strict: true, props: { key: { type: "string", min: 1, max: 255 }, hash: { type: "string", length: 64 } } },
				},
			},
			async handler(this: any, ctx: Context<{ claims: Claim[] }, HttpMeta>): Promise<{ refused: number[] }> {
				const clubId = ctx.meta.clubId;
				const claims = ctx.params.claims;
				const held: Map<string, string> = await this.db.transaction(async (trx: Knex.Transaction) => {
					await trx.raw("SET LOCAL synchronous_commit = off");
					// In key order, so two batches never wait on each other's keys crosswise.
					const rows = JSON.stringify(claims.map((c, i) => ({ i, key: c.key, hash: c.hash })));
					await trx.raw(
						`INSERT INTO ${CLAIMS_TABLE} (club_id, key, request_hash)
						 SELECT DISTINCT ON (u.key) ?, u.key, u.hash FROM json_to_recordset(?::json) AS u(i int, key text, hash text)
						  ORDER BY u.key, u.i
						 ON CONFLICT DO NOTHING`,
						[clubId, rows],
					);
					// A new statement: it sees the claims that other transactions committed meanwhile.
					const found: Array<{ key: string; request_hash: string }> = await trx(CLAIMS_TABLE)
						.where({ club_id: clubId })
						.whereIn("key", [...new Set(claims.map(c => c.key))])
						.select("key", "request_hash");
					return new Map(found.map(r => [r.key, r.request_hash]));
				});
				const refused: number[] = [];
				claims.forEach((c, i) => {
					if (held.get(c.key) !== c.hash) refused.push(i);
				});
				return { refused };
			},
		},
	},
};
