/**
 * Search at a million clients: the folded name is stored (a generated column, computed once
 * per write instead of per row scanned), the trigram index is on it, and verified clients
 * get a small partial index so `verified=true` never scans the club.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.raw(`ALTER TABLE clients.clients ADD COLUMN search_name text GENERATED ALWAYS AS (clients.search_text(full_name)) STORED`);
	await knex.raw(`DROP INDEX clients.clients_club_name_trgm`);
	await knex.raw(`CREATE INDEX clients_club_name_trgm ON clients.clients USING gin (club_id, search_name public.gin_trgm_ops) WHERE deleted_at IS NULL`);
	await knex.raw(`CREATE INDEX clients_club_verified_idx ON clients.clients (club_id, created_at DESC, id DESC) WHERE verified AND deleted_at IS NULL`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.raw(`DROP INDEX clients.clients_club_verified_idx`);
	await knex.raw(`DROP INDEX clients.clients_club_name_trgm`);
	await knex.raw(`ALTER TABLE clients.clients DROP COLUMN search_name`);
	await knex.raw(`CREATE INDEX clients_club_name_trgm ON clients.clients USING gin (club_id, clients.search_text(full_name) public.gin_trgm_ops) WHERE deleted_at IS NULL`);
}
