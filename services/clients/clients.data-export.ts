/**
 * GET /clients/:id/export: everything Clubhouse keeps about one person (GDPR access and
 * portability), gathered from every service through its own actions, as one JSON attachment:
 * the client, its categories (with their names and discounts), every booking, every wallet
 * with its whole ledger, and the audit trail's history of the client.
 */
import type { Context } from "moleculer";
import { NotFoundError } from "../../lib/errors";
import type { HttpMeta } from "../../lib/http";
import { UUID_RE } from "../../lib/tenant.middleware";
import type { Client } from "./clients.entity";
import { ref } from "../../lib/openapi";
import { defineMixin, serviceRuns, type AppService } from "../../lib/service";

const PAGE = 500;

/** Every item of a paginated action (`{ items, nextCursor }`). */
async function allPages(ctx: Context<unknown, HttpMeta>, action: string, params: Record<string, unknown>): Promise<unknown[]> {
	const out: unknown[] = [];
	let cursor: string | null = null;
	do {
		const page: { items: unknown[]; nextCursor: string | null } = await ctx.call(action, { ...params, limit: PAGE, ...(cursor ? { cursor } : {}) });
		out.push(...page.items);
		cursor = page.nextCursor;
	} while (cursor);
	return out;
}

export interface DataExportMethods {
	exportCategories(ctx: Context<unknown, HttpMeta>, client: Client): Promise<unknown[]>;
	exportWallets(ctx: Context<unknown, HttpMeta>, clientId: string): Promise<unknown[]>;
	exportHistory(ctx: Context<unknown, HttpMeta>, clientId: string): Promise<unknown[]>;
}

export const DataExportMixin = defineMixin<AppService & DataExportMethods>({
	actions: {
		exportData: {
			rest: "GET /clients/:id/export",
			auth: "admin",
			timeout: 120_000,
			params: { id: { type: "string", min: 1, max: 200 } },
			openapi: {
				summary: "Everything kept about one client (GDPR access), as a JSON file",
				description:
					"An `application/json` attachment (Content-Disposition: attachment; filename=\"client-<id>.json\") holding `{ client, categories, bookings, wallets: [{ ...wallet, transactions }], history, exportedAt }`: " +
					"the client as GET /clients/:id shows it; its categories with their name, description, discount and validity; every booking (every status); every wallet with its whole ledger (oldest entry first); " +
					"and the client's audit history (GET /clients/:id/history, oldest first; empty where the audit trail is not running). An erased client is a 404.",
				tags: ["clients"],
				responses: {
					"200": {
						description: "The client's data",
						schema: ref("ClientDataExport"),
					},
				},
			},
			async handler(ctx: Context<{ id: string }, HttpMeta>) {
				if (!UUID_RE.test(ctx.params.id)) throw new NotFoundError("Client");
				const client: Client = await ctx.call("clients.get", { id: ctx.params.id });
				const [categories, bookings, wallets, history] = await Promise.all([
					this.exportCategories(ctx, client),
					allPages(ctx, "booking-guard.history", { id: client.id, scope: "all" }),
					this.exportWallets(ctx, client.id),
					this.exportHistory(ctx, client.id),
				]);
				ctx.meta.$responseType = "application/json; charset=utf-8";
				ctx.meta.$responseHeaders = { "Content-Disposition": `attachment; filename="client-${client.id}.json"` };
				return { client, categories, bookings, wallets, history, exportedAt: new Date().toISOString() };
			},
		},
	},

	methods: {
		async exportCategories(ctx: Context<unknown, HttpMeta>, client: Client) {
			if (!client.categories.length) return [];
			const found: Array<{ id: string; name: string; description?: string | null; discountPercent: number }> = await ctx.call("groups.getCategories", { ids: client.categories.map(c => c.categoryId) });
			const byId = new Map(found.map(c => [c.id, c]));
			return client.categories.map(c => ({ ...c, name: byId.get(c.categoryId)?.name ?? null, description: byId.get(c.categoryId)?.description ?? null, discountPercent: byId.get(c.categoryId)?.discountPercent ?? null }));
		},

		async exportWallets(ctx: Context<unknown, HttpMeta>, clientId: string) {
			const res: { items: Array<Record<string, unknown> & { id: string }> } = await ctx.call("wallets.ofClient", { id: clientId });
			return Promise.all(
				res.items.map(async ({ recentTransactions: _recent, ...wallet }) => ({ ...wallet, transactions: (await allPages(ctx, "wallets.transactions", { id: wallet.id })).reverse() })),
			);
		},

		/** The audit trail's entries about the client, oldest first (none where the audit service is not deployed). */
		async exportHistory(ctx: Context<unknown, HttpMeta>, clientId: string) {
			if (!serviceRuns(this.broker, "audit")) return [];
			return (await allPages(ctx, "audit.clientHistory", { id: clientId })).reverse();
		},
	},
});
