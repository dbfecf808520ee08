/**
 * The audit trail: one row per committed change (fed by every service's outbox, idempotent on
 * the entry id), and the erased clients whose entries keep no personal values. Every index
 * starts with club_id; lists run newest first on (at, id).
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.schema.withSchema("audit").createTable("entries", t => {
		t.uuid("club_id").notNullable();
		t.uuid("id").notNullable();
		t.timestamp("at", { useTz: true, precision: 3 }).notNullable();
		t.text("service").notNullable();
		t.text("action").notNullable();
		t.text("actor_type").notNullable();
		t.text("actor_id").notNullable();
		t.text("actor_name");
		t.text("request_id");
		t.text("target_type").notNullable();
		t.text("target_id").notNullable();
		t.jsonb("changes");
		t.primary(["club_id", "id"]);
		t.index(["club_id", "at", "id"], "entries_by_time");
		t.index(["club_id", "target_type", "target_id", "at", "id"], "entries_by_target");
		t.index(["club_id", "actor_id", "at", "id"], "entries_by_actor");
		t.index(["club_id", "action", "at", "id"], "entries_by_action");
	});
	await knex.schema.withSchema("audit").createTable("erased", t => {
		t.uuid("club_id").notNullable();
		t.text("target_type").notNullable();
		t.text("target_id").notNullable();
		t.timestamp("erased_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.primary(["club_id", "target_type", "target_id"]);
	});
	// An erased client's entries keep their field names and these non-personal values; every other value becomes null.
	await knex.raw(`
		CREATE FUNCTION audit.without_personal(changes jsonb) RETURNS jsonb
		LANGUAGE sql IMMUTABLE PARALLEL SAFE
		AS $$
			SELECT CASE WHEN changes IS NULL OR jsonb_typeof(changes) <> 'object' THEN changes
			ELSE coalesce((
				SELECT jsonb_object_agg(k, CASE WHEN k IN ('groupId', 'verified', 'source') THEN v ELSE '[null, null]'::jsonb END)
				FROM jsonb_each(changes) AS f(k, v)), '{}'::jsonb)
			END
		$$`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.raw("DROP FUNCTION IF EXISTS audit.without_personal(jsonb)");
	await knex.schema.withSchema("audit").dropTableIfExists("erased");
	await knex.schema.withSchema("audit").dropTableIfExists("entries");
}
