/**
 * Stored answers as json, not jsonb: json keeps the text as written (jsonb reorders the
 * keys), so a replayed 201 is byte-for-byte the first answer, not just an equal object.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.raw(`ALTER TABLE idempotency_keys ALTER COLUMN response TYPE json, ALTER COLUMN error TYPE json`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.raw(`ALTER TABLE idempotency_keys ALTER COLUMN response TYPE jsonb, ALTER COLUMN error TYPE jsonb`);
}
