/**
 * Planner statistics after bulk writes. Autovacuum analyzes a table only a while after it
 * changed (and only past 10% of its rows), so a club that imports its base and searches at
 * once was served plans made for an empty table (bench/clients: p95 116 ms instead of 24 ms
 * for a name search on 200k just-imported clients). The import service calls
 * `clients.refreshStatistics` before it marks a job completed; the table is analyzed when
 * the job wrote enough rows to matter (MIN_CHANGED, or 5% of the table).
 */
import type { Context } from "moleculer";
import type { HttpMeta } from "../../lib/http";
import { defineMixin, type AppService } from "../../lib/service";
import type { DbMembers } from "../../mixins/db.mixin";
import { estimatedClientRows, refreshClientStatistics } from "./clients.queries";

export const MIN_CHANGED = 1000;
const SHARE = 0.05;

export const StatisticsMixin = defineMixin<AppService & DbMembers>({
	actions: {
		/** Internal (imports): `changed` rows were written; answers whether the clients table was analyzed. */
		refreshStatistics: {
			params: { $$strict: true, changed: { type: "number", integer: true, min: 0 } },
			timeout: 120_000,
			async handler(ctx: Context<{ changed: number }, HttpMeta>): Promise<{ analyzed: boolean }> {
				const total = await estimatedClientRows(this.db);
				if (ctx.params.changed < MIN_CHANGED && ctx.params.changed < SHARE * total) return { analyzed: false };
				await refreshClientStatistics(this.db);
				return { analyzed: true };
			},
		},
	},
});
