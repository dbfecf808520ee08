import type { Knex } from "knex";

/**
 * Mismatching guesses against a verified profile, per club and e-mail, in the current hour
 * (services/clients/clients.profile-throttle.ts): shared by every node, so the limit holds
 * however the requests are spread.
 */
export async function up(knex: Knex): Promise<void> {
	await knex.schema.createTable("profile_attempts", t => {
		t.uuid("club_id").notNullable();
		t.text("email").notNullable();
		t.timestamp("window_start", { useTz: true, precision: 3 }).notNullable();
		t.integer("attempts").notNullable();
		t.primary(["club_id", "email"]);
	});
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTable("profile_attempts");
}
