/**
 * Writes to many clients at once: POST /clients/bulk (group and tags, all or nothing) and
 * clients.moveAllFromGroup (the groups service deleting a group with moveClientsTo).
 */
import type { Context } from "moleculer";
import { invalid, type FieldError } from "../../lib/errors";
import type { HttpMeta } from "../../lib/http";
import { normalizeTags } from "../../lib/normalize/client";
import { defineMixin, type AppService } from "../../lib/service";
import { UUID_RE } from "../../lib/tenant.middleware";
import type { DbMembers } from "../../mixins/db.mixin";
import { diffChanges, type ChangeEntry, type OutboxMembers } from "../../mixins/outbox.mixin";
import type { MoveAllFromGroupAnswer, MoveAllFromGroupParams } from "./clients.contract";
import { toClient, type Client } from "./clients.entity";
import { field, resolveGroup } from "./clients.input";
import type { BulkParams } from "./clients.schemas";
import * as q from "./clients.queries";

type BulkThis = AppService & DbMembers & OutboxMembers;

export const BulkMixin = defineMixin<BulkThis>({
	actions: {
		/** Moves many clients and/or changes their tags, all or nothing. */
		bulk: {
			rest: "POST /clients/bulk",
			auth: "staff",
			params: {
				$$strict: true,
				clientIds: { type: "array", min: 1, max: 1000, items: { type: "string", max: 200 } },
				groupId: { type: "string", optional: true, max: 64 },
				addTags: { type: "array", optional: true, max: 100, items: { type: "string", max: 200 } },
				removeTags: { type: "array", optional: true, max: 100, items: { type: "string", max: 200 } },
			},
			openapi: {
				summary: "Move clients to a group and/or add and remove tags, all or nothing",
				description: "Any unknown id (or another club's) is a 422 listing them, and nothing changes. addTags and removeTags follow the tag rules of POST /clients (no `,` `;` `|`: 422 on addTags[i] / removeTags[i]).",
				tags: ["clients"],
				responses: { "200": { description: "How many clients were updated", schema: { type: "object", properties: { updated: { type: "integer" } } } } },
			},
			async handler(ctx: Context<BulkParams, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const { clientIds, groupId } = ctx.params;
				const errors: FieldError[] = [];
				const add = ctx.params.addTags ? normalizeTags(ctx.params.addTags, "addTags") : { value: [] as string[] };
				const remove = ctx.params.removeTags ? normalizeTags(ctx.params.removeTags, "removeTags") : { value: [] as string[] };
				if ("errors" in add) errors.push(...add.errors);
				if ("errors" in remove) errors.push(...remove.errors);
				if (groupId === undefined && !ctx.params.addTags?.length && !ctx.params.removeTags?.length) {
					errors.push(field("groupId", "required", "Give groupId, addTags or removeTags."));
				}
				if (errors.length) throw invalid(errors);
				if (groupId !== undefined) await resolveGroup(ctx, groupId, "staff");
				const addTags = (add as { value: string[] }).value;
				const removeTags = (remove as { value: string[] }).value;
				const ids = [...new Set(clientIds)];
				const validIds = ids.filter(id => UUID_RE.test(id)).map(id => id.toLowerCase());
				let clients: Client[] = [];
				const rows = await this.db.transaction(async trx => {
					const found = validIds.length ? await q.lockClients(trx, clubId, validIds) : [];
					const known = new Set(found.map(r => r.id));
					const unknown = clientIds.map((id, i) => ({ id, i })).filter(({ id }) => !known.has(id.toLowerCase()));
					if (unknown.length) {
						throw invalid(
							unknown.map(({ id, i }) => field(`clientIds[${i}]`, "clientNotFound", `Client '${id.slice(0, 64)}' not found.`)),
							`${unknown.length} client id(s) not found: nothing was changed`,
						);
					}
					const updated = await q.bulkUpdate(trx, clubId, { ids: validIds, groupId: groupId ?? null, addTags, removeTags });
					const tooMany = updated.filter(r => r.tags.length > 100);
					if (tooMany.length) throw invalid(field("addTags", "arrayMax", `A client has at most 100 tags (${tooMany.length} client(s) would have more).`));
					const cats = await q.categoriesOf(trx, clubId, updated.map(r => r.id));
					const before = new Map(found.map(r => [r.id, r]));
					const entries: ChangeEntry[] = updated.flatMap(r => {
						const client = toClient(r, cats.get(r.id));
						const changes = diffChanges({ ...toClient(before.get(r.id)!, cats.get(r.id)) }, client);
						return changes ? [{ action: "clients.bulk", target: { type: "client", id: r.id }, changes, event: { type: "clients.updated", data: client } }] : [];
					});
					await this.recordChange(trx, ctx, entries);
					clients = updated.map(r => toClient(r, cats.get(r.id)));
					return updated;
				});
				for (const client of clients) ctx.emit("clients.updated", { clubId, client });
				return { updated: rows.length };
			},
		},

		/** Internal: moves every client of a group to another (group deletion with moveClientsTo). */
		moveAllFromGroup: {
			params: { fromGroupId: "string", toGroupId: "string" },
			async handler(ctx: Context<MoveAllFromGroupParams, HttpMeta>): Promise<MoveAllFromGroupAnswer> {
				const clubId = ctx.meta.clubId;
				const { fromGroupId, toGroupId } = ctx.params;
				if (!UUID_RE.test(toGroupId)) throw invalid(field("toGroupId", "uuid", "The 'toGroupId' is not a group id."));
				if (!UUID_RE.test(fromGroupId) || fromGroupId === toGroupId) return { moved: 0 };
				// Tombstones move too, so no row points at a deleted group; only live clients count, are recorded and announced.
				const { live, cats } = await this.db.transaction(async trx => {
					const rows = await q.moveGroup(trx, clubId, fromGroupId, toGroupId);
					const live = rows.filter(r => !r.deleted_at);
					const cats = await q.categoriesOf(trx, clubId, live.map(r => r.id));
					await this.recordChange(
						trx,
						ctx,
						live.map(r => ({ action: "clients.moveGroup", target: { type: "client", id: r.id }, changes: { groupId: [fromGroupId, toGroupId] }, event: { type: "clients.updated", data: toClient(r, cats.get(r.id)) } })),
					);
					return { live, cats };
				});
				for (const r of live) ctx.emit("clients.updated", { clubId, client: toClient(r, cats.get(r.id)) });
				return { moved: live.length };
			},
		},
	},
});
