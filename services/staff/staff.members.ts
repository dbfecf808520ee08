/**
 * Staff members as the API shows them, and what the member actions share (a mixin of the staff
 * service): invitations (also the password reset) and the LAST_ADMIN rule (lib/last-admin.ts).
 */
import crypto from "node:crypto";
import type { Knex } from "knex";
import type { Context } from "moleculer";
import { defineMixin } from "../../lib/service";
import { sha256Hex } from "../../lib/hash";
import { countUnderAdminLock, lastAdminError } from "../../lib/last-admin";
import type { HttpMeta } from "../../lib/http";
import * as q from "./staff.queries";
import { newToken } from "./staff.passwords";
import type { Role } from "./staff.contract";
import type { StaffThis } from "./staff.service";

export interface StaffMember {
	id: string;
	name: string;
	email: string;
	role: Role;
	status: q.Status;
	lastSignInAt: string | null;
	createdAt: string;
	updatedAt: string;
}

const INVITATION_DAYS = 7;

export const toMember = (r: q.MemberRow): StaffMember => ({
	id: r.id,
	name: r.name,
	email: r.email,
	role: r.role,
	status: r.status,
	lastSignInAt: r.last_sign_in_at ? r.last_sign_in_at.toISOString() : null,
	createdAt: r.created_at.toISOString(),
	updatedAt: r.updated_at.toISOString(),
});

/** What MembersMixin gives the staff service's `this`. */
export interface MembersMembers {
	/** A new invitation of the member (the token is in this answer only), valid INVITATION_DAYS. */
	issueInvitation(trx: Knex.Transaction, clubId: string, memberId: string): Promise<{ token: string; expiresAt: string }>;
	/** LAST_ADMIN unless another active admin member or an admin key remains (the caller holds lockClubAdmins). */
	assertAnotherAdmin(ctx: Context<unknown, HttpMeta>, trx: Knex.Transaction, clubId: string, exceptId: string): Promise<void>;
}

export const MembersMixin = defineMixin<StaffThis>({
	methods: {
		async issueInvitation(trx: Knex.Transaction, clubId: string, memberId: string) {
			const token = newToken();
			const expiresAt = new Date(Date.now() + INVITATION_DAYS * 86_400_000);
			await q.insertInvitation(trx, { id: crypto.randomUUID(), club_id: clubId, member_id: memberId, token_hash: sha256Hex(token), expires_at: expiresAt });
			return { token, expiresAt: expiresAt.toISOString() };
		},

		async assertAnotherAdmin(ctx: Context<unknown, HttpMeta>, trx: Knex.Transaction, clubId: string, exceptId: string) {
			if ((await q.countActiveAdmins(trx, clubId, exceptId)) > 0) return;
			// Asked under the club's admin lock: its answer decides the write (lib/last-admin.ts).
			const keys = await countUnderAdminLock(ctx, "clubs.countAdminKeys", clubId);
			if (keys === 0) throw lastAdminError();
		},
	},
});
