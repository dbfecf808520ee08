/**
 * Staff members (the people of a club who sign in), their invitations and sessions, and the
 * sign-in throttle. API keys stay with `clubs`; a session may also be opened with an API key
 * (the console's first sign-in). The gateway (services/api/session-auth.ts) turns the
 * session cookie into the same identity a key gives, through `staff.resolveSession`.
 *
 * Secrets: passwords as argon2id, invitation and session tokens only as SHA-256, never
 * logged, never in an error. Wrong e-mail and wrong password answer the same 401 after the
 * same work (one password verification). Ending sessions (disable, re-invite, role change,
 * sign-out, key revocation) reaches every gateway node before the change is answered.
 */
import { pageOf, ref } from "../../lib/openapi";
import crypto from "node:crypto";
import type { Context } from "moleculer";
import { Errors } from "moleculer";
import { defineService } from "../../lib/service";
import { DbMixin } from "../../mixins/db.mixin";
import { OutboxMixin, type ChangeEntry } from "../../mixins/outbox.mixin";
import { ConflictError, NotFoundError, UnauthorizedError, invalid } from "../../lib/errors";
import { created, noContent, type HttpMeta } from "../../lib/http";
import { listParams, paginate, type Page } from "../../lib/pagination";
import { UUID_RE } from "../../lib/tenant.middleware";
import { lastAdminError, lockClubAdmins } from "../../lib/last-admin";
import { tellEveryGateway } from "../../lib/gateways";
import { readEnv } from "../../moleculer.config";
import { sha256Hex } from "../../lib/hash";
import * as q from "./staff.queries";
import { clearedSessionCookie, sessionCookie, type Actor, type Role, type SessionIdentity } from "./staff.types";
import { PASSWORD_MAX, PASSWORD_MIN, hashPassword, isCommonPassword, newToken, verifyNothing, verifyPassword } from "./staff.passwords";

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

/** The gateway's additions to ctx.meta for the session routes. */
export interface SessionMeta extends HttpMeta {
	https?: boolean;
	sessionHash?: string;
	sessionId?: string;
	actor?: Actor;
}

const INVITATION_DAYS = 7;
export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MINUTES = 15;

const ROLES = ["admin", "staff", "viewer"] as const;
/** Answers that carry a secret (an invitation token, a session cookie) are never cached. */
const NO_STORE = { "Cache-Control": "no-store" };

const toMember = (r: q.MemberRow): StaffMember => ({
	id: r.id,
	name: r.name,
	email: r.email,
	role: r.role,
	status: r.status,
	lastSignInAt: r.last_sign_in_at ? r.last_sign_in_at.toISOString() : null,
	createdAt: r.created_at.toISOString(),
	updatedAt: r.updated_at.toISOString(),
});

/**
 * The context a change is recorded under when the request itself carries no actor (the
 * public sign-in, sign-out and accept routes): the person or key it was about, in its club.
 */
function asActor(ctx: Context<any, any>, actor: Actor, clubId: string): Context<any, any> {
	return { meta: { ...ctx.meta, actor, clubId }, requestID: ctx.requestID, caller: ctx.caller, nodeID: ctx.nodeID } as unknown as Context<any, any>;
}

const targetOf = (actor: Actor): ChangeEntry["target"] => (actor.type === "key" ? { type: "apiKey", id: actor.id } : { type: "staff", id: actor.id });

const invalidCredentials = () => new UnauthorizedError("Wrong e-mail or password", "INVALID_CREDENTIALS");

/** 429 with data.retryAfter (the gateway's Retry-After header; the data survives the transporter). */
const tooManyAttempts = (retryAfter: number) =>
	Object.assign(new Errors.MoleculerClientError(`Too many failed sign-ins for this e-mail; retry in ${retryAfter} s`, 429, "TOO_MANY_ATTEMPTS", { retryAfter }), { retryAfter });

const memberEntity = ref("StaffMember");
const invitedEntity = ref("StaffInvited");
const sessionEntity = ref("Session");
const err = (description: string) => ({ description, schema: { $ref: "#/components/schemas/Error" } });

const emailRule = { type: "email", normalize: true, max: 254 } as const;

const StaffService = defineService({
	name: "staff",
	mixins: [DbMixin({ schema: "staff" }), OutboxMixin()],
	settings: { rest: "/" },

	actions: {
		/** Invites a person: the member (invited) and a token shown once, valid 7 days. */
		create: {
			rest: "POST /staff",
			auth: "admin",
			params: {
				$$strict: true,
				name: { type: "string", trim: true, min: 1, max: 200 },
				email: emailRule,
				role: { type: "enum", values: ROLES },
			},
			openapi: {
				summary: "Invite a staff member (the invitation token is shown once)",
				tags: ["staff"],
				responses: {
					"201": { description: "The member, invited, with its invitation (no e-mail is sent: hand the token over)", schema: invitedEntity },
					"409": err("STAFF_EXISTS: the e-mail is already a member of this club (data: { staffId })"),
				},
			},
			async handler(this: any, ctx: Context<{ name: string; email: string; role: Role }, SessionMeta>) {
				const clubId = ctx.meta.clubId;
				const id = crypto.randomUUID();
				try {
					return await this.db.transaction(async (trx: any) => {
						const row = await q.insertMember(trx, { id, club_id: clubId, name: ctx.params.name, email: ctx.params.email, role: ctx.params.role, status: "invited" });
						const invitation = await this.issueInvitation(trx, clubId, id);
						const changes = Object.fromEntries((["name", "email", "role", "status"] as const).map(f => [f, [null, row[f]]]));
						await this.recordChange(trx, ctx, { action: "staff.create", target: { type: "staff", id }, changes });
						ctx.meta.$responseHeaders = { ...NO_STORE };
						return created(ctx, { ...toMember(row), invitation }, `/api/v1/staff/${id}`);
					});
				} catch (e) {
					if (!q.isUniqueViolation(e, "members_club_email_key")) throw e;
					const existing = await q.membersOfClub(this.db, clubId).where({ email: ctx.params.email }).first();
					throw new ConflictError("STAFF_EXISTS", "A staff member of this club already has this e-mail", { staffId: existing?.id });
				}
			},
		},

		/** A new invitation: also the password reset. The old token, the password and every session of the member end. */
		invite: {
			rest: "POST /staff/:id/invitation",
			auth: "admin",
			params: { $$strict: true, id: { type: "string", min: 1, max: 64 } },
			openapi: {
				summary: "Re-invite a member (password reset): a new token; the old one, the password and every session end",
				tags: ["staff"],
				responses: { "201": { description: "The member with its new invitation (shown once)", schema: invitedEntity } },
			},
			async handler(this: any, ctx: Context<{ id: string }, SessionMeta>) {
				const clubId = ctx.meta.clubId;
				if (!UUID_RE.test(ctx.params.id)) throw new NotFoundError("Staff member");
				const { body, ended } = await this.db.transaction(async (trx: any) => {
					const member = await q.lockMember(trx, clubId, ctx.params.id);
					if (!member) throw new NotFoundError("Staff member");
					await q.endInvitations(trx, clubId, member.id);
					const row = member.password_hash ? await q.updateMember(trx, clubId, member.id, { password_hash: null }) : member;
					const ended = await q.endMemberSessions(trx, clubId, member.id);
					const invitation = await this.issueInvitation(trx, clubId, member.id);
					await this.recordChange(trx, ctx, { action: "staff.invite", target: { type: "staff", id: member.id }, changes: null });
					return { body: { ...toMember(row), invitation }, ended };
				});
				await this.forgetSessions(ctx, ended);
				ctx.meta.$responseHeaders = { ...NO_STORE };
				return created(ctx, body, `/api/v1/staff/${body.id}`);
			},
		},

		/** The invited person sets a password with the token: the member is active (a disabled one stays disabled). */
		accept: {
			rest: "POST /staff/accept",
			auth: "public",
			tenant: false,
			params: {
				$$strict: true,
				token: { type: "string", min: 1, max: 256 },
				password: { type: "string", min: PASSWORD_MIN, max: PASSWORD_MAX },
			},
			openapi: {
				summary: "Accept an invitation: set the password",
				description: `The password has ${PASSWORD_MIN} to ${PASSWORD_MAX} characters and is not one of the ~49,000 most common passwords (422 WEAK_PASSWORD). The token is single-use.`,
				tags: ["staff"],
				responses: {
					"200": { description: "The member, now active", schema: memberEntity },
					"404": err("NOT_FOUND: unknown, used or expired token"),
					"422": err("VALIDATION_ERROR, or WEAK_PASSWORD: a common password"),
				},
			},
			async handler(this: any, ctx: Context<{ token: string; password: string }, SessionMeta>) {
				const tokenHash = sha256Hex(ctx.params.token);
				// The cheap lookup first: an unknown token never costs a password hash.
				if (!(await q.findOpenInvitation(this.db, tokenHash))) throw new NotFoundError("Invitation");
				if (isCommonPassword(ctx.params.password)) {
					throw new Errors.ValidationError("This password is too common: choose another", "WEAK_PASSWORD", [
						{ field: "password", type: "weakPassword", message: "The 'password' is one of the most common passwords." },
					]);
				}
				const passwordHash = await hashPassword(ctx.params.password);
				const row = await this.db.transaction(async (trx: any) => {
					const inv = await q.findOpenInvitation(trx, tokenHash);
					const used = inv && (await q.consumeInvitation(trx, inv.id));
					if (!used) throw new NotFoundError("Invitation");
					const member = await q.lockMember(trx, used.club_id, used.member_id);
					if (!member) throw new NotFoundError("Invitation");
					const row = await q.updateMember(trx, used.club_id, member.id, { password_hash: passwordHash, status: member.status === "disabled" ? "disabled" : "active" });
					const self = asActor(ctx, { type: "staff", id: row.id, name: row.name }, row.club_id);
					await this.recordChange(trx, self, { action: "staff.accept", target: { type: "staff", id: row.id }, changes: row.status === member.status ? null : { status: [member.status, row.status] } });
					return row;
				});
				return toMember(row);
			},
		},

		/** The club's staff members, newest first. */
		list: {
			rest: "GET /staff",
			auth: "admin",
			params: {
				$$strict: true,
				...listParams,
				status: { type: "enum", values: ["invited", "active", "disabled"], optional: true },
				role: { type: "enum", values: ROLES, optional: true },
			},
			openapi: {
				summary: "List staff members",
				tags: ["staff"],
				responses: { "200": { description: "A page of members", schema: pageOf("StaffMember") } },
			},
			async handler(this: any, ctx: Context<{ limit?: number; cursor?: string; status?: q.Status; role?: Role }, SessionMeta>): Promise<Page<StaffMember>> {
				const query = q.membersOfClub(this.db, ctx.meta.clubId);
				if (ctx.params.status) query.where({ status: ctx.params.status });
				if (ctx.params.role) query.where({ role: ctx.params.role });
				return paginate(query, { limit: ctx.params.limit, cursor: ctx.params.cursor }, toMember);
			},
		},

		/** One member of the club. */
		get: {
			rest: "GET /staff/:id",
			auth: "admin",
			params: { $$strict: true, id: { type: "string", min: 1, max: 64 } },
			openapi: { summary: "A staff member", tags: ["staff"], responses: { "200": { description: "The member", schema: memberEntity } } },
			async handler(this: any, ctx: Context<{ id: string }, SessionMeta>) {
				const row = UUID_RE.test(ctx.params.id) ? await q.findMember(this.db, ctx.meta.clubId, ctx.params.id) : undefined;
				if (!row) throw new NotFoundError("Staff member");
				return toMember(row);
			},
		},

		/** Renames, re-roles, disables or re-enables a member; a role change or disabling ends every session at once. */
		update: {
			rest: "PATCH /staff/:id",
			auth: "admin",
			params: {
				$$strict: true,
				id: { type: "string", min: 1, max: 64 },
				name: { type: "string", trim: true, min: 1, max: 200, optional: true },
				role: { type: "enum", values: ROLES, optional: true },
				status: { type: "enum", values: ["active", "disabled"], optional: true },
			},
			openapi: {
				summary: "Update a staff member (name, role, status)",
				description: "`status: active` re-enables a disabled member (invited again if it never set a password). A role change or disabling ends the member's sessions on every node.",
				tags: ["staff"],
				responses: {
					"200": { description: "The member", schema: memberEntity },
					"409": err("LAST_ADMIN: the club would keep neither an admin API key nor an active admin member"),
				},
			},
			async handler(this: any, ctx: Context<{ id: string; name?: string; role?: Role; status?: "active" | "disabled" }, SessionMeta>) {
				const clubId = ctx.meta.clubId;
				const { id, name, role, status } = ctx.params;
				if (!UUID_RE.test(id)) throw new NotFoundError("Staff member");
				const { row, ended } = await this.db.transaction(async (trx: any) => {
					if (role !== undefined || status !== undefined) await lockClubAdmins(trx, clubId);
					const member = await q.lockMember(trx, clubId, id);
					if (!member) throw new NotFoundError("Staff member");
					const patch: Parameters<typeof q.updateMember>[3] = {};
					if (name !== undefined) patch.name = name;
					if (role !== undefined) patch.role = role;
					if (status === "disabled") patch.status = "disabled";
					if (status === "active" && member.status === "disabled") patch.status = member.password_hash ? "active" : "invited";
					const nextRole = patch.role ?? member.role;
					const nextStatus = patch.status ?? member.status;
					if (member.role === "admin" && member.status === "active" && (nextRole !== "admin" || nextStatus !== "active")) {
						await this.assertAnotherAdmin(ctx, trx, clubId, member.id);
					}
					const changes = Object.fromEntries(
						(["name", "role", "status"] as const).filter(f => patch[f] !== undefined && patch[f] !== member[f]).map(f => [f, [member[f], patch[f]]]),
					);
					if (!Object.keys(changes).length) return { row: member, ended: [] };
					const row = await q.updateMember(trx, clubId, id, patch);
					await this.recordChange(trx, ctx, { action: "staff.update", target: { type: "staff", id }, changes });
					const endsSessions = nextRole !== member.role || (nextStatus === "disabled" && member.status !== "disabled");
					return { row, ended: endsSessions ? await q.endMemberSessions(trx, clubId, id) : [] };
				});
				await this.forgetSessions(ctx, ended);
				return toMember(row);
			},
		},

		/** Signs in with e-mail and password (or with an API key): the session cookie. */
		signIn: {
			rest: "POST /session",
			auth: "public",
			tenant: false,
			session: true,
			params: {
				$$strict: true,
				email: { ...emailRule, optional: true },
				password: { type: "string", min: 1, max: 1024, optional: true },
				club: { type: "string", min: 1, max: 200, optional: true, description: "The club's id (or name) when the e-mail signs in to several clubs" },
				apiKey: { type: "string", min: 1, max: 512, optional: true },
			},
			openapi: {
				summary: "Sign in: { email, password, club? } or { apiKey }",
				description:
					"Sets `clubhouse_session` (HttpOnly, SameSite=Strict, Path=/, Secure over https). The cookie then authenticates every /api/v1 route like a key of the session's role; " +
					`it ends after SESSION_IDLE_MINUTES without use. After ${MAX_FAILURES} failed sign-ins for one e-mail within ${FAILURE_WINDOW_MINUTES} minutes: 429 with Retry-After, even with the right password.`,
				tags: ["session"],
				requestExample: { email: "marta@mypadelclub.example", password: "correct horse battery staple" },
				responses: {
					"200": { description: "Signed in", schema: sessionEntity },
					"401": err("INVALID_CREDENTIALS: wrong e-mail or password (the same answer for both), or an unknown key"),
					"403": err("CSRF: the Origin header names another site"),
					"409": err("CLUB_REQUIRED: the e-mail belongs to several clubs; data: { clubs: [{ id, name }] }"),
					"429": err("TOO_MANY_ATTEMPTS: too many failures for this e-mail (Retry-After)"),
				},
			},
			async handler(this: any, ctx: Context<{ email?: string; password?: string; club?: string; apiKey?: string }, SessionMeta>) {
				const { email, password, club, apiKey } = ctx.params;
				if (apiKey !== undefined) {
					if (email !== undefined || password !== undefined || club !== undefined) {
						throw invalid({ field: "apiKey", type: "exclusive", message: "Send either { email, password, club? } or { apiKey }." });
					}
					return this.signInWithKey(ctx, apiKey);
				}
				const missing = (["email", "password"] as const).filter(f => ctx.params[f] === undefined);
				if (missing.length) throw invalid(missing.map(f => ({ field: f, type: "required", message: `The '${f}' field is required.` })));
				return this.signInWithPassword(ctx, email!, password!, club);
			},
		},

		/** Who this session (or key) is. */
		currentSession: {
			rest: "GET /session",
			auth: "viewer",
			params: { $$strict: true },
			openapi: { summary: "The current session", tags: ["session"], responses: { "200": { description: "The session (expiresAt null for a key sent as Bearer)", schema: sessionEntity } } },
			async handler(this: any, ctx: Context<unknown, SessionMeta>) {
				const clubId = ctx.meta.clubId;
				const club = await ctx.call("clubs.get", {});
				if (ctx.meta.sessionId) {
					const row = await q.findSession(this.db, clubId, ctx.meta.sessionId);
					if (!row) throw new UnauthorizedError("The session has ended", "UNAUTHORIZED");
					return this.sessionBody(club, row);
				}
				return { club, role: ctx.meta.role, actor: ctx.meta.actor, expiresAt: null };
			},
		},

		/** Signs out: the session ends on every node and the cookie is cleared (204 even when there was none). */
		signOut: {
			rest: "DELETE /session",
			auth: "public",
			tenant: false,
			session: true,
			params: { $$strict: true },
			openapi: { summary: "Sign out", tags: ["session"], responses: { "204": { description: "Signed out" }, "403": err("CSRF: the Origin header names another site") } },
			async handler(this: any, ctx: Context<unknown, SessionMeta>) {
				const hash = ctx.meta.sessionHash;
				const ended = hash
					? await this.db.transaction(async (trx: any) => {
							const row = await q.endSessionByHash(trx, hash);
							if (!row) return [];
							const actor = await this.actorOfSession(trx, row);
							await this.recordChange(trx, asActor(ctx, actor, row.club_id), { action: "staff.signOut", target: targetOf(actor) });
							return [row.token_hash];
						})
					: [];
				await this.forgetSessions(ctx, ended);
				ctx.meta.$responseHeaders = { ...NO_STORE, "Set-Cookie": clearedSessionCookie(!!ctx.meta.https) };
				return noContent(ctx);
			},
		},

		/** Internal (gateway): the identity behind a session token's hash, touching the session; null when unknown, ended or idle too long. */
		resolveSession: {
			tenant: false,
			visibility: "public",
			params: { tokenHash: { type: "string", length: 64 } },
			async handler(this: any, ctx: Context<{ tokenHash: string }>): Promise<SessionIdentity | null> {
				const row = await q.useSession(this.db, ctx.params.tokenHash, this.idleMinutes);
				if (Math.random() < 0.001) void q.pruneIdleSessions(this.db, this.idleMinutes).catch(() => undefined);
				return row ? this.identityOf(row) : null;
			},
		},

		/** Internal (clubs, LAST_ADMIN): the club's active admin members (committed). */
		countActiveAdmins: {
			visibility: "public",
			params: {},
			async handler(this: any, ctx: Context<unknown, HttpMeta>) {
				return q.countActiveAdmins(this.db, ctx.meta.clubId);
			},
		},

		/** Internal (clubs): a revoked key's sessions end on every node. */
		endKeySessions: {
			visibility: "public",
			params: { keyId: { type: "string", length: 36 } },
			async handler(this: any, ctx: Context<{ keyId: string }, HttpMeta>) {
				await this.forgetSessions(ctx, await q.endKeySessions(this.db, ctx.meta.clubId, ctx.params.keyId));
				return true;
			},
		},
	},

	events: {
		/** Backup of clubs' direct call (staff was unreachable then): the revoked key's sessions end. */
		"clubs.apiKeyRevoked": {
			params: { keyHash: "string", keyId: { type: "string", optional: true }, clubId: { type: "string", optional: true } },
			async handler(this: any, ctx: Context<{ keyId?: string; clubId?: string }>) {
				const { keyId, clubId } = ctx.params;
				if (!keyId || !clubId || !UUID_RE.test(keyId) || !UUID_RE.test(clubId)) return;
				const ended = await q.endKeySessions(this.db, clubId, keyId);
				if (ended.length) await this.forgetSessions(ctx, ended);
			},
		},
	},

	methods: {
		async issueInvitation(this: any, trx: any, clubId: string, memberId: string) {
			const token = newToken();
			const expiresAt = new Date(Date.now() + INVITATION_DAYS * 86_400_000);
			await q.insertInvitation(trx, { id: crypto.randomUUID(), club_id: clubId, member_id: memberId, token_hash: sha256Hex(token), expires_at: expiresAt });
			return { token, expiresAt: expiresAt.toISOString() };
		},

		/** LAST_ADMIN unless another active admin member or an admin key remains (the caller holds lockClubAdmins). */
		async assertAnotherAdmin(this: any, ctx: Context<unknown, HttpMeta>, trx: any, clubId: string, exceptId: string) {
			if ((await q.countActiveAdmins(trx, clubId, exceptId)) > 0) return;
			const keys = (await ctx.call("clubs.countAdminKeys", {}, { meta: { clubId } })) as number;
			if (keys === 0) throw lastAdminError();
		},

		/** Every gateway drops these sessions before we answer. */
		async forgetSessions(this: any, ctx: Context, tokenHashes: string[]) {
			if (tokenHashes.length) await tellEveryGateway(ctx, "api.forgetSessions", { tokenHashes }, "staff.sessionsEnded");
		},

		/** The candidates of one club, named by its id (as CLUB_REQUIRED lists it) or, case-insensitively, by its name. */
		async inClub(this: any, ctx: Context, candidates: q.MemberRow[], club: string): Promise<q.MemberRow[]> {
			if (UUID_RE.test(club)) return candidates.filter(m => m.club_id === club.toLowerCase());
			const named = await Promise.all(candidates.map(async m => ((await this.clubOf(ctx, m.club_id)).name.toLowerCase() === club.trim().toLowerCase() ? m : null)));
			return named.filter((m): m is q.MemberRow => m !== null);
		},

		async clubOf(this: any, ctx: Context, clubId: string): Promise<{ id: string; name: string }> {
			return (await ctx.call("clubs.get", {}, { meta: { clubId } })) as { id: string; name: string };
		},

		/** Who an ended session spoke for. */
		async actorOfSession(this: any, trx: any, row: q.SessionRow): Promise<Actor> {
			if (row.key_id) return { type: "key", id: row.key_id, name: row.key_name ?? "" };
			const m = await q.findMember(trx, row.club_id, row.member_id!);
			return { type: "staff", id: row.member_id!, name: m?.name ?? "" };
		},

		identityOf(this: any, row: q.LiveSession): SessionIdentity {
			const actor: Actor = row.member_id ? { type: "staff", id: row.member_id, name: row.name } : { type: "key", id: row.key_id!, name: row.name };
			return { sessionId: row.id, clubId: row.club_id, role: row.role, keyId: actor.id, actor, expiresAt: this.expiresAt(row.last_used_at) };
		},

		expiresAt(this: any, lastUsed: Date): string {
			return new Date(lastUsed.getTime() + this.idleMinutes * 60_000).toISOString();
		},

		sessionBody(this: any, club: unknown, row: q.LiveSession) {
			const { role, actor, expiresAt } = this.identityOf(row) as SessionIdentity;
			return { club, role, actor, expiresAt };
		},

		/** Opens the session, sets the cookie and answers its shape. */
		async openSession(this: any, ctx: Context<unknown, SessionMeta>, row: Pick<q.SessionRow, "club_id" | "member_id" | "key_id" | "key_name" | "key_role">) {
			const token = newToken();
			const live = await this.db.transaction(async (trx: any) => {
				const session = await q.insertSession(trx, { id: crypto.randomUUID(), token_hash: sha256Hex(token), ...row });
				if (row.member_id) await q.markSignedIn(trx, row.club_id, row.member_id);
				const live = (await q.findSession(trx, row.club_id, session.id))!;
				const { actor } = this.identityOf(live) as SessionIdentity;
				await this.recordChange(trx, asActor(ctx, actor, row.club_id), { action: "staff.signIn", target: targetOf(actor) });
				return live;
			});
			const club = await this.clubOf(ctx, row.club_id);
			ctx.meta.$responseHeaders = { ...NO_STORE, "Set-Cookie": sessionCookie(token, !!ctx.meta.https) };
			return this.sessionBody(club, live);
		},

		async signInWithKey(this: any, ctx: Context<unknown, SessionMeta>, apiKey: string) {
			const key = (await ctx.call("clubs.resolveKey", { keyHash: sha256Hex(apiKey) })) as { keyId: string; clubId: string; role: Role; name?: string } | null;
			if (!key) throw invalidCredentials();
			return this.openSession(ctx, { club_id: key.clubId, member_id: null, key_id: key.keyId, key_name: key.name ?? "API key", key_role: key.role });
		},

		/**
		 * Throttle first (durable, per e-mail, across nodes), then one verification per
		 * candidate membership (a dummy one when there is none), so an unknown e-mail and a
		 * wrong password cost the same and answer the same.
		 */
		async signInWithPassword(this: any, ctx: Context<unknown, SessionMeta>, email: string, password: string, club?: string) {
			const attempt = await q.claimAttempt(this.db, sha256Hex(email), MAX_FAILURES, FAILURE_WINDOW_MINUTES);
			if (!attempt.allowed) throw tooManyAttempts(attempt.retryAfter);
			if (Math.random() < 0.01) void q.pruneFailures(this.db, FAILURE_WINDOW_MINUTES).catch(() => undefined);
			let candidates: q.MemberRow[] = await q.signInCandidates(this.db, email);
			if (club !== undefined) candidates = await this.inClub(ctx, candidates, club);
			const matched: q.MemberRow[] = [];
			if (!candidates.length) await verifyNothing(password);
			for (const m of candidates) if (await verifyPassword(m.password_hash!, password)) matched.push(m);
			if (!matched.length) {
				// A failed sign-in is kept in the trail of each club whose member was tried (an unknown e-mail has no club).
				for (const m of candidates) {
					await this.recordChange(this.db, asActor(ctx, { type: "staff", id: m.id, name: m.name }, m.club_id), { action: "staff.signInFailed", target: { type: "staff", id: m.id } });
				}
				throw invalidCredentials();
			}
			await q.releaseAttempt(this.db, attempt.id);
			if (matched.length > 1) {
				const clubs = await Promise.all(matched.map(async m => {
					const c = await this.clubOf(ctx, m.club_id);
					return { id: c.id, name: c.name };
				}));
				throw new ConflictError("CLUB_REQUIRED", "This e-mail signs in to several clubs: say which one in 'club'", { clubs });
			}
			const m = matched[0];
			return this.openSession(ctx, { club_id: m.club_id, member_id: m.id, key_id: null, key_name: null, key_role: null });
		},
	},

	created(this: any) {
		this.idleMinutes = readEnv().sessionIdleMinutes;
	},
});

export default StaffService;
