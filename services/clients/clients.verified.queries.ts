/**
 * Pure queries of verified profiles (platform-wide, keyed by e-mail), their links to clients
 * and the per-club attempt counters (clients.profile-throttle.ts).
 */
import type { Knex } from "knex";
import { NOW } from "../../lib/sql";
import type { ClientRow, VerifiedProfileRow } from "./clients.queries";

type Db = Knex | Knex.Transaction;

export const findProfile = (db: Db, email: string) => db<VerifiedProfileRow>("verified_profiles").where({ email }).first();

/** Does the e-mail have a verified profile? (one index probe, no row) */
export const hasProfile = async (db: Db, email: string): Promise<boolean> => !!(await db("verified_profiles").where({ email }).first("email"));

export const profilesByEmail = (db: Db, emails: string[]): Promise<VerifiedProfileRow[]> => db<VerifiedProfileRow>("verified_profiles").whereRaw("email = ANY(?::text[])", [emails]) as unknown as Promise<VerifiedProfileRow[]>;

export interface VerifiedLink {
	email: string;
	club_id: string;
	client_id: string;
}

/** Links a client to the profile of its e-mail (it follows the profile's changes from then on). */
export async function linkVerified(db: Db, link: VerifiedLink): Promise<void> {
	await db("verified_links").insert(link);
}

/** Links many clients at once; a link already there stays as it is. */
export async function linkVerifiedMany(db: Db, links: VerifiedLink[]): Promise<void> {
	await db("verified_links").insert(links).onConflict(["email", "club_id", "client_id"]).ignore();
}

export interface ProfileValues {
	email: string;
	fullName: string;
	phone: string;
	gender: string;
	country: string;
	birthDate: string | null;
}

/** Registers or updates the profile of an e-mail. */
export async function upsertProfile(trx: Knex.Transaction, v: ProfileValues): Promise<VerifiedProfileRow> {
	const res = await trx.raw(
		`INSERT INTO verified_profiles (email, full_name, phone, gender, country, birth_date) VALUES (?, ?, ?, ?, ?, ?)
		 ON CONFLICT (email) DO UPDATE SET full_name = EXCLUDED.full_name, phone = EXCLUDED.phone, gender = EXCLUDED.gender,
		   country = EXCLUDED.country, birth_date = EXCLUDED.birth_date, updated_at = ${NOW}
		 RETURNING *`,
		[v.email, v.fullName, v.phone, v.gender, v.country, v.birthDate],
	);
	return res.rows[0];
}

/**
 * The live clients linked to the profile (every club) take its identity; a birth date the club
 * never gave stays null (the club learns only what it sent). Only clients that changed are
 * returned, each with `old_row`: the row as it was before this statement (the audit's "before").
 */
export async function followProfile(trx: Knex.Transaction, v: ProfileValues): Promise<Array<ClientRow & { old_row: Record<string, unknown> }>> {
	const linked = await trx.raw(
		`UPDATE clients c SET full_name = ?, phone = ?, gender = ?, country = ?,
		        birth_date = CASE WHEN c.birth_date IS NULL THEN NULL ELSE ?::date END, updated_at = ${NOW}
		   FROM verified_links l, clients old
		  WHERE l.email = ? AND c.club_id = l.club_id AND c.id = l.client_id AND c.deleted_at IS NULL
		    AND old.club_id = c.club_id AND old.id = c.id
		    AND (c.full_name, c.phone, c.gender, c.country, c.birth_date) IS DISTINCT FROM (?, ?, ?, ?, CASE WHEN c.birth_date IS NULL THEN NULL ELSE ?::date END)
		 RETURNING c.*, row_to_json(old) AS old_row`,
		[v.fullName, v.phone, v.gender, v.country, v.birthDate, v.email, v.fullName, v.phone, v.gender, v.country, v.birthDate],
	);
	return linked.rows;
}

/**
 * Counts an attempt on each e-mail (in the given order: callers sort, so concurrent batches lock
 * alike), the window restarting after `windowS`: per e-mail its attempts and the seconds left in the window.
 */
export async function countProfileAttempts(db: Db, clubId: string, emails: string[], windowS: number): Promise<Array<{ email: string; attempts: number; retry_after: number }>> {
	const res = await db.raw(
		`INSERT INTO profile_attempts AS a (club_id, email, window_start, attempts)
		 SELECT ?, e, now(), 1 FROM unnest(?::text[]) WITH ORDINALITY AS u(e, n) ORDER BY n
		 ON CONFLICT (club_id, email) DO UPDATE SET
		   window_start = CASE WHEN a.window_start <= now() - make_interval(secs => ?) THEN now() ELSE a.window_start END,
		   attempts = CASE WHEN a.window_start <= now() - make_interval(secs => ?) THEN 1 ELSE a.attempts + 1 END
		 RETURNING email, attempts, ceil(extract(epoch FROM a.window_start + make_interval(secs => ?) - now()))::int AS retry_after`,
		[clubId, emails, windowS, windowS, windowS],
	);
	return res.rows;
}

/** Gives back one attempt on each e-mail. */
export async function uncountProfileAttempts(db: Db, clubId: string, emails: string[]): Promise<void> {
	await db("profile_attempts")
		.where({ club_id: clubId })
		.whereIn("email", emails)
		.update({ attempts: db.raw("GREATEST(attempts - 1, 0)") });
}
