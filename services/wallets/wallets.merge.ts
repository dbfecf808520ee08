/**
 * The wallets' step of a client merge (POST /clients/:id/merge, coordinated by
 * services/clients/clients.merge.ts). For every wallet of the source:
 *   - a currency the target has no wallet in: the wallet changes owner, ledger and all;
 *   - a currency both hold: the source's balance goes into the target's wallet through a
 *     pair of ledger entries (`transfer_out` on the source's, `transfer_in` on the target's,
 *     reference "merge:<sourceId>"), and the source's wallet is closed (readable, takes no
 *     more money, as a deleted client's wallets are).
 * All of it is one transaction under both clients' owner and wallet row locks (wallets.owners.queries.ts;
 * the source's owner is closed: no wallet is opened for it after), applied at most once per
 * merge id: the first statement claims the id in `merges`. `wallets.abortMerge` claims it the
 * other way, so a coordinator that lost track of a merge (a node died mid-call) learns for
 * sure whether it was applied, and after an abort it never will be.
 */
import crypto from "node:crypto";
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { ConflictError } from "../../lib/errors";
import { defineMixin } from "../../lib/service";
import type { HttpMeta } from "../../lib/http";
import { UUID_RE } from "../../lib/tenant.middleware";
import * as q from "./wallets.queries";
import * as mq from "./wallets.merge.queries";
import { BalanceLimitError } from "./wallets.errors";
import { closeOwner, lockOpenOwner } from "./wallets.owners.queries";
import { isBalanceMax } from "./wallets.movements";
import { toTransaction, type TransactedEvent } from "./wallets.types";
import type { AbortMergeAnswer, MergeClientsAnswer, MergeParams, MergePlanAnswer } from "./wallets.contract";
import type { WalletsThis } from "./wallets.movements";


const uuid = { type: "string", pattern: UUID_RE } as const;

/** What a merge of these wallets does: which move, which are emptied into the target's. */
function planOf(source: q.WalletRow[], target: q.WalletRow[]) {
	const byCurrency = new Map(target.map(w => [w.currency, w]));
	return source.map(w => ({ wallet: w, into: byCurrency.get(w.currency) ?? null }));
}

export const WalletsMergeMixin = defineMixin<WalletsThis>({
	actions: {
		/** Internal (merge dry run): what the wallet step would do, changing nothing. */
		mergePlan: {
			params: { $$strict: true, sourceId: uuid, targetId: uuid },
			async handler(ctx: Context<Omit<MergeParams, "mergeId">, HttpMeta>): Promise<MergePlanAnswer> {
				const { sourceId, targetId } = ctx.params;
				const rows = await mq.walletsOf(this.db, ctx.meta.clubId, [sourceId, targetId]);
				const plan = planOf(rows.filter(w => w.client_id === sourceId), rows.filter(w => w.client_id === targetId));
				return {
					wallets: plan.filter(p => !p.into).length,
					transferred: plan.filter(p => p.into && p.wallet.balance > 0).map(p => ({ currency: p.wallet.currency, amount: p.wallet.balance })),
				};
			},
		},

		/** Internal: applies the merge's wallet step once per mergeId (a replay answers the first result). */
		mergeClients: {
			params: { $$strict: true, mergeId: uuid, sourceId: uuid, targetId: uuid },
			retryPolicy: { enabled: false },
			async handler(ctx: Context<MergeParams, HttpMeta>): Promise<MergeClientsAnswer> {
				const clubId = ctx.meta.clubId;
				const { mergeId, sourceId, targetId } = ctx.params;
				const events: TransactedEvent[] = [];
				const out = await this.db.transaction(async (trx: Knex.Transaction): Promise<MergeClientsAnswer> => {
					const claim = await mq.claimMerge(trx, { club_id: clubId, merge_id: mergeId, source_id: sourceId, target_id: targetId, status: "applied" });
					if (!claim.claimed) {
						if (claim.row.status === "aborted") throw new ConflictError("MERGE_ABORTED", "This merge was called off: nothing was moved", { mergeId });
						return { ...(claim.row.result as mq.MergeResult), replayed: true };
					}
					// The owners first (as opening a wallet does), then the wallets: no wallet of either is opened meanwhile.
					for (const id of [sourceId, targetId].sort()) await lockOpenOwner(trx, clubId, id);
					const locked = await mq.lockWalletsOf(trx, clubId, [sourceId, targetId]);
					const plan = planOf(locked.filter(w => w.client_id === sourceId), locked.filter(w => w.client_id === targetId));
					const result: mq.MergeResult = { wallets: 0, transferred: [], movedWalletIds: [], closedWalletIds: [] };
					const reference = `merge:${sourceId}`;
					for (const { wallet, into } of plan) {
						if (!into) {
							await mq.reown(trx, clubId, wallet.id, targetId);
							result.wallets++;
							result.movedWalletIds.push(wallet.id);
							continue;
						}
						if (wallet.balance > 0) {
							const amount = wallet.balance;
							const out = await mq.transfer(trx, { id: crypto.randomUUID(), clubId, walletId: wallet.id, amount, reference, type: "transfer_out" });
							let inn: q.TransactionRow | undefined;
							try {
								inn = await mq.transfer(trx, { id: crypto.randomUUID(), clubId, walletId: into.id, amount, reference, type: "transfer_in" });
							} catch (err) {
								if (isBalanceMax(err)) throw new BalanceLimitError({ walletId: into.id });
								throw err;
							}
							if (!out || !inn) throw new ConflictError("WALLET_CLOSED", "The target's wallet takes no money", { walletId: into.id });
							events.push({ clubId, walletId: wallet.id, clientId: sourceId, transaction: toTransaction(out) });
							events.push({ clubId, walletId: into.id, clientId: targetId, transaction: toTransaction(inn) });
							result.transferred.push({ currency: wallet.currency, amount });
						}
						await mq.closeWallet(trx, clubId, wallet.id);
						result.closedWalletIds.push(wallet.id);
					}
					// The source is erased next: no wallet may be opened for it any more.
					await closeOwner(trx, clubId, sourceId);
					await mq.storeMergeResult(trx, clubId, mergeId, result);
					await this.recordChange(trx, ctx, [
						...events.map(e => ({ action: `wallets.${e.transaction.type}`, target: { type: "wallet", id: e.walletId }, event: { type: "wallets.transacted", data: e.transaction } })),
						...result.movedWalletIds.map(id => ({ action: "wallets.reown", target: { type: "wallet", id }, changes: { clientId: [sourceId, targetId] as [unknown, unknown] } })),
					]);
					return { ...result, replayed: false };
				});
				for (const e of events) ctx.emit("wallets.transacted", e);
				return out;
			},
		},

		/**
		 * Internal: the coordinator calls the merge off unless its wallet step was applied.
		 * Answers which of the two holds for good.
		 */
		abortMerge: {
			params: { $$strict: true, mergeId: uuid, sourceId: uuid, targetId: uuid },
			async handler(ctx: Context<MergeParams, HttpMeta>): Promise<AbortMergeAnswer> {
				const { mergeId, sourceId, targetId } = ctx.params;
				const claim = await mq.claimMerge(this.db, { club_id: ctx.meta.clubId, merge_id: mergeId, source_id: sourceId, target_id: targetId, status: "aborted" });
				return { status: claim.row.status, result: claim.row.result };
			},
		},
	},
});
