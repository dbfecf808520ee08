/**
 * Client merges (POST /clients/:id/merge), coordinated by clients across services: one row
 * per merge, written before any other service is asked to change anything, with the plan and,
 * once done, what moved. A merge left `running` (its node died, or the wallets could not be
 * reached) is resolved by any clients node: completed if the wallets applied their step,
 * otherwise called off with both clients as they were (services/clients/clients.merge.ts).
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.schema.withSchema("clients").createTable("merges", t => {
		t.uuid("club_id").notNullable();
		t.uuid("id").notNullable();
		t.uuid("target_id").notNullable();
		t.uuid("source_id").notNullable();
		t.text("status").notNullable();
		t.jsonb("plan").notNullable();
		t.jsonb("result");
		t.text("error");
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.timestamp("updated_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.primary(["club_id", "id"]);
		t.check("status IN ('running', 'completed', 'aborted')", [], "merges_status_check");
	});
	// The merges still to resolve (few; the recovery sweep reads them across clubs).
	await knex.raw(`CREATE INDEX merges_club_running_idx ON clients.merges (club_id, updated_at) WHERE status = 'running'`);
	await knex.raw(`CREATE INDEX merges_club_target_idx ON clients.merges (club_id, target_id)`);
	await knex.raw(`CREATE INDEX merges_club_source_idx ON clients.merges (club_id, source_id)`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.withSchema("clients").dropTableIfExists("merges");
}
