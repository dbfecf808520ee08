import type { Knex } from "knex";

/**
 * Categories (a discount per category) and product access rules (which groups may see or
 * book a product of the booking system). A rule's groups reference the club's groups, so a
 * deleted group leaves every rule by itself (ON DELETE CASCADE) and a group deleted while a
 * rule is written makes that write fail instead of pointing at nothing.
 */
export async function up(knex: Knex): Promise<void> {
	await knex.schema.createTable("categories", t => {
		t.uuid("id").primary();
		t.uuid("club_id").notNullable();
		t.text("name").notNullable();
		t.text("description");
		t.decimal("discount_percent", 5, 2).notNullable().defaultTo(0);
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.timestamp("updated_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.unique(["club_id", "id"]);
		t.check("discount_percent >= 0 AND discount_percent <= 100", [], "categories_discount_percent_check");
	});
	await knex.raw(`CREATE UNIQUE INDEX categories_club_name_uq ON categories (club_id, lower(name))`);

	await knex.schema.createTable("product_access_rules", t => {
		t.uuid("club_id").notNullable();
		t.text("product_id").notNullable();
		t.text("kind").notNullable();
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.timestamp("updated_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.primary(["club_id", "product_id"]);
		t.check("kind IN ('product', 'activity')", [], "product_access_rules_kind_check");
	});

	await knex.schema.createTable("product_access_groups", t => {
		t.uuid("club_id").notNullable();
		t.text("product_id").notNullable();
		t.uuid("group_id").notNullable();
		t.primary(["club_id", "product_id", "group_id"]);
		t.foreign(["club_id", "product_id"]).references(["club_id", "product_id"]).inTable("product_access_rules").onDelete("CASCADE");
		t.foreign(["club_id", "group_id"]).references(["club_id", "id"]).inTable("groups").onDelete("CASCADE");
		t.index(["club_id", "group_id"], "product_access_groups_club_group_idx");
	});
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTable("product_access_groups");
	await knex.schema.dropTable("product_access_rules");
	await knex.schema.dropTable("categories");
}
