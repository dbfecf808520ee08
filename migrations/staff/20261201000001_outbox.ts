/** The transactional outbox (mixins/outbox.mixin.ts): each change's entry, written in the change's transaction. */
import type { Knex } from "knex";
import { createOutboxTable, dropOutboxTable } from "../../mixins/outbox.mixin";

export async function up(knex: Knex): Promise<void> {
	await createOutboxTable(knex, "staff");
}

export async function down(knex: Knex): Promise<void> {
	await dropOutboxTable(knex, "staff");
}
