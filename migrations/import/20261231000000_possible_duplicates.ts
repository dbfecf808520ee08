/** How many imported rows looked like clients the club already had (POSSIBLE_DUPLICATE warnings). */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.raw(`ALTER TABLE jobs ADD COLUMN possible_duplicates integer NOT NULL DEFAULT 0`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.raw(`ALTER TABLE jobs DROP COLUMN possible_duplicates`);
}
