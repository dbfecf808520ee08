/**
 * Short GIN pending lists on the clients table. A GIN index takes new entries into an
 * unsorted pending list (gin_pending_list_limit, 4 MB by default) and merges them into the
 * index later; every search through the index reads the whole list. Right after an import
 * at 1M clients the lists held 379 pages (phone trigrams), 222 (dup_keys), 242 (tags), 41
 * (names): a phone search took 12-30 ms, and 1.1-1.9 ms once they were merged. Each list now
 * stays under 128 kB (16 pages: merged about every hundred new clients), and the import's
 * statistics refresh also merges them, so the club searches at once on clean indexes.
 */
import type { Knex } from "knex";

const INDEXES = ["clients_name_trgm", "clients_phone_trgm", "clients_dup_keys_gin", "clients_club_tags_gin"];

export async function up(knex: Knex): Promise<void> {
	for (const ix of INDEXES) await knex.raw(`ALTER INDEX clients.${ix} SET (gin_pending_list_limit = 128)`);
	await knex.raw(`
		CREATE OR REPLACE FUNCTION clients.refresh_clients_statistics() RETURNS void
		LANGUAGE plpgsql SECURITY DEFINER SET search_path = clients, pg_catalog, pg_temp
		AS $$
		BEGIN
			PERFORM pg_catalog.gin_clean_pending_list(i.indexrelid)
			   FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_am a ON a.oid = c.relam
			  WHERE i.indrelid = 'clients.clients'::regclass AND a.amname = 'gin';
			ANALYZE clients.clients;
		END $$`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.raw(`
		CREATE OR REPLACE FUNCTION clients.refresh_clients_statistics() RETURNS void
		LANGUAGE plpgsql SECURITY DEFINER SET search_path = clients, pg_catalog, pg_temp
		AS $$ BEGIN ANALYZE clients.clients; END $$`);
	for (const ix of INDEXES) await knex.raw(`ALTER INDEX clients.${ix} RESET (gin_pending_list_limit)`);
}
