import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.schema.createTable("clubs", t => {
		t.uuid("id").primary();
		t.text("name").notNullable();
		t.string("country", 2).notNullable();
		t.string("currency", 3).notNullable();
		t.text("timezone").notNullable();
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.timestamp("updated_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
	});
	await knex.schema.createTable("api_keys", t => {
		t.uuid("id").primary();
		t.uuid("club_id").notNullable().references("id").inTable("clubs");
		t.text("name").notNullable();
		t.text("role").notNullable().checkIn(["admin", "staff", "viewer"], "api_keys_role_check");
		t.string("key_hash", 64).notNullable().unique();
		t.string("prefix", 16).notNullable();
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.timestamp("revoked_at", { useTz: true, precision: 3 });
		t.index(["club_id", "created_at"]);
	});
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTable("api_keys");
	await knex.schema.dropTable("clubs");
}
