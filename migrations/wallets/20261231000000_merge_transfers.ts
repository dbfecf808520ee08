/**
 * Merging two clients (POST /clients/:id/merge) carries a balance over through the ledger: a
 * `transfer_out` entry empties the source's wallet and a `transfer_in` entry credits the
 * target's wallet of that currency by the same amount (reference "merge:<sourceId>"). A
 * balance may exceed a single movement's 1 000 000 000, so a transfer may too.
 * `merges` records, per merge id, whether this service applied that merge's wallet step
 * (with what it did) or refused it for good: the merge's coordinator (clients) asks when it
 * cannot tell, and the first of the two to be written wins (the primary key).
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.raw(`ALTER TABLE transactions DROP CONSTRAINT transactions_type_check`);
	await knex.raw(`ALTER TABLE transactions ADD CONSTRAINT transactions_type_check CHECK (type IN ('top_up', 'debit', 'refund', 'transfer_out', 'transfer_in'))`);
	await knex.raw(`ALTER TABLE transactions DROP CONSTRAINT transactions_amount_check`);
	await knex.raw(`ALTER TABLE transactions ADD CONSTRAINT transactions_amount_check CHECK (amount >= 1 AND (amount <= 1000000000 OR type IN ('transfer_out', 'transfer_in')))`);
	await knex.schema.createTable("merges", t => {
		t.uuid("club_id").notNullable();
		t.uuid("merge_id").notNullable();
		t.uuid("source_id").notNullable();
		t.uuid("target_id").notNullable();
		t.text("status").notNullable();
		t.jsonb("result");
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.primary(["club_id", "merge_id"]);
		t.check("status IN ('applied', 'aborted')", [], "merges_status_check");
	});
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTable("merges");
	await knex.raw(`ALTER TABLE transactions DROP CONSTRAINT transactions_amount_check`);
	await knex.raw(`ALTER TABLE transactions ADD CONSTRAINT transactions_amount_check CHECK (amount BETWEEN 1 AND 1000000000)`);
	await knex.raw(`ALTER TABLE transactions DROP CONSTRAINT transactions_type_check`);
	await knex.raw(`ALTER TABLE transactions ADD CONSTRAINT transactions_type_check CHECK (type IN ('top_up', 'debit', 'refund'))`);
}
