/**
 * A cancel is registered at once (cancel_requested), then waits for the chunks being
 * written before the job ends: meanwhile no chunk starts and the job cannot complete.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.raw(`ALTER TABLE jobs ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.raw(`ALTER TABLE jobs DROP COLUMN cancel_requested`);
}
