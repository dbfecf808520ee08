import type { Knex } from "knex";

/** Which request first used each Idempotency-Key of a club, on any route (services/clubs/clubs.claims.ts). */
export async function up(knex: Knex): Promise<void> {
	await knex.schema.createTable("idempotency_claims", t => {
		t.uuid("club_id").notNullable();
		t.string("key", 255).notNullable();
		t.string("request_hash", 64).notNullable();
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
		t.primary(["club_id", "key"]);
	});
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTable("idempotency_claims");
}
