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
import type { Context } from "moleculer";
import knex, { type Knex } from "knex";
import type { HttpMeta } from "../../lib/http";
import { defineMixin, type AppService } from "../../lib/service";
import type { DbMembers } from "../../mixins/db.mixin";
import { claimKeys, withoutFlushWait, type Claim } from "./clubs.claims.queries";

const MAX_CLAIMS = 1000;

/** What the claims add to the clubs service's `this`: their own pool, made on first use. */
interface ClaimsState {
	claimsDb?: Knex | null;
}
type ClaimsThis = AppService & DbMembers & ClaimsState;

/** The claims' own small pool, whose sessions commit without waiting for the WAL flush (see above). */
function claimsDb(service: ClaimsThis): Knex {
	if (!service.claimsDb) {
		service.claimsDb = knex({
			client: "pg",
			connection: service.db.client.config.connection,
			searchPath: service.db.client.config.searchPath,
			pool: {
				min: 0,
				max: 4,
				afterCreate: withoutFlushWait,
			},
		});
	}
	return service.claimsDb;
}

export const ClaimsMixin = defineMixin<ClaimsThis>({
	async stopped() {
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
			async handler(ctx: Context<{ claims: Claim[] }, HttpMeta>): Promise<{ refused: number[] }> {
				const claims = ctx.params.claims;
				const held = await claimKeys(claimsDb(this), ctx.meta.clubId, claims);
				const refused: number[] = [];
				claims.forEach((c, i) => {
					if (held.get(c.key) !== c.hash) refused.push(i);
				});
				return { refused };
			},
		},
	},
});
