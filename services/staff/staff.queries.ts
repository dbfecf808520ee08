/** Pure queries of the staff schema: (db | trx, args) -> rows. */
import type { Knex } from "knex";
import { NOW } from "../../lib/sql";

import type { Role } from "./staff.contract";

type Db = Knex | Knex.Transaction;
export type { Role };
export type Status = "invited" | "active" | "disabled";

export interface MemberRow {
	id: string;
	club_id: string;
	name: string;
	email: string;
	role: Role;
	status: Status;
	password_hash: string | null;
	last_sign_in_at: Date | null;
	created_at: Date;
	updated_at: Date;
}

export interface SessionRow {
	id: string;
	club_id: string;
	token_hash: string;
	member_id: string | null;
	key_id: string | null;
	key_name: string | null;
	key_role: Role | null;
	created_at: Date;
	last_used_at: Date;
}

/** A live session with who it speaks for (member or key). */
export interface LiveSession {
	id: string;
	club_id: string;
	member_id: string | null;
	key_id: string | null;
	name: string;
	role: Role;
	last_used_at: Date;
}

export const isUniqueViolation = (err: unknown, index: string): boolean =>
	(err as { code?: string })?.code === "23505" && (err as { constraint?: string })?.constraint === index;

// ---------------------------------------------------------------- members

export const insertMember = (db: Db, row: Pick<MemberRow, "id" | "club_id" | "name" | "email" | "role" | "status">) =>
	db<MemberRow>("members").insert(row).returning("*").then(r => r[0]);

/** The club's members, filtered by status and role when given (GET /staff pages it). */
export const membersOfClub = (db: Db, clubId: string, filter: { status?: Status; role?: Role } = {}) => {
	const q = db<MemberRow>("members").where({ club_id: clubId });
	if (filter.status) q.where({ status: filter.status });
	if (filter.role) q.where({ role: filter.role });
	return q;
};

export const findMemberByEmail = (db: Db, clubId: string, email: string) => db<MemberRow>("members").where({ club_id: clubId, email }).first();

export const findMember = (db: Db, clubId: string, id: string) => db<MemberRow>("members").where({ club_id: clubId, id }).first();

export const lockMember = (trx: Knex.Transaction, clubId: string, id: string) =>
	trx<MemberRow>("members").where({ club_id: clubId, id }).forUpdate().first();

export const updateMember = (db: Db, clubId: string, id: string, patch: Partial<Pick<MemberRow, "name" | "role" | "status" | "password_hash">>) =>
	db<MemberRow>("members")
		.where({ club_id: clubId, id })
		.update({ ...patch, updated_at: db.raw(NOW) as any })
		.returning("*")
		.then(r => r[0] as MemberRow);

/** Members who may sign in with this e-mail, in every club. */
export const signInCandidates = (db: Db, email: string) =>
	db<MemberRow>("members").where({ email, status: "active" }).whereNotNull("password_hash").orderBy("created_at");

export const countActiveAdmins = (db: Db, clubId: string, exceptId?: string) => {
	const q = db("members").where({ club_id: clubId, role: "admin", status: "active" });
	if (exceptId) q.whereNot({ id: exceptId });
	return q.count<{ n: number }[]>({ n: "*" }).then(r => Number(r[0].n));
};

export const markSignedIn = (db: Db, clubId: string, id: string) =>
	db("members").where({ club_id: clubId, id }).update({ last_sign_in_at: db.raw(NOW) });

// ---------------------------------------------------------------- invitations

export const insertInvitation = (db: Db, row: { id: string; club_id: string; member_id: string; token_hash: string; expires_at: Date }) =>
	db("invitations").insert(row).returning(["id", "expires_at"]).then(r => r[0] as { id: string; expires_at: Date });

/** Ends every open invitation of a member (a new one replaces them). */
export const endInvitations = (db: Db, clubId: string, memberId: string) =>
	db("invitations").where({ club_id: clubId, member_id: memberId }).whereNull("used_at").update({ used_at: db.fn.now() });

/** An unused, unexpired invitation by its token's hash. */
export const findOpenInvitation = (db: Db, tokenHash: string) =>
	db("invitations")
		.where({ token_hash: tokenHash })
		.whereNull("used_at")
		.where("expires_at", ">", db.fn.now())
		.first<{ id: string; club_id: string; member_id: string; token_hash: string } | undefined>();

/** Uses the invitation once: the row it returns is the one winner of concurrent accepts. */
export const consumeInvitation = (trx: Knex.Transaction, id: string) =>
	trx("invitations")
		.where({ id })
		.whereNull("used_at")
		.where("expires_at", ">", trx.fn.now())
		.update({ used_at: trx.fn.now() })
		.returning(["club_id", "member_id"])
		.then(r => r[0] as { club_id: string; member_id: string } | undefined);

// ---------------------------------------------------------------- sessions

export const insertSession = (db: Db, row: Pick<SessionRow, "id" | "club_id" | "token_hash" | "member_id" | "key_id" | "key_name" | "key_role">) =>
	db<SessionRow>("sessions").insert(row).returning("*").then(r => r[0]);

/**
 * The session behind a token hash if it was used within `idleMinutes`, touching it (one
 * statement: the idle check and the touch cannot be split by a concurrent sign-out).
 * A member's session also needs the member still active.
 */
export async function useSession(db: Db, tokenHash: string, idleMinutes: number): Promise<LiveSession | undefined> {
	const { rows } = await db.raw(
		`UPDATE sessions s SET last_used_at = ${NOW}
		 FROM sessions s0 LEFT JOIN members m ON m.id = s0.member_id AND m.club_id = s0.club_id
		 WHERE s.id = s0.id AND s0.token_hash = ?
		   AND s0.last_used_at > now() - make_interval(mins => ?)
		   AND (s0.key_id IS NOT NULL OR m.status = 'active')
		 RETURNING s.id, s.club_id, s.member_id, s.key_id, coalesce(m.name, s.key_name) AS name, coalesce(m.role, s.key_role) AS role, s.last_used_at`,
		[tokenHash, idleMinutes],
	);
	return rows[0];
}

/** A session by id, for GET /session (the gateway already checked and touched it). */
export async function findSession(db: Db, clubId: string, id: string): Promise<LiveSession | undefined> {
	const { rows } = await db.raw(
		`SELECT s.id, s.club_id, s.member_id, s.key_id, coalesce(m.name, s.key_name) AS name, coalesce(m.role, s.key_role) AS role, s.last_used_at
		 FROM sessions s LEFT JOIN members m ON m.id = s.member_id AND m.club_id = s.club_id
		 WHERE s.club_id = ? AND s.id = ?`,
		[clubId, id],
	);
	return rows[0];
}

/** Ends one session by its token's hash; returns it (undefined when there was none). */
export const endSessionByHash = (db: Db, tokenHash: string) =>
	db<SessionRow>("sessions").where({ token_hash: tokenHash }).delete().returning("*").then(r => r[0] as SessionRow | undefined);

export const endMemberSessions = (db: Db, clubId: string, memberId: string) =>
	db("sessions").where({ club_id: clubId, member_id: memberId }).delete().returning("token_hash").then(r => r.map((x: any) => x.token_hash as string));

export const endKeySessions = (db: Db, clubId: string, keyId: string) =>
	db("sessions").where({ club_id: clubId, key_id: keyId }).delete().returning("token_hash").then(r => r.map((x: any) => x.token_hash as string));

export const pruneIdleSessions = (db: Db, idleMinutes: number) =>
	db("sessions").where("last_used_at", "<", db.raw("now() - make_interval(mins => ?)", [idleMinutes])).delete();

// ---------------------------------------------------------------- sign-in throttle

/**
 * Counts a sign-in attempt for an e-mail before its password is checked, as a failure
 * (removed again if it succeeds), under a per-e-mail lock: concurrent guesses cannot all
 * pass a count taken before any of them failed. Answers whether the attempt may go on and,
 * if not, in how many seconds the oldest counted failure leaves the window.
 */
export async function claimAttempt(db: Knex, emailHash: string, max: number, windowMinutes: number): Promise<{ allowed: true; id: number } | { allowed: false; retryAfter: number }> {
	return db.transaction(async trx => {
		await trx.raw("SELECT pg_advisory_xact_lock(hashtext(?))", [`clubhouse:sign-in:${emailHash}`]);
		const { rows } = await trx.raw(
			`SELECT failed_at, ceil(extract(epoch FROM failed_at + make_interval(mins => ?) - now()))::int AS retry_after
			 FROM sign_in_failures WHERE email_hash = ? AND failed_at > now() - make_interval(mins => ?)
			 ORDER BY failed_at DESC OFFSET ? LIMIT 1`,
			[windowMinutes, emailHash, windowMinutes, max - 1],
		);
		if (rows[0]) return { allowed: false as const, retryAfter: Math.max(1, rows[0].retry_after) };
		const [row] = await trx("sign_in_failures").insert({ email_hash: emailHash }).returning("id");
		return { allowed: true as const, id: Number(row.id) };
	});
}

/** The attempt succeeded: it is not a failure. */
export const releaseAttempt = (db: Db, id: number) => db("sign_in_failures").where({ id }).delete();

export const pruneFailures = (db: Db, windowMinutes: number) =>
	db("sign_in_failures").where("failed_at", "<", db.raw("now() - make_interval(mins => ?)", [windowMinutes])).delete();
