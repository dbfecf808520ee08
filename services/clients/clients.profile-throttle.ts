/**
 * A verified profile must not be an oracle for other clubs (issue: stepping a birth date
 * through 125 requests finds it). The 403 VERIFIED_PROFILE_MISMATCH keeps naming the fields
 * (never values), but each club may make only PROFILE_ATTEMPTS mismatching attempts per
 * e-mail per hour; past that, every attempt on that e-mail is 429 TOO_MANY_ATTEMPTS with
 * Retry-After, the right values included (else the 201 would still answer the guess).
 *
 * An attempt is counted BEFORE the values are compared (one upsert, under the row's lock),
 * and given back when it was not a mismatch: parallel guesses cannot all pass a count taken
 * before any of them failed. The counter lives in Postgres, so it holds across nodes.
 */
import { Errors } from "moleculer";
import type { Knex } from "knex";
import { countProfileAttempts, hasProfile, uncountProfileAttempts } from "./clients.verified.queries";

export const PROFILE_ATTEMPTS = 5;
const PROFILE_WINDOW_S = 3600;

export type Db = Knex | Knex.Transaction;

function tooManyProfileAttempts(retryAfter: number): Errors.MoleculerClientError {
	return Object.assign(
		new Errors.MoleculerClientError(`Too many attempts for this e-mail's verified profile; retry in ${retryAfter} s`, 429, "TOO_MANY_ATTEMPTS", { retryAfter }),
		{ name: "TooManyRequestsError", retryAfter },
	);
}

/**
 * Counts an attempt for each e-mail (in e-mail order: concurrent batches lock alike).
 * Answers, per e-mail, null when it may go on, or the seconds until it may.
 */
export async function reserveProfileAttempts(db: Db, clubId: string, emails: string[]): Promise<Map<string, number | null>> {
	const out = new Map<string, number | null>();
	const sorted = [...new Set(emails)].sort();
	if (!sorted.length) return out;
	const rows = await countProfileAttempts(db, clubId, sorted, PROFILE_WINDOW_S);
	for (const r of rows) {
		out.set(r.email, r.attempts > PROFILE_ATTEMPTS ? Math.max(1, r.retry_after) : null);
	}
	return out;
}

/** The attempts that were not mismatches (they matched, or were decided on something else). */
export async function releaseProfileAttempts(db: Db, clubId: string, emails: string[]): Promise<void> {
	if (!emails.length) return;
	await uncountProfileAttempts(db, clubId, [...new Set(emails)]);
}

/** One e-mail: throws 429 when over the limit; answers the release to call unless it was a mismatch. */
async function reserveProfileAttempt(db: Db, clubId: string, email: string): Promise<() => Promise<void>> {
	const retryAfter = (await reserveProfileAttempts(db, clubId, [email])).get(email);
	if (retryAfter) throw tooManyProfileAttempts(retryAfter);
	return () => releaseProfileAttempts(db, clubId, [email]);
}

/**
 * Runs `work` (which compares the submitted values with the verified profile of `email`, if
 * there is one) as a counted attempt: 429 when the club is over its attempts for that e-mail;
 * the attempt is given back unless the answer was VERIFIED_PROFILE_MISMATCH.
 */
export async function withProfileAttempt<T>(db: Knex, clubId: string, email: string | undefined, work: () => Promise<T>): Promise<T> {
	if (email === undefined || !(await hasProfile(db, email))) return work();
	const release = await reserveProfileAttempt(db, clubId, email);
	let value: T;
	try {
		value = await work();
	} catch (err: any) {
		if (err?.type !== "VERIFIED_PROFILE_MISMATCH") await release();
		throw err;
	}
	await release();
	return value;
}
