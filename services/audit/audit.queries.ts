/** The audit trail's queries: (db | trx, args) -> rows. */
import type { Knex } from "knex";
import type { OutboxMessage } from "../../mixins/outbox.mixin";
import type { ListAuditParams } from "./audit.contract";

export interface EntryRow {
	club_id: string;
	id: string;
	at: Date;
	service: string;
	action: string;
	actor_type: string;
	actor_id: string;
	actor_name: string | null;
	request_id: string | null;
	target_type: string;
	target_id: string;
	changes: Record<string, [unknown, unknown]> | null;
}

/** GET /audit's filters (from and to already ISO instants). */
export type EntryFilter = Omit<ListAuditParams, "limit" | "cursor">;

const toRow = (m: OutboxMessage) => ({
	club_id: m.clubId,
	id: m.id,
	at: m.at,
	service: m.service,
	action: m.action,
	actor_type: m.actor?.type ?? "service",
	actor_id: String(m.actor?.id ?? m.service),
	actor_name: m.actor?.name ?? null,
	request_id: m.requestId ?? null,
	target_type: m.target.type,
	target_id: String(m.target.id),
	changes: m.changes ?? null,
});

/**
 * Stores entries in one statement; one already there (a redelivery) is left as it is, and one
 * whose target was erased before it arrived (messages come in any order) keeps no personal value.
 */
export async function insertEntries(db: Knex | Knex.Transaction, messages: OutboxMessage[]): Promise<void> {
	if (!messages.length) return;
	await db.raw(
		`INSERT INTO entries (club_id, id, at, service, action, actor_type, actor_id, actor_name, request_id, target_type, target_id, changes)
		 SELECT r.club_id, r.id, r.at, r.service, r.action, r.actor_type, r.actor_id, r.actor_name, r.request_id, r.target_type, r.target_id,
		        CASE WHEN r.changes IS NOT NULL AND EXISTS (SELECT 1 FROM erased x WHERE x.club_id = r.club_id AND x.target_type = r.target_type AND x.target_id = r.target_id)
		             THEN audit.without_personal(r.changes) ELSE r.changes END
		   FROM jsonb_to_recordset(?::jsonb) AS r(club_id uuid, id uuid, at timestamptz, service text, action text, actor_type text, actor_id text,
		        actor_name text, request_id text, target_type text, target_id text, changes jsonb)
		 ON CONFLICT (club_id, id) DO NOTHING`,
		[JSON.stringify(messages.map(toRow))],
	);
}

/** Marks targets erased and strips the personal values of every entry they have. */
export async function eraseTargets(db: Knex | Knex.Transaction, targets: Array<{ clubId: string; type: string; id: string }>): Promise<void> {
	if (!targets.length) return;
	await db("erased")
		.insert(targets.map(t => ({ club_id: t.clubId, target_type: t.type, target_id: t.id })))
		.onConflict(["club_id", "target_type", "target_id"])
		.ignore();
	await db("entries")
		.whereIn(["club_id", "target_type", "target_id"], targets.map(t => [t.clubId, t.type, t.id]))
		.whereNotNull("changes")
		.update({ changes: db.raw("audit.without_personal(changes)") });
}

export function entriesOfClub(db: Knex, clubId: string, f: EntryFilter): Knex.QueryBuilder {
	const q = db("entries").where({ club_id: clubId });
	if (f.targetType) q.where({ target_type: f.targetType });
	if (f.targetId) q.where({ target_id: f.targetId });
	if (f.actorId) q.where({ actor_id: f.actorId });
	if (f.action) q.where({ action: f.action });
	if (f.from) q.where("at", ">=", f.from);
	if (f.to) q.where("at", "<=", f.to);
	return q;
}
