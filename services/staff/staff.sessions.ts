/**
 * Sign-in sessions (a mixin of the staff service): opening one (e-mail and password, or an API
 * key), who a session speaks for, and ending sessions on every gateway before the change that
 * ends them is answered. The gateway's half is services/api/session-auth.ts.
 */
import crypto from "node:crypto";
import type { Knex } from "knex";
import { Errors, type Context } from "moleculer";
import { defineMixin } from "../../lib/service";
import { ConflictError, UnauthorizedError } from "../../lib/errors";
import { sha256Hex } from "../../lib/hash";
import type { HttpMeta } from "../../lib/http";
import { tellEveryGateway } from "../../lib/gateways";
import { sessionCookie } from "../../lib/session-cookie";
import { UUID_RE } from "../../lib/tenant.middleware";
import { readEnv } from "../../moleculer.config";
import type { ChangeEntry } from "../../mixins/outbox.mixin";
import type { Club, ResolveKeyAnswer, ResolveKeyParams } from "../clubs/clubs.contract";
import * as q from "./staff.queries";
import { newToken, verifyNothing, verifyPassword } from "./staff.passwords";
import type { Actor, Role, SessionIdentity } from "./staff.contract";
import type { StaffThis } from "./staff.service";

export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MINUTES = 15;

/** Answers that carry a secret (an invitation token, a session cookie) are never cached. */
export const NO_STORE = { "Cache-Control": "no-store" };

/** The gateway's additions to ctx.meta for the session routes. */
export interface SessionMeta extends HttpMeta {
	https?: boolean;
	sessionHash?: string;
	sessionId?: string;
	actor?: Actor;
}

/** GET /session's answer (and sign-in's). */
export interface SessionBody {
	club: unknown;
	role: Role;
	actor: Actor;
	expiresAt: string | null;
}

/**
 * The context a change is recorded under when the request itself carries no actor (the
 * public sign-in, sign-out and accept routes): the person or key it was about, in its club.
 */
export function asActor(ctx: Context<any, any>, actor: Actor, clubId: string): Context<any, any> {
	return { meta: { ...ctx.meta, actor, clubId }, requestID: ctx.requestID, caller: ctx.caller, nodeID: ctx.nodeID } as unknown as Context<any, any>;
}

export const targetOf = (actor: Actor): ChangeEntry["target"] => (actor.type === "key" ? { type: "apiKey", id: actor.id } : { type: "staff", id: actor.id });

const invalidCredentials = () => new UnauthorizedError("Wrong e-mail or password", "INVALID_CREDENTIALS");

/** 429 with data.retryAfter (the gateway's Retry-After header; the data survives the transporter). */
const tooManyAttempts = (retryAfter: number) =>
	Object.assign(new Errors.MoleculerClientError(`Too many failed sign-ins for this e-mail; retry in ${retryAfter} s`, 429, "TOO_MANY_ATTEMPTS", { retryAfter }), { retryAfter });

type SessionOf = Pick<q.SessionRow, "club_id" | "member_id" | "key_id" | "key_name" | "key_role">;

/** What SessionsMixin gives the staff service's `this`. */
export interface SessionsMembers {
	/** Every gateway drops these sessions before we answer. */
	forgetSessions(ctx: Context, tokenHashes: string[]): Promise<void>;
	/** The candidates of one club, named by its id (as CLUB_REQUIRED lists it) or, case-insensitively, by its name. */
	inClub(ctx: Context, candidates: q.MemberRow[], club: string): Promise<q.MemberRow[]>;
	clubOf(ctx: Context, clubId: string): Promise<Club>;
	/** Who an ended session spoke for. */
	actorOfSession(trx: Knex.Transaction, row: q.SessionRow): Promise<Actor>;
	identityOf(row: q.LiveSession): SessionIdentity;
	expiresAt(lastUsed: Date): string;
	sessionBody(club: unknown, row: q.LiveSession): SessionBody;
	/** Opens the session, sets the cookie and answers its shape. */
	openSession(ctx: Context<unknown, SessionMeta>, row: SessionOf): Promise<SessionBody>;
	signInWithKey(ctx: Context<unknown, SessionMeta>, apiKey: string): Promise<SessionBody>;
	signInWithPassword(ctx: Context<unknown, SessionMeta>, email: string, password: string, club?: string): Promise<SessionBody>;
}

export interface SessionsState {
	/** SESSION_IDLE_MINUTES: a session unused that long has ended. */
	idleMinutes: number;
}

export const SessionsMixin = defineMixin<StaffThis>({
	methods: {
		async forgetSessions(ctx: Context, tokenHashes: string[]) {
			if (tokenHashes.length) await tellEveryGateway(ctx, "api.forgetSessions", { tokenHashes }, "staff.sessionsEnded");
		},

		async inClub(ctx: Context, candidates: q.MemberRow[], club: string): Promise<q.MemberRow[]> {
			if (UUID_RE.test(club)) return candidates.filter(m => m.club_id === club.toLowerCase());
			const named = await Promise.all(candidates.map(async m => ((await this.clubOf(ctx, m.club_id)).name.toLowerCase() === club.trim().toLowerCase() ? m : null)));
			return named.filter((m): m is q.MemberRow => m !== null);
		},

		async clubOf(ctx: Context, clubId: string): Promise<Club> {
			return ctx.call<Club, Record<string, never>>("clubs.get", {}, { meta: { clubId } });
		},

		async actorOfSession(trx: Knex.Transaction, row: q.SessionRow): Promise<Actor> {
			if (row.key_id) return { type: "key", id: row.key_id, name: row.key_name ?? "" };
			const m = await q.findMember(trx, row.club_id, row.member_id!);
			return { type: "staff", id: row.member_id!, name: m?.name ?? "" };
		},

		identityOf(row: q.LiveSession): SessionIdentity {
			const actor: Actor = row.member_id ? { type: "staff", id: row.member_id, name: row.name } : { type: "key", id: row.key_id!, name: row.name };
			return { sessionId: row.id, clubId: row.club_id, role: row.role, keyId: actor.id, actor, expiresAt: this.expiresAt(row.last_used_at) };
		},

		expiresAt(lastUsed: Date): string {
			return new Date(lastUsed.getTime() + this.idleMinutes * 60_000).toISOString();
		},

		sessionBody(club: unknown, row: q.LiveSession): SessionBody {
			const { role, actor, expiresAt } = this.identityOf(row);
			return { club, role, actor, expiresAt };
		},

		async openSession(ctx: Context<unknown, SessionMeta>, row: SessionOf) {
			const token = newToken();
			const live = await this.db.transaction(async trx => {
				const session = await q.insertSession(trx, { id: crypto.randomUUID(), token_hash: sha256Hex(token), ...row });
				if (row.member_id) await q.markSignedIn(trx, row.club_id, row.member_id);
				const live = (await q.findSession(trx, row.club_id, session.id))!;
				const { actor } = this.identityOf(live);
				await this.recordChange(trx, asActor(ctx, actor, row.club_id), { action: "staff.signIn", target: targetOf(actor) });
				return live;
			});
			const club = await this.clubOf(ctx, row.club_id);
			ctx.meta.$responseHeaders = { ...NO_STORE, "Set-Cookie": sessionCookie(token, !!ctx.meta.https) };
			return this.sessionBody(club, live);
		},

		async signInWithKey(ctx: Context<unknown, SessionMeta>, apiKey: string) {
			const key = await ctx.call<ResolveKeyAnswer, ResolveKeyParams>("clubs.resolveKey", { keyHash: sha256Hex(apiKey) });
			if (!key) throw invalidCredentials();
			return this.openSession(ctx, { club_id: key.clubId, member_id: null, key_id: key.keyId, key_name: key.name ?? "API key", key_role: key.role });
		},

		/**
		 * Throttle first (durable, per e-mail, across nodes), then one verification per
		 * candidate membership (a dummy one when there is none), so an unknown e-mail and a
		 * wrong password cost the same and answer the same.
		 */
		async signInWithPassword(ctx: Context<unknown, SessionMeta>, email: string, password: string, club?: string) {
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
				const clubs = await Promise.all(
					matched.map(async m => {
						const c = await this.clubOf(ctx, m.club_id);
						return { id: c.id, name: c.name };
					}),
				);
				throw new ConflictError("CLUB_REQUIRED", "This e-mail signs in to several clubs: say which one in 'club'", { clubs });
			}
			const m = matched[0];
			return this.openSession(ctx, { club_id: m.club_id, member_id: m.id, key_id: null, key_name: null, key_role: null });
		},
	},

	created() {
		this.idleMinutes = readEnv().sessionIdleMinutes;
	},
});
