/** Pure queries of a client merge in the clients schema (services/clients/clients.merge.ts). */
import type { Knex } from "knex";
import { NOW } from "../../lib/sql";
import type { ClientRow } from "./clients.queries";

type Db = Knex | Knex.Transaction;

export type MergeStatus = "running" | "completed" | "aborted";

export interface MergeRow {
	club_id: string;
	id: string;
	target_id: string;
	source_id: string;
	status: MergeStatus;
	plan: unknown;
	result: unknown;
	error: string | null;
	created_at: Date;
	updated_at: Date;
}

/**
 * Both clients' rows (live or not), locked in id order, the order every merge locks them in:
 * two merges of the same pair, in either direction, run one after the other. `skipLocked`:
 * rows another transaction holds are left out instead of waited for.
 */
export async function lockPair(trx: Knex.Transaction, clubId: string, ids: string[], skipLocked = false): Promise<ClientRow[]> {
	const query = trx<ClientRow>("clients").where({ club_id: clubId }).whereIn("id", ids).orderBy("id").forUpdate();
	return skipLocked ? query.skipLocked() : query;
}

export async function insertMerge(db: Db, row: Pick<MergeRow, "club_id" | "id" | "target_id" | "source_id" | "status" | "plan">): Promise<void> {
	await db("merges").insert({ ...row, plan: JSON.stringify(row.plan) });
}

export const findMerge = (db: Db, clubId: string, id: string): Promise<MergeRow | undefined> => db<MergeRow>("merges").where({ club_id: clubId, id }).first();

export async function lockMerge(trx: Knex.Transaction, clubId: string, id: string, skipLocked = false): Promise<MergeRow | undefined> {
	const query = trx<MergeRow>("merges").where({ club_id: clubId, id }).forUpdate().first();
	return skipLocked ? query.skipLocked() : query;
}

export async function setMerge(db: Db, clubId: string, id: string, patch: { status: MergeStatus; result?: unknown; error?: string | null }): Promise<void> {
	const update: Record<string, unknown> = { status: patch.status, updated_at: db.raw(NOW) };
	if (patch.result !== undefined) update.result = JSON.stringify(patch.result);
	if (patch.error !== undefined) update.error = patch.error;
	await db("merges").where({ club_id: clubId, id }).update(update);
}

/** A merge of one of these clients that is still to be resolved. */
export const pendingMergeOf = (db: Db, clubId: string, ids: string[]): Promise<MergeRow | undefined> =>
	db<MergeRow>("merges")
		.where({ club_id: clubId, status: "running" })
		.where(b => b.whereIn("target_id", ids).orWhereIn("source_id", ids))
		.first();

/** Merges left running for longer than `olderThanMs`, any club (the recovery sweep). */
export const staleMerges = (db: Db, olderThanMs: number, limit = 20): Promise<Array<Pick<MergeRow, "club_id" | "id">>> =>
	db<MergeRow>("merges")
		.select("club_id", "id")
		.where({ status: "running" })
		.whereRaw("updated_at < now() - make_interval(secs => ?)", [olderThanMs / 1000])
		.orderBy("updated_at")
		.limit(limit);

/**
 * The source's tags and categories become the target's too: tags united (the target's first,
 * in order), a category both hold keeps the widest validity (an open end stays open).
 */
export async function uniteInto(trx: Knex.Transaction, clubId: string, targetId: string, sourceId: string): Promise<ClientRow> {
	await trx.raw(
		`INSERT INTO client_categories (club_id, client_id, category_id, valid_from, valid_until)
		 SELECT club_id, :targetId, category_id, valid_from, valid_until FROM client_categories WHERE club_id = :clubId AND client_id = :sourceId
		 ON CONFLICT (club_id, client_id, category_id) DO UPDATE SET
		   valid_from = CASE WHEN client_categories.valid_from IS NULL OR EXCLUDED.valid_from IS NULL THEN NULL ELSE LEAST(client_categories.valid_from, EXCLUDED.valid_from) END,
		   valid_until = CASE WHEN client_categories.valid_until IS NULL OR EXCLUDED.valid_until IS NULL THEN NULL ELSE GREATEST(client_categories.valid_until, EXCLUDED.valid_until) END`,
		{ clubId, targetId, sourceId },
	);
	const res = await trx.raw(
		`UPDATE clients t SET
			tags = ARRAY(SELECT u.t FROM unnest(t.tags || s.tags) WITH ORDINALITY AS u(t, n) GROUP BY u.t ORDER BY min(u.n)),
			updated_at = ${NOW}
		   FROM clients s
		  WHERE t.club_id = :clubId AND t.id = :targetId AND s.club_id = :clubId AND s.id = :sourceId
		 RETURNING t.*`,
		{ clubId, targetId, sourceId },
	);
	return res.rows[0];
}
