/**
 * The club's clients: identity, group, tags, categories, verified profiles, export.
 * (Foundation: the schema and the counts other services ask for; the directory arrives with issue 3.)
 */
import type { Context } from "moleculer";
import { defineService } from "../../lib/service";
import { DbMixin } from "../../mixins/db.mixin";
import type { HttpMeta } from "../../lib/http";
import { ImportBatchMixin } from "./clients.import-batch";

const ClientsService = defineService({
	name: "clients",
	mixins: [DbMixin({ schema: "clients" }), ImportBatchMixin],
	settings: { rest: "/" },
	actions: {
		/** Internal: number of clients per group id. */
		countByGroup: {
			params: { groupIds: { type: "array", items: "string", optional: true, max: 1000 } },
			async handler(this: any, _ctx: Context<{ groupIds?: string[] }, HttpMeta>): Promise<Record<string, number>> {
				return {};
			},
		},
	},
});

export default ClientsService;
