import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.schema.createTable("groups", t => {
		t.uuid("id").primary();
		t.uuid("club_id").notNullable();
		t.text("name").notNullable();
		t.boolean("system").notNullable().defaultTo(false);
		t.boolean("is_default").notNullable().defaultTo(false);
		t.integer("max_future_bookings");
		t.specificType("payment_methods", "text[]").notNullable();
		t.integer("vat_rate");
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.timestamp("updated_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.unique(["club_id", "id"]);
		t.check("max_future_bookings IS NULL OR max_future_bookings >= 0", [], "groups_max_future_bookings_check");
		t.check("vat_rate IS NULL OR (vat_rate >= 0 AND vat_rate <= 10000)", [], "groups_vat_rate_check");
	});
	await knex.raw(`CREATE UNIQUE INDEX groups_club_name_uq ON groups (club_id, lower(name))`);
	await knex.raw(`CREATE UNIQUE INDEX groups_club_default_uq ON groups (club_id) WHERE is_default`);
	await knex.raw(`CREATE UNIQUE INDEX groups_club_system_uq ON groups (club_id) WHERE system`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTable("groups");
}
