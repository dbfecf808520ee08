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
import { defineService, type AppService } from "../../lib/service";
import { DbMixin, type DbMembers } from "../../mixins/db.mixin";
import { OutboxMixin, type OutboxMembers } from "../../mixins/outbox.mixin";
import { ConflictError, NotFoundError, UnauthorizedError, invalid } from "../../lib/errors";
import { created, noContent, type HttpMeta } from "../../lib/http";
import { listParams, paginate, type Page } from "../../lib/pagination";
import { UUID_RE } from "../../lib/tenant.middleware";
import { lockClubAdmins } from "../../lib/last-admin";
import { sha256Hex } from "../../lib/hash";
import { clearedSessionCookie } from "../../lib/session-cookie";
import * as q from "./staff.queries";
import type { CountActiveAdminsAnswer, EndKeySessionsAnswer, EndKeySessionsParams, ResolveSessionAnswer, ResolveSessionParams, Role } from "./staff.contract";
import { PASSWORD_MAX, PASSWORD_MIN, hashPassword, isCommonPassword } from "./staff.passwords";
import { MembersMixin, toMember, type MembersMembers, type StaffMember } from "./staff.members";
import { FAILURE_WINDOW_MINUTES, MAX_FAILURES, NO_STORE, SessionsMixin, asActor, targetOf, type SessionMeta, type SessionsMembers, type SessionsState } from "./staff.sessions";

export type StaffThis = AppService & DbMembers & OutboxMembers & MembersMembers & SessionsMembers & SessionsState;

const ROLES = ["admin", "staff", "viewer"] as const;
/** An audit entry's `{ field: [before, after] }`. */
type Changes = Record<string, [unknown, unknown]>;

const memberEntity = ref("StaffMember");
const invitedEntity = ref("StaffInvited");
const sessionEntity = ref("Session");
const err = (description: string) => ({ description, schema: { $ref: "#/components/schemas/Error" } });

const emailRule = { type: "email", normalize: true, max: 254 } as const;

const StaffService = defineService<StaffThis>({
	name: "staff",
	mixins: [DbMixin({ schema: "staff" }), OutboxMixin(), MembersMixin, SessionsMixin],
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
			async handler(ctx: Context<{ name: string; email: string; role: Role }, SessionMeta>) {
				const clubId = ctx.meta.clubId;
				const id = crypto.randomUUID();
				try {
					return await this.db.transaction(async trx => {
						const row = await q.insertMember(trx, { id, club_id: clubId, name: ctx.params.name, email: ctx.params.email, role: ctx.params.role, status: "invited" });
						const invitation = await this.issueInvitation(trx, clubId, id);
						const changes: Changes = Object.fromEntries((["name", "email", "role", "status"] as const).map(f => [f, [null, row[f]]]));
						await this.recordChange(trx, ctx, { action: "staff.create", target: { type: "staff", id }, changes });
						ctx.meta.$responseHeaders = { ...NO_STORE };
						return created(ctx, { ...toMember(row), invitation }, `/api/v1/staff/${id}`);
					});
				} catch (e) {
					if (!q.isUniqueViolation(e, "members_club_email_key")) throw e;
					const existing = await q.findMemberByEmail(this.db, clubId, ctx.params.email);
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
			async handler(ctx: Context<{ id: string }, SessionMeta>) {
				const clubId = ctx.meta.clubId;
				if (!UUID_RE.test(ctx.params.id)) throw new NotFoundError("Staff member");
				const { body, ended } = await this.db.transaction(async trx => {
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
			async handler(ctx: Context<{ token: string; password: string }, SessionMeta>) {
				const tokenHash = sha256Hex(ctx.params.token);
				// The cheap lookup first: an unknown token never costs a password hash.
				if (!(await q.findOpenInvitation(this.db, tokenHash))) throw new NotFoundError("Invitation");
				if (isCommonPassword(ctx.params.password)) {
					throw new Errors.ValidationError("This password is too common: choose another", "WEAK_PASSWORD", [
						{ field: "password", type: "weakPassword", message: "The 'password' is one of the most common passwords." },
					]);
				}
				const passwordHash = await hashPassword(ctx.params.password);
				const row = await this.db.transaction(async trx => {
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
			async handler(ctx: Context<{ limit?: number; cursor?: string; status?: q.Status; role?: Role }, SessionMeta>): Promise<Page<StaffMember>> {
				const query = q.membersOfClub(this.db, ctx.meta.clubId, { status: ctx.params.status, role: ctx.params.role });
				return paginate(query, { limit: ctx.params.limit, cursor: ctx.params.cursor }, toMember);
			},
		},

		/** One member of the club. */
		get: {
			rest: "GET /staff/:id",
			auth: "admin",
			params: { $$strict: true, id: { type: "string", min: 1, max: 64 } },
			openapi: { summary: "A staff member", tags: ["staff"], responses: { "200": { description: "The member", schema: memberEntity } } },
			async handler(ctx: Context<{ id: string }, SessionMeta>) {
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
			async handler(ctx: Context<{ id: string; name?: string; role?: Role; status?: "active" | "disabled" }, SessionMeta>) {
				const clubId = ctx.meta.clubId;
				const { id, name, role, status } = ctx.params;
				if (!UUID_RE.test(id)) throw new NotFoundError("Staff member");
				const { row, ended } = await this.db.transaction(async trx => {
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
					const changes: Changes = Object.fromEntries(
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
			async handler(ctx: Context<{ email?: string; password?: string; club?: string; apiKey?: string }, SessionMeta>) {
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
			async handler(ctx: Context<unknown, SessionMeta>) {
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
			async handler(ctx: Context<unknown, SessionMeta>) {
				const hash = ctx.meta.sessionHash;
				const ended = hash
					? await this.db.transaction(async trx => {
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
			async handler(ctx: Context<ResolveSessionParams>): Promise<ResolveSessionAnswer> {
				const row = await q.useSession(this.db, ctx.params.tokenHash, this.idleMinutes);
				if (Math.random() < 0.001) void q.pruneIdleSessions(this.db, this.idleMinutes).catch(() => undefined);
				return row ? this.identityOf(row) : null;
			},
		},

		/** Internal (clubs, LAST_ADMIN): the club's active admin members (committed). */
		countActiveAdmins: {
			visibility: "public",
			params: {},
			async handler(ctx: Context<unknown, HttpMeta>): Promise<CountActiveAdminsAnswer> {
				return q.countActiveAdmins(this.db, ctx.meta.clubId);
			},
		},

		/** Internal (clubs): a revoked key's sessions end on every node. */
		endKeySessions: {
			visibility: "public",
			params: { keyId: { type: "string", length: 36 } },
			async handler(ctx: Context<EndKeySessionsParams, HttpMeta>): Promise<EndKeySessionsAnswer> {
				await this.forgetSessions(ctx, await q.endKeySessions(this.db, ctx.meta.clubId, ctx.params.keyId));
				return true;
			},
		},
	},

	events: {
		/** Backup of clubs' direct call (staff was unreachable then): the revoked key's sessions end. */
		"clubs.apiKeyRevoked": {
			params: { keyHash: "string", keyId: { type: "string", optional: true }, clubId: { type: "string", optional: true } },
			async handler(ctx: Context<{ keyId?: string; clubId?: string }>) {
				const { keyId, clubId } = ctx.params;
				if (!keyId || !clubId || !UUID_RE.test(keyId) || !UUID_RE.test(clubId)) return;
				const ended = await q.endKeySessions(this.db, clubId, keyId);
				if (ended.length) await this.forgetSessions(ctx, ended);
			},
		},
	},

	// Methods: staff.members.ts (invitations, LAST_ADMIN) and staff.sessions.ts (sign-in, sessions).
});

export default StaffService;
