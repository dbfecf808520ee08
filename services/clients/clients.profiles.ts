/**
 * POST /verified-profiles: the booking platform registers (or updates) a verified profile;
 * every club's clients linked to it follow it (clients.verified.ts is the rule they were
 * checked by when they were linked).
 */
import type { Context } from "moleculer";
import { invalid } from "../../lib/errors";
import type { HttpMeta } from "../../lib/http";
import { normalizeClientInput, type NormalizedClient } from "../../lib/normalize/client";
import { defineMixin, type AppService } from "../../lib/service";
import type { DbMembers } from "../../mixins/db.mixin";
import { diffChanges, type OutboxMembers } from "../../mixins/outbox.mixin";
import type { ClientFields } from "./clients.contract";
import { profileEntity, toClient, toProfile } from "./clients.entity";
import { fieldRules } from "./clients.schemas";
import * as q from "./clients.queries";
import * as vq from "./clients.verified.queries";

const identityChanges = (r: Record<string, any>) => ({ fullName: r.full_name, phone: r.phone, gender: r.gender, country: r.country, birthDate: r.birth_date });

export const ProfilesMixin = defineMixin<AppService & DbMembers & OutboxMembers>({
	actions: {
		/** Registers (or updates) a verified profile of the platform; linked clients in every club follow it. */
		registerProfile: {
			rest: "POST /verified-profiles",
			auth: "platform",
			tenant: false,
			params: {
				$$strict: true,
				email: fieldRules.email,
				fullName: fieldRules.fullName,
				phone: fieldRules.phone,
				gender: fieldRules.gender,
				country: fieldRules.country,
				birthDate: fieldRules.birthDate,
			},
			openapi: {
				summary: "Register or update a verified profile (platform key)",
				description: "Keyed by e-mail. Clients created with this e-mail are verified; when the profile changes, every linked client (in every club) follows it, except a birthDate its club never gave (it stays null).",
				tags: ["verified-profiles"],
				responses: { "200": { description: "The profile", schema: profileEntity } },
			},
			async handler(ctx: Context<ClientFields, HttpMeta>) {
				const norm = normalizeClientInput(ctx.params as Record<string, unknown>);
				if ("errors" in norm) throw invalid(norm.errors);
				const v = norm.value as NormalizedClient;
				const { profile, clients } = await this.db.transaction(async trx => {
					const profile = await vq.upsertProfile(trx, v);
					const rows = await vq.followProfile(trx, v);
					const cats: Map<string, q.CategoryLinkRow[]> = new Map();
					for (const r of rows) cats.set(r.id, (await q.categoriesOf(trx, r.club_id, [r.id])).get(r.id) ?? []);
					for (const r of rows) {
						const client = toClient(r, cats.get(r.id));
						await this.recordChange(trx, ctx, { clubId: r.club_id, action: "clients.followProfile", target: { type: "client", id: r.id }, changes: diffChanges(identityChanges(r.old_row), identityChanges(r)), event: { type: "clients.updated", data: client } });
					}
					return { profile, clients: rows.map(({ old_row: _, ...r }) => r as q.ClientRow) };
				});
				for (const r of clients) {
					const cats = await q.categoriesOf(this.db, r.club_id, [r.id]);
					ctx.emit("clients.updated", { clubId: r.club_id, client: toClient(r, cats.get(r.id)) });
				}
				return { ...toProfile(profile), linkedClients: clients.length };
			},
		},
	},
});
