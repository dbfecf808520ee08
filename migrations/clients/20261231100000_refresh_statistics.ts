/**
 * Fresh planner statistics after a big import, for the service's own role: ANALYZE needs the
 * table's owner (PostgreSQL 15 has no MAINTAIN privilege), so this function, owned by the
 * migrations' user, runs it for the clients table and nothing else
 * (services/clients/clients.statistics.ts). A name search right after a 200k-row import was
 * planned on empty-table statistics: p95 116 ms, against 24 ms after ANALYZE.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.raw(`
		CREATE FUNCTION clients.refresh_clients_statistics() RETURNS void
		LANGUAGE plpgsql SECURITY DEFINER SET search_path = clients, pg_catalog, pg_temp
		AS $$ BEGIN ANALYZE clients.clients; END $$`);
	await knex.raw(`REVOKE ALL ON FUNCTION clients.refresh_clients_statistics() FROM PUBLIC`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.raw(`DROP FUNCTION clients.refresh_clients_statistics()`);
}
