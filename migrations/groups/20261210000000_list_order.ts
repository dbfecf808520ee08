/**
 * GET /groups and GET /categories are paged oldest first by (created_at, id): index that
 * order per club, and make External (seeded in the same transaction as Default, so with the
 * same created_at) come a millisecond after Default, as new clubs now get it.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.raw(`CREATE INDEX groups_club_created_idx ON groups (club_id, created_at, id)`);
	await knex.raw(`CREATE INDEX categories_club_created_idx ON categories (club_id, created_at, id)`);
	await knex.raw(`
		UPDATE groups ext SET created_at = ext.created_at + interval '1 millisecond', updated_at = greatest(ext.updated_at, ext.created_at + interval '1 millisecond')
		WHERE ext.system AND EXISTS (SELECT 1 FROM groups d WHERE d.club_id = ext.club_id AND d.is_default AND d.created_at = ext.created_at)
	`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.raw(`DROP INDEX categories_club_created_idx`);
	await knex.raw(`DROP INDEX groups_club_created_idx`);
}
