/** Pure queries of the webhooks schema: (db | trx, args) -> rows. */
import type { Knex } from "knex";
import { NOW } from "../../lib/sql";

type Db = Knex | Knex.Transaction;

export const ENDPOINT_STATUSES = ["active", "paused"] as const;
export type EndpointStatus = (typeof ENDPOINT_STATUSES)[number];
export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** How long a rotated-out secret keeps signing beside the new one. */
const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

export interface EndpointRow {
	id: string;
	club_id: string;
	url: string;
	events: string[];
	description: string | null;
	status: EndpointStatus;
	created_at: Date;
	updated_at: Date;
}

export interface DeliveryRow {
	id: string;
	club_id: string;
	endpoint_id: string;
	event_id: string;
	type: string;
	body: string;
	status: DeliveryStatus;
	attempts: number;
	schedule_pos: number;
	last_status: number | null;
	last_error: string | null;
	next_attempt_at: Date | null;
	lease_until: Date | null;
	lease_token: string | null;
	delivered_at: Date | null;
	created_at: Date;
	updated_at: Date;
}

/** A claimed delivery with what the attempt needs: its endpoint's URL and sealed secrets. */
export interface ClaimedRow {
	id: string;
	club_id: string;
	endpoint_id: string;
	body: string;
	schedule_pos: number;
	url: string;
	secrets: string[] | null;
}


// ---------------------------------------------------------------- endpoints

export const endpointsOfClub = (db: Db, clubId: string) => db<EndpointRow>("endpoints").where({ club_id: clubId });

export const findEndpoint = (db: Db, clubId: string, id: string): Promise<EndpointRow | undefined> =>
	db<EndpointRow>("endpoints").where({ club_id: clubId, id }).first();

export const lockEndpoint = (trx: Knex.Transaction, clubId: string, id: string): Promise<EndpointRow | undefined> =>
	trx<EndpointRow>("endpoints").where({ club_id: clubId, id }).forUpdate().first();

export async function insertEndpoint(trx: Knex.Transaction, row: Pick<EndpointRow, "id" | "club_id" | "url" | "events" | "description" | "status">, sealedSecret: string, secretId: string): Promise<EndpointRow> {
	const [ep] = await trx<EndpointRow>("endpoints").insert(row).returning("*");
	await trx("secrets").insert({ id: secretId, club_id: row.club_id, endpoint_id: row.id, sealed: sealedSecret });
	return ep;
}

export async function updateEndpoint(trx: Knex.Transaction, clubId: string, id: string, changes: Partial<Pick<EndpointRow, "url" | "events" | "description" | "status">>): Promise<EndpointRow> {
	const [ep] = await trx<EndpointRow>("endpoints")
		.where({ club_id: clubId, id })
		.update({ ...changes, updated_at: trx.raw(NOW) } as any)
		.returning("*");
	return ep;
}

/** Deletes the endpoint with its secrets and deliveries (ON DELETE CASCADE). */
export const deleteEndpoint = (db: Db, clubId: string, id: string): Promise<number> => db("endpoints").where({ club_id: clubId, id }).delete();

/**
 * Rotation: the current secret (and any still overlapping) expires within 24 h, spent ones
 * go, and the new one becomes current. Answers when the old one stops signing.
 */
export async function rotateSecret(trx: Knex.Transaction, clubId: string, endpointId: string, secretId: string, sealed: string): Promise<Date> {
	await trx("secrets").where({ club_id: clubId, endpoint_id: endpointId }).where("expires_at", "<=", trx.raw("now()")).delete();
	const [{ until }] = (await trx.raw(`SELECT ${NOW} + (? * interval '1 millisecond') AS until`, [ROTATION_OVERLAP_MS])).rows;
	await trx("secrets").where({ club_id: clubId, endpoint_id: endpointId }).whereNull("expires_at").update({ expires_at: until });
	await trx("secrets").insert({ id: secretId, club_id: clubId, endpoint_id: endpointId, sealed });
	return until;
}

// ---------------------------------------------------------------- deliveries

/** An endpoint's deliveries, of one status when given (GET /webhooks/:id/deliveries pages them). */
export const deliveriesOf = (db: Db, clubId: string, endpointId: string, status?: DeliveryStatus) => {
	const q = db<DeliveryRow>("deliveries").where({ club_id: clubId, endpoint_id: endpointId });
	if (status) q.where({ status });
	return q;
};

export const findDelivery = (db: Db, clubId: string, endpointId: string, id: string): Promise<DeliveryRow | undefined> =>
	db<DeliveryRow>("deliveries").where({ club_id: clubId, endpoint_id: endpointId, id }).first();

export type NewDelivery = Pick<DeliveryRow, "id" | "club_id" | "endpoint_id" | "event_id" | "type" | "body">;

/** Inserts deliveries due now; one event reaches an endpoint once (a replayed event is a no-op). */
export async function insertDeliveries(db: Db, rows: NewDelivery[]): Promise<DeliveryRow[]> {
	if (!rows.length) return [];
	return db<DeliveryRow>("deliveries")
		.insert(rows.map(r => ({ ...r, next_attempt_at: db.raw(NOW) })) as any)
		.onConflict(["club_id", "endpoint_id", "event_id"])
		.ignore()
		.returning("*");
}

/** The club's endpoints that take the event type (paused ones too: they deliver on resume). */
export const endpointsFor = (db: Db, clubId: string, type: string): Promise<EndpointRow[]> =>
	db<EndpointRow>("endpoints").where({ club_id: clubId }).whereRaw("(events && ARRAY[?, '*']::text[])", [type]);

/**
 * Manual retry: due now with a fresh retry schedule. A delivery another node is sending
 * right now (leased) is left alone: answers undefined for it.
 */
export async function rearmDelivery(db: Db, clubId: string, endpointId: string, id: string): Promise<DeliveryRow | undefined> {
	const [row] = await db<DeliveryRow>("deliveries")
		.where({ club_id: clubId, endpoint_id: endpointId, id })
		.where(b => b.whereNull("lease_until").orWhere("lease_until", "<=", db.raw("now()")))
		.update({ status: "pending", schedule_pos: 0, next_attempt_at: db.raw(NOW), lease_until: null, lease_token: null, updated_at: db.raw(NOW) } as any)
		.returning("*");
	return row;
}

/**
 * Claims up to `limit` due deliveries of active endpoints for `leaseMs`, across clubs.
 * SKIP LOCKED: concurrent claimers never wait for nor take each other's rows; the lease
 * keeps a claimed row out of every other claim until it expires (the node died mid-send),
 * when it is due again. Answers each row with its URL and sealed, still valid secrets.
 */
export async function claimDue(db: Knex, limit: number, leaseMs: number, token: string): Promise<ClaimedRow[]> {
	const res = await db.raw(
		`WITH due AS (
			SELECT d.id FROM deliveries d
			JOIN endpoints e ON e.club_id = d.club_id AND e.id = d.endpoint_id
			WHERE d.status = 'pending' AND d.next_attempt_at <= now()
			  AND (d.lease_until IS NULL OR d.lease_until <= now())
			  AND e.status = 'active'
			ORDER BY d.next_attempt_at
			LIMIT ?
			FOR UPDATE OF d SKIP LOCKED
		)
		UPDATE deliveries d SET lease_until = now() + (? * interval '1 millisecond'), lease_token = ?
		FROM due, endpoints e
		WHERE d.id = due.id AND e.club_id = d.club_id AND e.id = d.endpoint_id
		RETURNING d.id, d.club_id, d.endpoint_id, d.body, d.schedule_pos, e.url,
			(SELECT array_agg(s.sealed ORDER BY s.created_at DESC) FROM secrets s
			 WHERE s.club_id = d.club_id AND s.endpoint_id = d.endpoint_id AND (s.expires_at IS NULL OR s.expires_at > now())) AS secrets`,
		[limit, leaseMs, token],
	);
	return res.rows;
}

/** The attempt went through: delivered (only while this claim still holds the row). */
export const markDelivered = (db: Knex, id: string, token: string, status: number) =>
	db("deliveries")
		.where({ id, lease_token: token })
		.update({
			status: "delivered",
			attempts: db.raw("attempts + 1"),
			last_status: status,
			last_error: null,
			next_attempt_at: null,
			lease_until: null,
			lease_token: null,
			delivered_at: db.raw(NOW),
			updated_at: db.raw(NOW),
		});

/** The attempt failed: due again after `retryInMs`, or failed for good when null. */
export const markFailed = (db: Knex, id: string, token: string, status: number | null, error: string, retryInMs: number | null) =>
	db("deliveries")
		.where({ id, lease_token: token })
		.update({
			status: retryInMs === null ? "failed" : "pending",
			attempts: db.raw("attempts + 1"),
			schedule_pos: db.raw("schedule_pos + 1"),
			last_status: status,
			last_error: error,
			next_attempt_at: retryInMs === null ? null : db.raw(`${NOW} + (? * interval '1 millisecond')`, [retryInMs]),
			lease_until: null,
			lease_token: null,
			updated_at: db.raw(NOW),
		});

/** Deletes up to `limit` deliveries finished (delivered or failed) more than `keepDays` ago, across clubs. */
export async function pruneFinished(db: Knex, keepDays: number, limit = 1000): Promise<number> {
	const res = await db.raw(
		`DELETE FROM deliveries WHERE id IN (
			SELECT id FROM deliveries WHERE status <> 'pending' AND updated_at < now() - (? * interval '1 day') LIMIT ?
		)`,
		[keepDays, limit],
	);
	return res.rowCount ?? 0;
}
