import type { Knex } from "knex";
import { createIdempotencyTable } from "../../mixins/idempotency.mixin";

export async function up(knex: Knex): Promise<void> {
	await knex.schema.createTable("bookings", t => {
		t.uuid("id").primary();
		t.uuid("club_id").notNullable();
		t.uuid("client_id").notNullable();
		t.text("product_id").notNullable();
		t.timestamp("starts_at", { useTz: true, precision: 3 }).notNullable();
		t.timestamp("ends_at", { useTz: true, precision: 3 }).notNullable();
		t.text("status").notNullable();
		t.uuid("series_id");
		t.text("reference");
		t.text("channel").notNullable();
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.timestamp("cancelled_at", { useTz: true, precision: 3 });
		t.unique(["club_id", "id"]);
		t.check("status IN ('confirmed', 'cancelled')", [], "bookings_status_check");
		t.check("channel IN ('online', 'staff')", [], "bookings_channel_check");
		t.check("ends_at > starts_at", [], "bookings_times_check");
	});
	// History by client (every status), newest start first; the cursor is (starts_at, id).
	await knex.raw(`CREATE INDEX bookings_club_client_start_idx ON bookings (club_id, client_id, starts_at, id)`);
	// The future-bookings count reads only confirmed rows.
	await knex.raw(`CREATE INDEX bookings_club_client_confirmed_idx ON bookings (club_id, client_id, starts_at) WHERE status = 'confirmed'`);
	await knex.raw(`CREATE INDEX bookings_club_series_idx ON bookings (club_id, series_id, starts_at) WHERE series_id IS NOT NULL`);
	await createIdempotencyTable(knex);
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTable("idempotency_keys");
	await knex.schema.dropTable("bookings");
}
