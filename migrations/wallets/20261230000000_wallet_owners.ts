/**
 * One row per client that has (or had) wallets, taken FOR UPDATE by both the opening of a
 * wallet and the closing of the client's wallets, so the two never interleave: a wallet
 * opened while its client is being deleted is either seen (and closed) by the deletion, or
 * is refused because the owner is already closed.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.schema.createTable("wallet_owners", t => {
		t.uuid("club_id").notNullable();
		t.uuid("client_id").notNullable();
		t.timestamp("closed_at", { useTz: true, precision: 3 });
		t.primary(["club_id", "client_id"]);
	});
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTable("wallet_owners");
}
