/** Pure queries of the clients schema: (db | trx, args) -> rows. Every tenant query filters by club_id. */
import type { Knex } from "knex";
import type { Gender } from "../../lib/normalize/client";
import type { ClientSource } from "./clients.contract";
import { NOW } from "../../lib/sql";

type Db = Knex | Knex.Transaction;

export type Source = ClientSource;

export interface ClientRow {
	club_id: string;
	id: string;
	full_name: string;
	email: string;
	phone: string;
	gender: Gender;
	country: string;
	birth_date: string | null;
	notes: string | null;
	group_id: string;
	tags: string[];
	verified: boolean;
	source: Source;
	created_at: Date;
	updated_at: Date;
	deleted_at: Date | null;
}

export interface CategoryLinkRow {
	club_id: string;
	client_id: string;
	category_id: string;
	valid_from: string | null;
	valid_until: string | null;
	created_at: Date;
}

export interface VerifiedProfileRow {
	email: string;
	full_name: string;
	phone: string;
	gender: Gender;
	country: string;
	birth_date: string | null;
	created_at: Date;
	updated_at: Date;
}

export const liveClients = (db: Db, clubId: string) => db<ClientRow>("clients").where({ club_id: clubId }).whereNull("deleted_at");

export const findClient = (db: Db, clubId: string, id: string) => liveClients(db, clubId).where({ id }).first();

export type ClientWithCategories = ClientRow & { categories: CategoryLinkRow[] };

/** The category links of the client row `alias`, as one JSON array, oldest first. */
const categoriesOfRow = (alias: string) => `coalesce((
	SELECT json_agg(json_build_object('category_id', cc.category_id, 'valid_from', cc.valid_from, 'valid_until', cc.valid_until) ORDER BY cc.created_at, cc.category_id)
	  FROM client_categories cc WHERE cc.club_id = ${alias}.club_id AND cc.client_id = ${alias}.id), '[]') AS categories`;
const CATEGORIES_OF_C = categoriesOfRow("c");

/** Runs a named (prepared) statement: planned once per connection, not on every call. */
async function prepared<T>(db: Knex, name: string, text: string, values: unknown[]): Promise<T[]> {
	const client: any = (db as any).client;
	const conn = await client.acquireConnection();
	try {
		return (await conn.query({ name, text, values })).rows;
	} finally {
		await client.releaseConnection(conn);
	}
}

/** The live client with this e-mail and its category links, in one round trip. */
export async function findClientWithCategoriesByEmail(db: Knex, clubId: string, email: string): Promise<ClientWithCategories | undefined> {
	const text = `SELECT c.*, ${CATEGORIES_OF_C} FROM clients c WHERE c.club_id = $1 AND c.email = $2 AND c.deleted_at IS NULL`;
	return (await prepared<ClientWithCategories>(db, "clients.findWithCategories.email", text, [clubId, email]))[0];
}

/**
 * Live clients by (club, id) with their category links, any number in one round trip (the
 * booking system's hot path, clients.get on every booking, goes through ClientLoader).
 */
export async function findClientsWithCategories(db: Knex, keys: ReadonlyArray<{ clubId: string; id: string }>): Promise<ClientWithCategories[]> {
	const text = `SELECT c.*, ${CATEGORIES_OF_C}
		FROM unnest($1::uuid[], $2::uuid[]) AS k(club_id, id)
		JOIN clients c ON c.club_id = k.club_id AND c.id = k.id
		WHERE c.deleted_at IS NULL`;
	return prepared<ClientWithCategories>(db, "clients.findWithCategories.ids", text, [keys.map(k => k.clubId), keys.map(k => k.id)]);
}

export const findClientByEmail = (db: Db, clubId: string, email: string) => liveClients(db, clubId).where({ email }).first();

/** Category links of these clients, oldest first. */
export async function categoriesOf(db: Db, clubId: string, clientIds: string[]): Promise<Map<string, CategoryLinkRow[]>> {
	const out = new Map<string, CategoryLinkRow[]>();
	if (!clientIds.length) return out;
	const rows: CategoryLinkRow[] = await db<CategoryLinkRow>("client_categories")
		.where({ club_id: clubId })
		.whereIn("client_id", clientIds)
		.orderBy([{ column: "created_at" }, { column: "category_id" }]);
	for (const r of rows) {
		const list = out.get(r.client_id) ?? [];
		list.push(r);
		out.set(r.client_id, list);
	}
	return out;
}

/** A client as inserted: the database sets the timestamps. */
export type NewClientRow = Omit<ClientRow, "created_at" | "updated_at" | "deleted_at">;

/** Inserts unless a live client of the club has the e-mail (race-safe): the row, or null on conflict. */
export async function insertClient(db: Db, row: NewClientRow): Promise<ClientRow | null> {
	const res = await db.raw(
		`INSERT INTO clients (club_id, id, full_name, email, phone, gender, country, birth_date, notes, group_id, tags, verified, source)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::text[], ?, ?)
		 ON CONFLICT (club_id, email) WHERE deleted_at IS NULL DO NOTHING
		 RETURNING *`,
		[row.club_id, row.id, row.full_name, row.email, row.phone, row.gender, row.country, row.birth_date, row.notes, row.group_id, row.tags, row.verified, row.source],
	);
	return (res.rows[0] as ClientRow) ?? null;
}

export interface ListFilters {
	q?: string;
	groupId?: string;
	tag?: string;
	categoryId?: string;
	verified?: boolean;
}

/** How many trailing digits of a phone search the trigram index is asked for (see applyFilters). */
const PHONE_INDEX_DIGITS = 8;

/** Escapes LIKE's wildcards so user text matches literally. */
const likeEscape = (text: string) => text.replace(/[\\%_]/g, m => `\\${m}`);

/**
 * Applies the list filters. `q`: name substring (case- and accent-insensitive, trigram
 * index), or e-mail prefix, or phone digits (when `q` looks like a phone number).
 */
export function applyFilters(query: Knex.QueryBuilder, clubId: string, f: ListFilters): Knex.QueryBuilder {
	if (f.groupId !== undefined) query.where("clients.group_id", f.groupId);
	if (f.tag !== undefined) query.whereRaw("clients.tags @> ARRAY[?]::text[]", [f.tag]);
	if (f.verified !== undefined) query.where("clients.verified", f.verified);
	if (f.categoryId !== undefined) {
		query.whereExists(function (this: Knex.QueryBuilder) {
			this.select(1)
				.from("client_categories as cc")
				.where("cc.club_id", clubId)
				.whereRaw("cc.client_id = clients.id")
				.where("cc.category_id", f.categoryId!);
		});
	}
	const q = f.q?.trim();
	if (q) {
		// Phones are stored in E.164: a long run typed with a trunk or international prefix
		// (06… in France, 0034… from abroad) is looked for without its leading zeros.
		const typed = q.replace(/\D/g, "");
		const digits = typed.length >= 8 ? typed.replace(/^0+/, "") : typed;
		const phoneLike = /^[+\d\s().\-/]+$/.test(q) && digits.length >= 3;
		query.where(b => {
			b.whereRaw("clients.search_name LIKE '%' || clients.search_text(?) || '%'", [likeEscape(q)]);
			b.orWhere("clients.email", "like", `${likeEscape(q.toLowerCase())}%`);
			if (phoneLike && digits.length > PHONE_INDEX_DIGITS) {
				// A full number's leading digits (country code, mobile prefix) are in most phones:
				// the trigram index looks for the last digits, and the whole run is checked per row.
				b.orWhere(p => p.where("clients.phone", "like", `%${digits.slice(-PHONE_INDEX_DIGITS)}%`).andWhereRaw("strpos(clients.phone, ?) > 0", [digits]));
			} else if (phoneLike) b.orWhere("clients.phone", "like", `%${digits}%`);
		});
	}
	return query;
}

/** How many of the newest clients a filtered list looks at first, then at most (see listPage). */
const FIRST_PROBE_ROWS = 2_000;
const PROBE_ROWS = 10_000;

const NEWEST_FIRST = [
	{ column: "clients.created_at", order: "desc" },
	{ column: "clients.id", order: "desc" },
] as const;

/**
 * One page of the list, newest first, after a keyset position. With filters, two plans:
 *   1. the newest clients (an index walk) filtered: a common term or filter fills the page
 *      here, in a few milliseconds, however large the club. First the newest
 *      FIRST_PROBE_ROWS; if their hit rate says the page would fill within PROBE_ROWS, that
 *      many;
 *   2. otherwise the filters' own indexes (trigram, tags, group: a bitmap) and a sort of the
 *      matches: a rare term has few. The ORDER BY expression keeps the planner from walking
 *      the whole club in date order looking for rare matches.
 * Both answer exactly the same rows; the first is only a shortcut. A term with no hit among
 * the newest goes straight to the indexes, so it pays for a short walk only.
 */
export async function listPage(
	db: Db,
	clubId: string,
	filters: ListFilters,
	limit: number,
	after: { at: string; id: string } | null,
	probes = { first: FIRST_PROBE_ROWS, wider: PROBE_ROWS },
): Promise<ClientWithCategories[]> {
	// The page's category links come in the same statement (evaluated for the returned rows only).
	const columns = ["clients.*", db.raw(categoriesOfRow("clients"))];
	const base = () => {
		const query = liveClients(db, clubId);
		if (after) query.whereRaw("(clients.created_at, clients.id) < (?::timestamptz, ?::uuid)", [after.at, after.id]);
		return query;
	};
	if (!Object.keys(filters).length) return (await base().select(columns).orderBy([...NEWEST_FIRST]).limit(limit)) as unknown as ClientWithCategories[];
	const probe = (rows: number): Promise<ClientWithCategories[]> =>
		applyFilters(db.select(columns).from(base().orderBy([...NEWEST_FIRST]).limit(rows).as("clients")), clubId, filters)
			.orderBy([...NEWEST_FIRST])
			.limit(limit);
	const first = await probe(probes.first);
	if (first.length >= limit) return first;
	if (first.length * (probes.wider / probes.first) >= limit) {
		const wider = await probe(probes.wider);
		if (wider.length >= limit) return wider;
	}
	return applyFilters(base().select(columns), clubId, filters).orderByRaw("clients.created_at + interval '0 ms' DESC, clients.id DESC").limit(limit);
}

const categoryLinks = (db: Db, clubId: string, clientId: string) => db<CategoryLinkRow>("client_categories").where({ club_id: clubId, client_id: clientId });

export async function upsertCategory(db: Db, row: { club_id: string; client_id: string; category_id: string; valid_from: string | null; valid_until: string | null }): Promise<void> {
	await db.raw(
		`INSERT INTO client_categories (club_id, client_id, category_id, valid_from, valid_until) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT (club_id, client_id, category_id) DO UPDATE SET valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until`,
		[row.club_id, row.client_id, row.category_id, row.valid_from, row.valid_until],
	);
}

export async function touch(db: Db, clubId: string, id: string): Promise<ClientRow | undefined> {
	const rows = await liveClients(db, clubId).where({ id }).update({ updated_at: db.raw(NOW) } as any).returning("*");
	return rows[0] as ClientRow | undefined;
}

/** Tag -> number of live clients, alphabetical. */
export async function tagCounts(db: Db, clubId: string): Promise<Array<{ tag: string; clientCount: number }>> {
	const res = await db.raw(
		`SELECT t.tag, count(*)::int AS "clientCount"
		   FROM clients c CROSS JOIN LATERAL unnest(c.tags) AS t(tag)
		  WHERE c.club_id = ? AND c.deleted_at IS NULL
		  GROUP BY t.tag ORDER BY t.tag`,
		[clubId],
	);
	return res.rows;
}

export async function countByGroup(db: Db, clubId: string, groupIds?: string[]): Promise<Record<string, number>> {
	const query = liveClients(db, clubId).select("group_id").count<{ group_id: string; count: number }[]>("* as count").groupBy("group_id");
	if (groupIds) query.whereIn("group_id", groupIds);
	const rows = await query;
	return Object.fromEntries(rows.map(r => [r.group_id, Number(r.count)]));
}

export async function countByCategory(db: Db, clubId: string, categoryIds?: string[]): Promise<Record<string, number>> {
	const query = db("client_categories as cc")
		.join("clients as c", function () {
			this.on("c.club_id", "cc.club_id").andOn("c.id", "cc.client_id");
		})
		.where("cc.club_id", clubId)
		.whereNull("c.deleted_at")
		.select("cc.category_id")
		.count("* as count")
		.groupBy("cc.category_id");
	if (categoryIds) query.whereIn("cc.category_id", categoryIds);
	const rows = (await query) as unknown as Array<{ category_id: string; count: number }>;
	return Object.fromEntries(rows.map(r => [r.category_id, Number(r.count)]));
}


/** The live client, locked for the rest of the transaction. */
export const lockClient = (trx: Knex.Transaction, clubId: string, id: string): Promise<ClientRow | undefined> => liveClients(trx, clubId).where({ id }).forUpdate().first();

/** Live clients among these ids, locked in id order (concurrent bulk writes lock alike). */
export const lockClients = (trx: Knex.Transaction, clubId: string, ids: string[]): Promise<ClientRow[]> => liveClients(trx, clubId).whereIn("id", ids).orderBy("id").forUpdate();

/** Column values of an update (the API's fields as columns); updated_at is set here. */
export type ClientColumns = Partial<Pick<ClientRow, "full_name" | "email" | "phone" | "gender" | "country" | "birth_date" | "notes" | "group_id" | "tags" | "verified">>;

/**
 * Updates a live client in a savepoint, so a unique-e-mail violation (23505,
 * clients_club_email_uq) leaves the caller's transaction usable for looking up the other client.
 */
export async function updateClient(trx: Knex.Transaction, clubId: string, id: string, columns: ClientColumns): Promise<ClientRow | undefined> {
	const update: Record<string, unknown> = { ...columns, updated_at: trx.raw(NOW) };
	if (columns.tags !== undefined) update.tags = trx.raw("?::text[]", [columns.tags ?? []]);
	const [row] = await trx.transaction(sp => liveClients(sp, clubId).where({ id }).update(update).returning("*"));
	return row as ClientRow | undefined;
}

/** Erases a client (DELETE /clients/:id, a merge's source): personal data gone, the id kept as a tombstone, the e-mail free. */
export async function eraseClient(trx: Knex.Transaction, clubId: string, id: string): Promise<number> {
	await trx("client_categories").where({ club_id: clubId, client_id: id }).del();
	await trx("verified_links").where({ club_id: clubId, client_id: id }).del();
	return liveClients(trx, clubId)
		.where({ id })
		.update({ full_name: null, email: null, phone: null, notes: null, birth_date: null, tags: trx.raw("'{}'::text[]"), verified: false, deleted_at: trx.raw(NOW), updated_at: trx.raw(NOW) } as any);
}

/** POST /clients/bulk's one statement: group moved (when given), tags added then removed (first occurrence order). */
export async function bulkUpdate(trx: Knex.Transaction, clubId: string, args: { ids: string[]; groupId: string | null; addTags: string[]; removeTags: string[] }): Promise<ClientRow[]> {
	const res = await trx.raw(
		`UPDATE clients SET
			group_id = coalesce(?::uuid, group_id),
			tags = ARRAY(SELECT u.t FROM unnest(tags || ?::text[]) WITH ORDINALITY AS u(t, n)
			             WHERE NOT (u.t = ANY(?::text[])) GROUP BY u.t ORDER BY min(u.n)),
			updated_at = ${NOW}
		 WHERE club_id = ? AND deleted_at IS NULL AND id = ANY(?::uuid[])
		 RETURNING *`,
		[args.groupId, args.addTags, args.removeTags, clubId, args.ids],
	);
	return res.rows;
}

/** Every client of a group (tombstones too, so no row points at a deleted group) moves to another. */
export const moveGroup = (trx: Knex.Transaction, clubId: string, fromGroupId: string, toGroupId: string): Promise<ClientRow[]> =>
	trx<ClientRow>("clients")
		.where({ club_id: clubId, group_id: fromGroupId })
		.update({ group_id: toGroupId, updated_at: trx.raw(NOW) } as any)
		.returning("*") as unknown as Promise<ClientRow[]>;

/** Takes one category from a client: how many links went (0 or 1). */
export const removeCategoryLink = (db: Db, clubId: string, clientId: string, categoryId: string): Promise<number> => categoryLinks(db, clubId, clientId).where({ category_id: categoryId }).del();

/** Every link to a (deleted) category: the clients that held it. */
export const deleteCategoryLinks = (db: Db, clubId: string, categoryId: string): Promise<Array<{ client_id: string }>> =>
	db("client_categories").where({ club_id: clubId, category_id: categoryId }).del().returning("client_id");

/** One page of the CSV export (newest first), after a keyset position. */
export const exportPage = (db: Db, clubId: string, filters: ListFilters, after: { at: Date; id: string } | null, limit: number): Promise<ClientRow[]> => {
	const query = applyFilters(liveClients(db, clubId), clubId, filters);
	if (after) query.whereRaw("(clients.created_at, clients.id) < (?::timestamptz, ?::uuid)", [after.at.toISOString(), after.id]);
	return query.orderBy([...NEWEST_FIRST]).limit(limit);
};

/** Does the club have a live client created before `before`? */
export const hasClientsBefore = async (db: Db, clubId: string, before: string): Promise<boolean> => !!(await liveClients(db, clubId).where("created_at", "<", before).first("id"));

/** Live clients of the club with these e-mails; locked (FOR UPDATE) unless `lock` is false. */
export const clientsByEmail = (db: Db, clubId: string, emails: string[], lock: boolean): Promise<ClientRow[]> => {
	const query = liveClients(db, clubId).whereRaw("email = ANY(?::text[])", [emails]);
	return lock ? query.forUpdate() : query;
};

/** The planner's estimate of the clients table's rows (pg_class.reltuples; 0 before the first analyze). */
export async function estimatedClientRows(db: Db): Promise<number> {
	const { rows } = await db.raw(`SELECT GREATEST(reltuples, 0)::float8 AS rows FROM pg_class WHERE oid = 'clients.clients'::regclass`);
	return Number(rows[0]?.rows ?? 0);
}

/** ANALYZE of the clients table (a SECURITY DEFINER function of the migrations: the service role owns no table). */
export async function refreshClientStatistics(db: Db): Promise<void> {
	await db.raw(`SELECT clients.refresh_clients_statistics()`);
}
