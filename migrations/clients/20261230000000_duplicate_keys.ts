/**
 * Duplicate detection at a million clients in a club: every client carries `dup_keys`, a
 * small array of 64-bit hashes, each one of (club, what is compared):
 *   - `p` + phone, and `b` + birth date + folded name (SAME_PHONE, SAME_NAME_AND_BIRTH_DATE);
 *   - `n` + the folded name (lower-cased, unaccented) and `n` + each string made by deleting
 *     one of its characters (a deletion neighbourhood): two names one letter apart (a letter
 *     changed, added, dropped or two swapped) always share one of these keys;
 *   - `s` + the name's words sorted (first and last name swapped).
 * A GIN index on the array answers "who shares a key with this client" with a few exact key
 * lookups, never a scan of the club or a trigram similarity over it; the candidates are then
 * checked exactly (clients.duplicates.ts). As for the trigram indexes (20261220000000), club_id
 * is not a leading index column, which would make every lookup intersect with the club's whole
 * posting list: the club is inside every key instead, so a lookup only ever meets its own
 * club's clients (and `club_id = ?` is still checked on every row).
 * The column is generated, so every write path (POST, PATCH, import, verified profiles,
 * erasure) keeps it right without code of its own.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.raw(`
		CREATE FUNCTION clients.name_keys(club uuid, folded text) RETURNS bigint[]
		LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
		AS $$
			SELECT array_agg(DISTINCT hashtextextended(club::text || k, 0)) FROM (
				SELECT '|n|' || folded AS k
				UNION ALL SELECT '|n|' || overlay(folded PLACING '' FROM i FOR 1) FROM generate_series(1, length(folded)) AS i
				UNION ALL SELECT '|s|' || array_to_string(ARRAY(SELECT w FROM regexp_split_to_table(folded, ' +') AS w WHERE w <> '' ORDER BY w COLLATE "C"), ' ')
			) s
		$$`);
	await knex.raw(`
		CREATE FUNCTION clients.strong_keys(club uuid, folded text, phone text, birth date) RETURNS bigint[]
		LANGUAGE sql IMMUTABLE PARALLEL SAFE
		AS $$
			SELECT array_remove(ARRAY[
				CASE WHEN phone IS NOT NULL THEN hashtextextended(club::text || '|p|' || phone, 0) END,
				CASE WHEN folded IS NOT NULL AND birth IS NOT NULL THEN hashtextextended(club::text || '|b|' || (birth - DATE '2000-01-01') || '|' || folded, 0) END
			], NULL)
		$$`);
	await knex.raw(`
		ALTER TABLE clients.clients ADD COLUMN dup_keys bigint[] GENERATED ALWAYS AS (
			clients.strong_keys(club_id, clients.search_text(full_name), phone, birth_date) || clients.name_keys(club_id, clients.search_text(full_name))
		) STORED`);
	await knex.raw(`CREATE INDEX clients_dup_keys_gin ON clients.clients USING gin (dup_keys) WHERE deleted_at IS NULL`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.raw(`DROP INDEX clients.clients_dup_keys_gin`);
	await knex.raw(`ALTER TABLE clients.clients DROP COLUMN dup_keys`);
	await knex.raw(`DROP FUNCTION clients.strong_keys(uuid, text, text, date)`);
	await knex.raw(`DROP FUNCTION clients.name_keys(uuid, text)`);
}
