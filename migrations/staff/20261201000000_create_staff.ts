/**
 * Staff members (people who sign in), their invitations and sessions, and the sign-in
 * throttle. Secrets (invitation tokens, session tokens) are kept only as SHA-256; passwords
 * only as argon2id PHC strings.
 *
 * Two lookups are global by nature and so are indexed without club_id first, as api_keys'
 * key_hash is: a token's hash (the token names its club), and a sign-in's e-mail (the person
 * has not said which club yet). The throttle counts failures per e-mail across clubs and
 * keeps only the e-mail's hash.
 */
import type { Knex } from "knex";

const ts = (t: Knex.CreateTableBuilder, knex: Knex, name: string) =>
	t.timestamp(name, { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));

export async function up(knex: Knex): Promise<void> {
	await knex.schema.createTable("members", t => {
		t.uuid("id").primary();
		t.uuid("club_id").notNullable();
		t.text("name").notNullable();
		t.text("email").notNullable();
		t.text("role").notNullable().checkIn(["admin", "staff", "viewer"], "members_role_check");
		t.text("status").notNullable().checkIn(["invited", "active", "disabled"], "members_status_check");
		t.text("password_hash");
		t.timestamp("last_sign_in_at", { useTz: true, precision: 3 });
		ts(t, knex, "created_at");
		ts(t, knex, "updated_at");
		t.unique(["club_id", "email"], { indexName: "members_club_email_key" });
		t.index(["club_id", "created_at", "id"], "members_club_created_idx");
		t.index(["email"], "members_email_idx");
	});
	await knex.schema.createTable("invitations", t => {
		t.uuid("id").primary();
		t.uuid("club_id").notNullable();
		t.uuid("member_id").notNullable().references("id").inTable("members").onDelete("CASCADE");
		t.string("token_hash", 64).notNullable().unique();
		t.timestamp("expires_at", { useTz: true, precision: 3 }).notNullable();
		t.timestamp("used_at", { useTz: true, precision: 3 });
		ts(t, knex, "created_at");
		t.index(["club_id", "member_id"], "invitations_club_member_idx");
	});
	await knex.schema.createTable("sessions", t => {
		t.uuid("id").primary();
		t.uuid("club_id").notNullable();
		t.string("token_hash", 64).notNullable().unique();
		// A member's session, or one opened with an API key (then the key's id, name and role).
		t.uuid("member_id").references("id").inTable("members").onDelete("CASCADE");
		t.uuid("key_id");
		t.text("key_name");
		t.text("key_role").checkIn(["admin", "staff", "viewer"], "sessions_key_role_check");
		ts(t, knex, "created_at");
		ts(t, knex, "last_used_at");
		t.index(["club_id", "member_id"], "sessions_club_member_idx");
		t.index(["club_id", "key_id"], "sessions_club_key_idx");
	});
	await knex.raw(`ALTER TABLE sessions ADD CONSTRAINT sessions_owner_check CHECK ((member_id IS NULL) <> (key_id IS NULL))`);
	await knex.schema.createTable("sign_in_failures", t => {
		t.bigIncrements("id");
		t.string("email_hash", 64).notNullable();
		t.timestamp("failed_at", { useTz: true, precision: 3 }).notNullable().defaultTo(knex.raw("clock_timestamp()"));
		t.index(["email_hash", "failed_at"], "sign_in_failures_email_idx");
	});
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTable("sign_in_failures");
	await knex.schema.dropTable("sessions");
	await knex.schema.dropTable("invitations");
	await knex.schema.dropTable("members");
}
