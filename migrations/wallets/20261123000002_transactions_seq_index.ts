/** The ledger is listed newest first by `seq` (the order entries were applied). */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.raw(`CREATE INDEX transactions_wallet_seq_idx ON transactions (club_id, wallet_id, seq DESC)`);
	await knex.raw(`DROP INDEX transactions_wallet_idx`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.raw(`CREATE INDEX transactions_wallet_idx ON transactions (club_id, wallet_id, created_at DESC, seq DESC)`);
	await knex.raw(`DROP INDEX transactions_wallet_seq_idx`);
}
