/**
 * Import chunks applied by clients.importBatch (owned by the CSV import): the marker is
 * written in the same transaction as the chunk's clients, so a redelivered chunk finds it
 * and gets the stored outcome back instead of being applied twice.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.schema.withSchema("clients").createTable("import_batches", t => {
		t.uuid("club_id").notNullable();
		t.uuid("job_id").notNullable();
		t.integer("chunk_index").notNullable();
		t.jsonb("outcome").notNullable();
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.primary(["club_id", "job_id", "chunk_index"]);
	});
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.withSchema("clients").dropTableIfExists("import_batches");
}
