/**
 * Duplicate candidates: clients of the club sharing a key of `dup_keys` with a probe
 * (migrations/clients/20261230000000_duplicate_keys.ts). The probe's keys are computed by the
 * same SQL functions as the stored ones, from constants, so the planner folds them once and
 * the GIN index answers with exact key lookups. Two bounded lists: the strong keys (phone,
 * name + birth date) and the name keys (one letter apart, words swapped), so a very common
 * name can never crowd out a client with the same phone. The name keys look first at the
 * clients whose whole name is one of them (a btree that stops at the list's size,
 * migrations/clients/20270102000000_duplicate_name_index.ts), then at the GIN index.
 */
import type { Knex } from "knex";
import type { ClientRow } from "./clients.queries";

type Db = Knex | Knex.Transaction;

export interface DuplicateProbe {
	fullName: string;
	phone: string | null;
	birthDate: string | null;
}

export type CandidateRow = ClientRow & { search_name: string; probe_name: string };

/** At most this many candidates of each kind are looked at (then checked exactly and ranked). */
const STRONG_CANDIDATES = 50;
const NAME_CANDIDATES = 50;

const COLUMNS = `c.club_id, c.id, c.full_name, c.email, c.phone, c.gender, c.country, c.birth_date, c.notes, c.group_id, c.tags, c.verified, c.source,
	c.created_at, c.updated_at, c.deleted_at, c.search_name, clients.search_text(:fullName) AS probe_name`;

/** Live clients of the club (other than `excludeId`) that share a duplicate key with the probe. */
export async function duplicateCandidates(db: Db, clubId: string, probe: DuplicateProbe, excludeId: string | null): Promise<CandidateRow[]> {
	const res = await db.raw(
		`SELECT ${COLUMNS} FROM clients.duplicate_candidates(:clubId::uuid, clients.strong_keys(:clubId::uuid, clients.search_text(:fullName), :phone::text, :birthDate::date), :excludeId::uuid, ${STRONG_CANDIDATES}, 'infinity') c
		 UNION ALL
		 SELECT ${COLUMNS} FROM clients.duplicate_candidates_by_name(:clubId::uuid, clients.name_keys(:clubId::uuid, clients.search_text(:fullName)), :excludeId::uuid, ${NAME_CANDIDATES}, 'infinity') c`,
		{ clubId, fullName: probe.fullName, phone: probe.phone, birthDate: probe.birthDate, excludeId },
	);
	return res.rows;
}

/**
 * For many new rows at once (an import chunk): the rows that share a duplicate key with a live
 * client of the club created before `before` (the clients the club already had), with up to
 * `perRow` candidates each. One statement; each row's lookup is a GIN probe of its own keys.
 */
export async function candidatesOfRows(
	db: Db,
	clubId: string,
	rows: Array<{ key: number; fullName: string; phone: string; birthDate: string | null }>,
	before: string,
	perRow = 5,
): Promise<Array<CandidateRow & { row_key: number }>> {
	if (!rows.length) return [];
	const res = await db.raw(
		`SELECT r.key AS row_key, ${COLUMNS.replace(":fullName", "r.full_name")}
		   FROM jsonb_to_recordset(:rows::jsonb) AS r(key int, full_name text, phone text, birth_date date)
		   CROSS JOIN LATERAL clients.duplicate_candidates_by_name(
			:clubId::uuid,
			clients.strong_keys(:clubId::uuid, clients.search_text(r.full_name), r.phone, r.birth_date) || clients.name_keys(:clubId::uuid, clients.search_text(r.full_name)),
			NULL, :perRow, :before::timestamptz) c`,
		{ clubId, before, perRow, rows: JSON.stringify(rows.map(r => ({ key: r.key, full_name: r.fullName, phone: r.phone, birth_date: r.birthDate }))) },
	);
	return res.rows;
}
