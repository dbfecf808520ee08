/** Pure queries of the clubs schema: (db | trx, args) -> rows. */
import type { Knex } from "knex";
import { NOW } from "../../lib/sql";

export interface ClubRow {
	id: string;
	name: string;
	country: string;
	currency: string;
	timezone: string;
	created_at: Date;
	updated_at: Date;
}

export interface ApiKeyRow {
	id: string;
	club_id: string;
	name: string;
	role: "admin" | "staff" | "viewer";
	key_hash: string;
	prefix: string;
	created_at: Date;
	revoked_at: Date | null;
}

export const insertClub = (db: Knex | Knex.Transaction, row: Omit<ClubRow, "created_at" | "updated_at">) =>
	db<ClubRow>("clubs").insert(row).returning("*").then(r => r[0]);

export const findClub = (db: Knex, id: string) => db<ClubRow>("clubs").where({ id }).first();

export const insertKey = (db: Knex | Knex.Transaction, row: Omit<ApiKeyRow, "created_at" | "revoked_at">) =>
	db<ApiKeyRow>("api_keys").insert(row).returning("*").then(r => r[0]);

export const findActiveKeyByHash = (db: Knex, keyHash: string) =>
	db<ApiKeyRow>("api_keys").where({ key_hash: keyHash }).whereNull("revoked_at").first();

export const activeKeys = (db: Knex, clubId: string) =>
	db<ApiKeyRow>("api_keys").where({ club_id: clubId }).whereNull("revoked_at");

/** A club's active key, row-locked. */
export const findActiveKey = (trx: Knex.Transaction, clubId: string, id: string) =>
	trx<ApiKeyRow>("api_keys").where({ club_id: clubId, id }).whereNull("revoked_at").forUpdate().first();

/** The club's active admin keys, but one. */
export const countAdminKeys = (db: Knex | Knex.Transaction, clubId: string, exceptId?: string) => {
	const q = db("api_keys").where({ club_id: clubId, role: "admin" }).whereNull("revoked_at");
	if (exceptId) q.whereNot({ id: exceptId });
	return q.count<{ n: number }[]>({ n: "*" }).then(r => Number(r[0].n));
};

/** Revokes a club's active key; returns it, or undefined when there is none with that id. */
export const revokeKey = (db: Knex | Knex.Transaction, clubId: string, id: string) =>
	db<ApiKeyRow>("api_keys")
		.where({ club_id: clubId, id })
		.whereNull("revoked_at")
		.update({ revoked_at: db.raw(NOW) })
		.returning("*")
		.then(r => r[0] as ApiKeyRow | undefined);

/** Counts one request of a key in the current minute; returns the count so far and the window's end. */
export async function hitRateLimit(db: Knex, clubId: string, keyId: string): Promise<{ count: number; resetAt: Date }> {
	const { rows } = await db.raw(
		`INSERT INTO rate_limits (club_id, key_id, window_start, count)
		 VALUES (?, ?, date_trunc('minute', now()), 1)
		 ON CONFLICT (club_id, key_id, window_start) DO UPDATE SET count = rate_limits.count + 1
		 RETURNING count, window_start + interval '1 minute' AS reset_at`,
		[clubId, keyId],
	);
	return { count: rows[0].count, resetAt: rows[0].reset_at };
}

export const pruneRateLimits = (db: Knex) => db("rate_limits").where("window_start", "<", db.raw("now() - interval '5 minutes'")).delete();
