/**
 * A deleted client's wallets are closed: no money goes into them any more (it could never be
 * spent by anyone). Closing checks the balance under the wallets' row locks, so a top-up
 * racing the deletion either lands first (and the deletion is refused) or is refused.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.raw(`ALTER TABLE wallets ADD COLUMN closed_at timestamptz`);
}

export async function down(knex: Knex): Promise<void> {
	await knex.raw(`ALTER TABLE wallets DROP COLUMN closed_at`);
}
