/**
 * Duplicate candidates through the dup_keys GIN index, always. With a LIMIT the planner may
 * pick a scan of the club in date order (or of the table) when it guesses that many rows
 * share a key: for a key nobody has, that reads the whole club (600 ms at 100k clients). The
 * lookup is a function whose plan may not scan the table or walk another index, so it is a
 * bitmap of the GIN entries for the keys, then the club's rows among them.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.raw(`
		CREATE FUNCTION clients.duplicate_candidates(club uuid, keys bigint[], exclude uuid, max_rows integer, created_before timestamptz)
		RETURNS SETOF clients.clients
		LANGUAGE sql STABLE PARALLEL SAFE
		SET enable_seqscan = off
		SET enable_indexscan = off
		AS $$
			SELECT * FROM clients.clients c
			 WHERE c.dup_keys && keys AND c.club_id = club AND c.deleted_at IS NULL
			   AND c.id IS DISTINCT FROM exclude AND c.created_at < created_before
			 LIMIT max_rows
		$$`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.raw(`DROP FUNCTION clients.duplicate_candidates(uuid, bigint[], uuid, integer, timestamptz)`);
}
