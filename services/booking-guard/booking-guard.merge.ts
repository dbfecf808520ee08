/**
 * The booking guard's step of a client merge (coordinated by services/clients/clients.merge.ts):
 * every booking of the source (any status, past and future, series included) is re-owned by
 * the target, under both clients' reservation locks (taken in id order, so two merges of the
 * same pair cannot deadlock), so no reservation of either counts its bookings meanwhile.
 * Idempotent: run again, it finds nothing left to move. The target's future-booking limit is
 * not enforced retroactively: the bookings move as they are, and the answer says how many
 * future bookings the target now has (the coordinator compares them with the group's limit).
 */
import type { Context } from "moleculer";
import type { Knex } from "knex";
import type { HttpMeta } from "../../lib/http";
import { defineMixin } from "../../lib/service";
import { UUID_RE } from "../../lib/tenant.middleware";
import { KIND, key, type BookingGuardThis } from "./booking-guard.facts";
import * as q from "./booking-guard.queries";
import type { MergeBookings, MergePairParams } from "./booking-guard.contract";

const uuid = { type: "string", pattern: UUID_RE } as const;

export const BookingGuardMergeMixin = defineMixin<BookingGuardThis>({
	actions: {
		/** Internal (merge dry run): how many bookings would move, and the target's future bookings after. */
		mergePlan: {
			params: { $$strict: true, ...{ sourceId: uuid, targetId: uuid } },
			async handler(ctx: Context<MergePairParams, HttpMeta>): Promise<MergeBookings> {
				const clubId = ctx.meta.clubId;
				const { sourceId, targetId } = ctx.params;
				const now = new Date();
				const [bookings, sourceFuture, targetFuture] = await Promise.all([
					q.countBookings(this.db, clubId, sourceId),
					q.countFuture(this.db, clubId, sourceId, now),
					q.countFuture(this.db, clubId, targetId, now),
				]);
				return { bookings, targetFutureBookings: sourceFuture + targetFuture };
			},
		},

		/** Internal: re-owns every booking of the source by the target (idempotent). */
		moveClientBookings: {
			params: { $$strict: true, sourceId: uuid, targetId: uuid },
			async handler(ctx: Context<MergePairParams, HttpMeta>): Promise<MergeBookings> {
				const clubId = ctx.meta.clubId;
				const { sourceId, targetId } = ctx.params;
				const out: MergeBookings = await this.db.transaction(async (trx: Knex.Transaction) => {
					for (const id of [sourceId, targetId].sort()) await q.lockClient(trx, clubId, id);
					const moved = await q.moveBookings(trx, clubId, sourceId, targetId);
					return { bookings: moved, targetFutureBookings: await q.countFuture(trx, clubId, targetId, new Date()) };
				});
				this.forgetMerged(clubId, sourceId, targetId);
				return out;
			},
		},
	},

	events: {
		/** Every node forgets what it cached about both clients (their bookings changed owner). */
		"clients.merged": {
			handler(ctx: Context<{ clubId?: string; targetId?: string; sourceId?: string }>) {
				const { clubId, targetId, sourceId } = ctx.params ?? {};
				if (typeof clubId === "string" && typeof targetId === "string" && typeof sourceId === "string") this.forgetMerged(clubId, sourceId, targetId);
			},
		},
	},

	methods: {
		forgetMerged(clubId: string, sourceId: string, targetId: string) {
			for (const id of [sourceId, targetId]) {
				this.facts.invalidate(key(clubId, KIND.future, id));
				this.facts.invalidate(key(clubId, KIND.client, id));
			}
		},
	},
});
