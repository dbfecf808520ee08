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
 * are written by ONE statement, on sessions with synchronous_commit off: it never waits for
 * a WAL flush. That is safe because every claim is followed by the request's own work, committed
 * durably in the same PostgreSQL, and WAL is flushed in order: once the work is durable, so
 * is its claim. A claim lost in a crash belonged to work that never committed.
 */
import type { Context, ServiceSchema } from "moleculer";
import knex, { type Knex } from "knex";
import type { HttpMeta } from "../../lib/http";

export const CLAIMS_TABLE = "idempotency_claims";
export const MAX_CLAIMS = 1000;

interface Claim {
	key: string;
	hash: string;
}

/** The claims' own small pool, whose sessions commit without waiting for the WAL flush (see above). */
function claimsDb(service: any): Knex {
	if (!service.claimsDb) {
		service.claimsDb = knex({
			client: "pg",
			connection: service.db.client.config.connection,
			searchPath: service.db.client.config.searchPath,
			pool: {
				min: 0,
				max: 4,
				afterCreate(conn: any, done: (err: Error | null, conn: any) => void) {
					conn.query("SET synchronous_commit = off", (err: Error | null) => done(err, conn));
				},
			},
		});
	}
	return service.claimsDb;
}

export const ClaimsMixin: Partial<ServiceSchema> = {
	async stopped(this: any) {
		if (this.claimsDb) await this.claimsDb.destroy();
		this.claimsDb = null;
	},

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
				const claims = ctx.params.claims;
				// One row per key (the first claim of it in the batch); in key order, so two batches never wait on each other crosswise.
				const first = new Map<string, Claim>();
				for (const c of claims) if (!first.has(c.key)) first.set(c.key, c);
				const rows = JSON.stringify([...first.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
				// One statement: a new key is inserted; an existing one (even committed by another
				// node a moment ago) is returned as it is, with the hash of the request that holds it.
				const res = await claimsDb(this).raw(
					`INSERT INTO ${CLAIMS_TABLE} AS c (club_id, key, request_hash)
					 SELECT ?, u.key, u.hash FROM json_to_recordset(?::json) AS u(key text, hash text)
					 ON CONFLICT (club_id, key) DO UPDATE SET key = c.key
					 RETURNING c.key, c.request_hash`,
					[ctx.meta.clubId, rows],
				);
				const held = new Map<string, string>(res.rows.map((r: { key: string; request_hash: string }) => [r.key, r.request_hash]));
				const refused: number[] = [];
				claims.forEach((c, i) => {
					if (held.get(c.key) !== c.hash) refused.push(i);
				});
				return { refused };
			},
		},
	},
};
