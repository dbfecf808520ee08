import type { Knex } from "knex";

/** Per-key request counters per minute, shared by every gateway node. */
export async function up(knex: Knex): Promise<void> {
	await knex.schema.createTable("rate_limits", t => {
		t.uuid("club_id").notNullable();
		t.uuid("key_id").notNullable();
		t.timestamp("window_start", { useTz: true, precision: 0 }).notNullable();
		t.integer("count").notNullable().defaultTo(0);
		t.primary(["club_id", "key_id", "window_start"]);
	});
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTable("rate_limits");
}
