/**
 * Wallets and their ledger.
 *   - wallets: one per (club, client, currency); balance is int8 minor units, CHECK >= 0, so
 *     no code path can ever leave it negative (debits are a conditional UPDATE on it).
 *   - transactions: the immutable ledger. A trigger raises on UPDATE, DELETE and TRUNCATE.
 *     `seq` orders a wallet's entries exactly as they were applied (it is taken under the
 *     wallet's row lock), `created_at` is clock_timestamp() at insert, also under that lock.
 *   - idempotency_keys: IdempotencyMixin's records (movement + balance + answer in one commit).
 * The service's own role may not TRUNCATE (db.mixin grants it SELECT/INSERT/UPDATE/DELETE);
 * the trigger also stops the owner and any other role.
 */
import type { Knex } from "knex";
import { createIdempotencyTable } from "../../mixins/idempotency.mixin";

export async function up(knex: Knex): Promise<void> {
	await knex.schema.createTable("wallets", t => {
		t.uuid("id").primary();
		t.uuid("club_id").notNullable();
		t.uuid("client_id").notNullable();
		t.specificType("currency", "char(3)").notNullable();
		t.bigInteger("balance").notNullable().defaultTo(0);
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.timestamp("updated_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.unique(["club_id", "id"]);
		t.unique(["club_id", "client_id", "currency"], { indexName: "wallets_club_client_currency_uq" });
		t.check("balance >= 0", [], "wallets_balance_not_negative");
		// Balances stay exact as JavaScript numbers.
		t.check("balance <= 9007199254740991", [], "wallets_balance_max");
		t.check("currency ~ '^[A-Z]{3}$'", [], "wallets_currency_format");
	});

	await knex.schema.createTable("transactions", t => {
		t.uuid("id").primary();
		t.bigIncrements("seq", { primaryKey: false });
		t.uuid("club_id").notNullable();
		t.uuid("wallet_id").notNullable();
		t.text("type").notNullable();
		t.bigInteger("amount").notNullable();
		t.bigInteger("balance_after").notNullable();
		t.text("reference");
		t.uuid("refund_of");
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', clock_timestamp())"));
		t.unique(["club_id", "id"]);
		t.foreign(["club_id", "wallet_id"]).references(["club_id", "id"]).inTable("wallets");
		t.foreign(["club_id", "refund_of"]).references(["club_id", "id"]).inTable("transactions");
		t.check("type IN ('top_up', 'debit', 'refund')", [], "transactions_type_check");
		t.check("amount BETWEEN 1 AND 1000000000", [], "transactions_amount_check");
		t.check("balance_after >= 0", [], "transactions_balance_after_check");
		t.check("(type = 'refund') = (refund_of IS NOT NULL)", [], "transactions_refund_of_check");
	});
	await knex.raw(`CREATE INDEX transactions_wallet_idx ON transactions (club_id, wallet_id, created_at DESC, seq DESC)`);
	await knex.raw(`CREATE INDEX transactions_refund_of_idx ON transactions (club_id, refund_of) WHERE refund_of IS NOT NULL`);

	await knex.raw(`
		CREATE FUNCTION transactions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			RAISE EXCEPTION 'wallet ledger entries are immutable: % on transactions is not allowed', TG_OP
				USING ERRCODE = 'restrict_violation';
		END
		$$`);
	await knex.raw(`CREATE TRIGGER transactions_no_update_delete BEFORE UPDATE OR DELETE ON transactions FOR EACH ROW EXECUTE FUNCTION transactions_immutable()`);
	await knex.raw(`CREATE TRIGGER transactions_no_truncate BEFORE TRUNCATE ON transactions FOR EACH STATEMENT EXECUTE FUNCTION transactions_immutable()`);

	await createIdempotencyTable(knex);
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTable("idempotency_keys");
	await knex.raw("DROP TABLE transactions");
	await knex.raw("DROP FUNCTION transactions_immutable()");
	await knex.schema.dropTable("wallets");
}
