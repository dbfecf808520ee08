import type { Knex } from "knex";

const ts = (t: Knex.CreateTableBuilder, name: string) => t.timestamp(name, { useTz: true, precision: 3 });
const now = (knex: Knex) => knex.raw("date_trunc('milliseconds', now())");

export async function up(knex: Knex): Promise<void> {
	await knex.schema.createTable("jobs", t => {
		t.uuid("id").primary();
		t.uuid("club_id").notNullable();
		t.text("status").notNullable();
		t.text("file_name");
		t.jsonb("options").notNullable();
		/** Rows parsed and published so far; final once chunks_total is set. */
		t.integer("total_rows").notNullable().defaultTo(0);
		/** Known when parsing ends; the job completes when chunks_done reaches it. */
		t.integer("chunks_total");
		t.integer("chunks_done").notNullable().defaultTo(0);
		t.integer("processed_rows").notNullable().defaultTo(0);
		t.integer("created").notNullable().defaultTo(0);
		t.integer("updated").notNullable().defaultTo(0);
		t.integer("skipped").notNullable().defaultTo(0);
		t.integer("failed").notNullable().defaultTo(0);
		t.jsonb("warnings").notNullable().defaultTo("[]");
		t.text("error");
		ts(t, "created_at").notNullable().defaultTo(now(knex));
		ts(t, "started_at");
		ts(t, "finished_at");
		ts(t, "updated_at").notNullable().defaultTo(now(knex));
		t.check("status IN ('queued','running','completed','failed','cancelled')", [], "jobs_status_check");
	});
	await knex.raw("CREATE INDEX jobs_club_created_idx ON jobs (club_id, created_at DESC, id DESC)");

	// One row per applied chunk: recording it twice is impossible, so counts never double.
	await knex.schema.createTable("chunk_results", t => {
		t.uuid("club_id").notNullable();
		t.uuid("job_id").notNullable().references("id").inTable("jobs").onDelete("CASCADE");
		t.integer("chunk_index").notNullable();
		t.integer("rows").notNullable();
		t.integer("created").notNullable();
		t.integer("updated").notNullable();
		t.integer("skipped").notNullable();
		t.integer("failed").notNullable();
		t.boolean("dead_lettered").notNullable().defaultTo(false);
		ts(t, "recorded_at").notNullable().defaultTo(now(knex));
		t.primary(["job_id", "chunk_index"]);
	});

	await knex.schema.createTable("row_errors", t => {
		t.bigIncrements("id");
		t.uuid("club_id").notNullable();
		t.uuid("job_id").notNullable().references("id").inTable("jobs").onDelete("CASCADE");
		t.integer("chunk_index").notNullable();
		t.integer("line").notNullable();
		t.text("field").notNullable();
		t.text("code").notNullable();
		t.text("message").notNullable();
	});
	await knex.raw("CREATE INDEX row_errors_club_job_line_idx ON row_errors (club_id, job_id, line, id)");
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTable("row_errors");
	await knex.schema.dropTable("chunk_results");
	await knex.schema.dropTable("jobs");
}
