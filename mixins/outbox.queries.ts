/** The outbox table's statements (mixins/outbox.mixin.ts): the migration helpers, the writes of recordChange and the relay's. */
import type { Knex } from "knex";
import { NOW } from "../lib/sql";
import type { Actor } from "./outbox.mixin";

type Db = Knex | Knex.Transaction;

/** Migration helper: the service's own outbox table (in the schema the migration runs for). */
export async function createOutboxTable(knex: Knex, schema: string): Promise<void> {
	await knex.schema.withSchema(schema).createTable("outbox", t => {
		t.uuid("club_id").notNullable();
		t.uuid("id").notNullable();
		t.timestamp("at", { useTz: true, precision: 3 }).notNullable();
		t.text("service").notNullable();
		t.text("action").notNullable();
		t.jsonb("actor").notNullable();
		t.text("request_id");
		t.text("target_type").notNullable();
		t.text("target_id").notNullable();
		t.jsonb("changes");
		t.jsonb("event");
		t.timestamp("published_at", { useTz: true, precision: 3 });
		t.primary(["club_id", "id"]);
	});
	// What the relay scans: only unpublished rows are in it, so it stays small.
	await knex.raw(`CREATE INDEX outbox_unpublished ON ??.outbox (club_id, at) WHERE published_at IS NULL`, [schema]);
	await knex.raw(`CREATE INDEX outbox_published ON ??.outbox (club_id, published_at) WHERE published_at IS NOT NULL`, [schema]);
}

export async function dropOutboxTable(knex: Knex, schema: string): Promise<void> {
	await knex.schema.withSchema(schema).dropTableIfExists("outbox");
}

export interface OutboxRow {
	club_id: string;
	id: string;
	at: Date;
	service: string;
	action: string;
	actor: Actor;
	request_id: string | null;
	target_type: string;
	target_id: string;
	changes: Record<string, [unknown, unknown]> | null;
	event: { type: string; data: unknown } | null;
}

/** A row as recordChange writes it (actor, changes and event as JSON text). */
export type NewOutboxRow = Omit<OutboxRow, "actor" | "changes" | "event"> & { actor: string; changes: string | null; event: string | null };

/** The change's entries, in the caller's transaction (a thousand per statement). */
export async function insertEntries(db: Db, rows: NewOutboxRow[]): Promise<void> {
	for (let i = 0; i < rows.length; i += 1000) await db("outbox").insert(rows.slice(i, i + 1000));
}

/** Unpublished rows, oldest first, that no other relay holds (locked until the transaction ends). */
export const takeUnpublished = (trx: Knex.Transaction, limit: number): Promise<OutboxRow[]> =>
	trx("outbox").whereNull("published_at").orderBy("at").limit(limit).forUpdate().skipLocked();

export const markPublished = (trx: Knex.Transaction, rows: Array<Pick<OutboxRow, "club_id" | "id">>) =>
	trx("outbox")
		.whereIn(["club_id", "id"], rows.map(r => [r.club_id, r.id]))
		.update({ published_at: trx.raw(NOW) });

export const prunePublished = (db: Db, before: Date) => db("outbox").whereNotNull("published_at").where("published_at", "<", before).delete();
