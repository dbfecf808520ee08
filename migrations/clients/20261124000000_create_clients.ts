/**
 * The clients schema: clients (tombstones keep the id after erasure), their categories,
 * the platform's verified profiles and their links to clients, idempotency records.
 * Search: name by trigram on an immutable unaccent wrapper, e-mail by prefix (C collation),
 * phone digits by trigram; every index on a tenant table starts with club_id (btree_gin).
 */
import type { Knex } from "knex";
import { createIdempotencyTable } from "../../mixins/idempotency.mixin";

export async function up(knex: Knex): Promise<void> {
	// Extensions are database-wide; they live in public (the search path's fallback).
	await knex.raw("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public");
	await knex.raw("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public");
	await knex.raw("CREATE EXTENSION IF NOT EXISTS btree_gin WITH SCHEMA public");
	// unaccent() is only STABLE (it reads its dictionary by name); naming the dictionary makes it safe to index.
	await knex.raw(`
		CREATE FUNCTION clients.search_text(text) RETURNS text
		LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
		AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$`);

	await knex.schema.withSchema("clients").createTable("clients", t => {
		t.uuid("club_id").notNullable();
		t.uuid("id").notNullable();
		t.text("full_name");
		t.specificType("email", `text COLLATE "C"`);
		t.specificType("phone", `text COLLATE "C"`);
		t.text("gender");
		t.specificType("country", "char(2)");
		t.date("birth_date");
		t.text("notes");
		t.uuid("group_id").notNullable();
		t.specificType("tags", "text[]").notNullable().defaultTo("{}");
		t.boolean("verified").notNullable().defaultTo(false);
		t.text("source").notNullable();
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.timestamp("updated_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.timestamp("deleted_at", { useTz: true, precision: 3 });
		t.primary(["club_id", "id"]);
		t.check("source IN ('staff', 'import', 'online')", [], "clients_source_check");
		t.check("gender IS NULL OR gender IN ('female', 'male', 'other')", [], "clients_gender_check");
		t.check(
			"deleted_at IS NOT NULL OR (full_name IS NOT NULL AND email IS NOT NULL AND phone IS NOT NULL AND gender IS NOT NULL AND country IS NOT NULL)",
			[],
			"clients_live_identity_check",
		);
	});
	// One live client per e-mail in a club (tombstones free the address); also serves e-mail prefix search.
	await knex.raw(`CREATE UNIQUE INDEX clients_club_email_uq ON clients.clients (club_id, email) WHERE deleted_at IS NULL`);
	await knex.raw(`CREATE INDEX clients_club_created_idx ON clients.clients (club_id, created_at DESC, id DESC) WHERE deleted_at IS NULL`);
	await knex.raw(`CREATE INDEX clients_club_group_idx ON clients.clients (club_id, group_id)`);
	await knex.raw(`CREATE INDEX clients_club_tags_gin ON clients.clients USING gin (club_id, tags) WHERE deleted_at IS NULL`);
	await knex.raw(`CREATE INDEX clients_club_name_trgm ON clients.clients USING gin (club_id, clients.search_text(full_name) public.gin_trgm_ops) WHERE deleted_at IS NULL`);
	await knex.raw(`CREATE INDEX clients_club_phone_trgm ON clients.clients USING gin (club_id, phone public.gin_trgm_ops) WHERE deleted_at IS NULL`);

	await knex.schema.withSchema("clients").createTable("client_categories", t => {
		t.uuid("club_id").notNullable();
		t.uuid("client_id").notNullable();
		t.uuid("category_id").notNullable();
		t.date("valid_from");
		t.date("valid_until");
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.primary(["club_id", "client_id", "category_id"]);
		t.foreign(["club_id", "client_id"]).references(["club_id", "id"]).inTable("clients.clients").onDelete("CASCADE");
		t.check("valid_from IS NULL OR valid_until IS NULL OR valid_from <= valid_until", [], "client_categories_validity_check");
	});
	await knex.raw(`CREATE INDEX client_categories_club_category_idx ON clients.client_categories (club_id, category_id)`);

	// Platform-wide (not per club): the booking platform's verified identities, keyed by e-mail.
	await knex.schema.withSchema("clients").createTable("verified_profiles", t => {
		t.specificType("email", `text COLLATE "C"`).primary();
		t.text("full_name").notNullable();
		t.text("phone").notNullable();
		t.text("gender").notNullable();
		t.specificType("country", "char(2)").notNullable();
		t.date("birth_date");
		t.timestamp("created_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
		t.timestamp("updated_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
	});
	// Which clients (in any club) follow a profile. Looked up by profile, so keyed by it.
	await knex.schema.withSchema("clients").createTable("verified_links", t => {
		t.specificType("email", `text COLLATE "C"`).notNullable().references("email").inTable("clients.verified_profiles").onDelete("CASCADE");
		t.uuid("club_id").notNullable();
		t.uuid("client_id").notNullable();
		t.primary(["email", "club_id", "client_id"]);
		t.foreign(["club_id", "client_id"]).references(["club_id", "id"]).inTable("clients.clients").onDelete("CASCADE");
	});
	await knex.raw(`CREATE INDEX verified_links_club_client_idx ON clients.verified_links (club_id, client_id)`);

	await createIdempotencyTable(knex);
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.withSchema("clients").dropTableIfExists("idempotency_keys");
	await knex.schema.withSchema("clients").dropTableIfExists("verified_links");
	await knex.schema.withSchema("clients").dropTableIfExists("verified_profiles");
	await knex.schema.withSchema("clients").dropTableIfExists("client_categories");
	await knex.schema.withSchema("clients").dropTableIfExists("clients");
	await knex.raw("DROP FUNCTION IF EXISTS clients.search_text(text)");
}
