/**
 * Planner statistics after bulk writes. Autovacuum analyzes a table only a while after it
 * changed (and only past 10% of its rows), so a club that imports its base and searches at
 * once was served plans made for an empty table (bench/clients: p95 116 ms instead of 24 ms
 * for a name search on 200k just-imported clients). The import service calls
 * `clients.refreshStatistics` before it marks a job completed; the table is analyzed when
 * the job wrote enough rows to matter (MIN_CHANGED, or 5% of the table).
 */
import type { Context, ServiceSchema } from "moleculer";
import type { Knex } from "knex";
import type { HttpMeta } from "../../lib/http";

export const MIN_CHANGED = 1000;
const SHARE = 0.05;

export const StatisticsMixin: Partial<ServiceSchema> = {
	actions: {
		/** Internal (imports): `changed` rows were written; answers whether the clients table was analyzed. */
		refreshStatistics: {
			params: { $$strict: true, changed: { type: "number", integer: true, min: 0 } },
			timeout: 120_000,
			async handler(this: any, ctx: Context<{ changed: number }, HttpMeta>): Promise<{ analyzed: boolean }> {
				const db: Knex = this.db;
				const { rows } = await db.raw(`SELECT GREATEST(reltuples, 0)::float8 AS rows FROM pg_class WHERE oid = 'clients.clients'::regclass`);
				const total = Number(rows[0]?.rows ?? 0);
				if (ctx.params.changed < MIN_CHANGED && ctx.params.changed < SHARE * total) return { analyzed: false };
				await db.raw(`SELECT clients.refresh_clients_statistics()`);
				return { analyzed: true };
			},
		} as any,
	},
};
