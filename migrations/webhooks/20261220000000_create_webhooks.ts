/**
 * Webhook endpoints, their signing secrets (encrypted; a rotated one keeps signing until
 * expires_at) and their deliveries. A delivery is one event for one endpoint: it keeps the
 * exact body it sends (the signature covers those bytes, the same on every retry) and a
 * lease (lease_until, lease_token) so that any number of nodes work the queue without two
 * of them sending one delivery at the same time.
 */
import type { Knex } from "knex";

const ts = (t: Knex.CreateTableBuilder, knex: Knex, name: string) =>
	t.timestamp(name, { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));

export async function up(knex: Knex): Promise<void> {
	await knex.schema.createTable("endpoints", t => {
		t.uuid("id").primary();
		t.uuid("club_id").notNullable();
		t.text("url").notNullable();
		t.specificType("events", "text[]").notNullable();
		t.text("description");
		t.text("status").notNullable().defaultTo("active");
		ts(t, knex, "created_at");
		ts(t, knex, "updated_at");
		t.unique(["club_id", "id"]);
		t.index(["club_id", "created_at", "id"], "endpoints_club_list_idx");
		t.check("status IN ('active', 'paused')", [], "endpoints_status_check");
	});

	await knex.schema.createTable("secrets", t => {
		t.uuid("id").primary();
		t.uuid("club_id").notNullable();
		t.uuid("endpoint_id").notNullable();
		/** AES-256-GCM: base64 of iv (12) | tag (16) | ciphertext. */
		t.text("sealed").notNullable();
		ts(t, knex, "created_at");
		/** null: the current secret; set on rotation: it signs beside the new one until then. */
		t.timestamp("expires_at", { useTz: true, precision: 3 });
		t.foreign(["club_id", "endpoint_id"]).references(["club_id", "id"]).inTable("endpoints").onDelete("CASCADE");
		t.index(["club_id", "endpoint_id"], "secrets_club_endpoint_idx");
	});

	await knex.schema.createTable("deliveries", t => {
		t.uuid("id").primary();
		t.uuid("club_id").notNullable();
		t.uuid("endpoint_id").notNullable();
		/** The outbox entry's id (a domain event), or a fresh id for webhook.test. */
		t.text("event_id").notNullable();
		t.text("type").notNullable();
		t.text("body").notNullable();
		t.text("status").notNullable().defaultTo("pending");
		t.integer("attempts").notNullable().defaultTo(0);
		/** Failed attempts since the last (re)start of the retry schedule: the index of the next delay. */
		t.integer("schedule_pos").notNullable().defaultTo(0);
		t.integer("last_status");
		t.text("last_error");
		t.timestamp("next_attempt_at", { useTz: true, precision: 3 });
		t.timestamp("lease_until", { useTz: true, precision: 3 });
		t.uuid("lease_token");
		t.timestamp("delivered_at", { useTz: true, precision: 3 });
		ts(t, knex, "created_at");
		ts(t, knex, "updated_at");
		t.foreign(["club_id", "endpoint_id"]).references(["club_id", "id"]).inTable("endpoints").onDelete("CASCADE");
		t.unique(["club_id", "endpoint_id", "event_id"], { indexName: "deliveries_event_uq" });
		t.index(["club_id", "endpoint_id", "created_at", "id"], "deliveries_club_list_idx");
		t.check("status IN ('pending', 'delivered', 'failed')", [], "deliveries_status_check");
	});
	// The workers' queue spans every club (one claim picks the due deliveries of all of
	// them), so this one index cannot start with club_id; it holds pending rows only.
	await knex.raw(`CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending'`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTable("deliveries");
	await knex.schema.dropTable("secrets");
	await knex.schema.dropTable("endpoints");
}
