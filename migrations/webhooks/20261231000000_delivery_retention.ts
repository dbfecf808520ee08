/**
 * Finished deliveries (delivered or failed) are kept WEBHOOK_KEEP_DAYS, then pruned by the
 * workers. Like the due queue, the pruning spans every club, so this index cannot start with
 * club_id; it holds finished rows only.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.raw(`CREATE INDEX deliveries_finished_idx ON deliveries (updated_at) WHERE status <> 'pending'`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.raw(`DROP INDEX deliveries_finished_idx`);
}
