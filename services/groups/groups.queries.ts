/** Pure queries of the groups schema: (db | trx, args) -> rows. */
import type { Knex } from "knex";
import { NOW } from "../../lib/sql";
import { PAYMENT_METHODS, type PaymentMethod } from "../../lib/products";
import type { ProductKind } from "./groups.contract";

export const PRODUCT_KINDS = ["product", "activity"] as const satisfies readonly ProductKind[];

type Db = Knex | Knex.Transaction;

export interface GroupRow {
	id: string;
	club_id: string;
	name: string;
	system: boolean;
	is_default: boolean;
	max_future_bookings: number | null;
	payment_methods: PaymentMethod[];
	vat_rate: number | null;
	created_at: Date;
	updated_at: Date;
}

export interface CategoryRow {
	id: string;
	club_id: string;
	name: string;
	description: string | null;
	discount_percent: number;
	created_at: Date;
	updated_at: Date;
}

export interface ProductRuleRow {
	club_id: string;
	product_id: string;
	kind: ProductKind;
	created_at: Date;
	updated_at: Date;
	group_ids: string[];
}

/** Postgres' unique_violation on the given index (the race-safe uniqueness check). */
export const isUniqueViolation = (err: unknown, index: string): boolean =>
	(err as { code?: string })?.code === "23505" && (err as { constraint?: string })?.constraint === index;

/** Postgres' foreign_key_violation (a referenced group vanished while we wrote). */
export const isForeignKeyViolation = (err: unknown): boolean => (err as { code?: string })?.code === "23503";

// ---------------------------------------------------------------- groups

export const groupsOfClub = (db: Db, clubId: string) => db<GroupRow>("groups").where({ club_id: clubId });

export const findGroup = (db: Db, clubId: string, id: string) => db<GroupRow>("groups").where({ club_id: clubId, id }).first();

/** The club's default group. */
export const findDefaultGroup = (db: Db, clubId: string): Promise<GroupRow | undefined> => groupsOfClub(db, clubId).where({ is_default: true }).first();

/** The club's default group and its system group (External). */
export const defaultAndSystemGroups = (db: Db, clubId: string): Promise<GroupRow[]> =>
	groupsOfClub(db, clubId).where(b => b.where("is_default", true).orWhere("system", true));

export const findGroupByName = (db: Db, clubId: string, name: string) =>
	db<GroupRow>("groups").where({ club_id: clubId }).whereRaw("lower(name) = lower(?)", [name]).first();

/** Every group of the club, oldest first (Default and External lead), in the order of GET /groups. */
export const listGroups = (db: Db, clubId: string): Promise<GroupRow[]> => groupsOfClub(db, clubId).orderBy([{ column: "created_at" }, { column: "id" }]);

/** The given groups of the club, unlocked. */
export const findGroups = (db: Db, clubId: string, ids: string[]): Promise<GroupRow[]> => groupsOfClub(db, clubId).whereIn("id", ids);

/** Locks the given groups of the club (in id order, so two lockers never deadlock). */
export const lockGroups = (trx: Knex.Transaction, clubId: string, ids: string[]): Promise<GroupRow[]> =>
	trx<GroupRow>("groups").where({ club_id: clubId }).whereIn("id", ids).orderBy("id").forUpdate();

/**
 * The ids among `ids` that are groups of the club, locked FOR SHARE (in id order like every
 * other group lock): none of them can be deleted before the transaction ends.
 */
export const shareGroups = (trx: Knex.Transaction, clubId: string, ids: string[]): Promise<string[]> =>
	ids.length ? groupsOfClub(trx, clubId).whereIn("id", ids).orderBy("id").forShare().pluck("id") : Promise.resolve([]);

export const insertGroup = (db: Db, row: Omit<GroupRow, "created_at" | "updated_at" | "system" | "is_default">): Promise<GroupRow> =>
	db<GroupRow>("groups")
		.insert({ ...row, system: false, is_default: false } as any)
		.returning("*")
		.then(r => r[0] as GroupRow);

export type GroupChanges = Partial<Pick<GroupRow, "name" | "max_future_bookings" | "payment_methods" | "vat_rate">>;

export const updateGroup = (db: Db, clubId: string, id: string, changes: GroupChanges): Promise<GroupRow | undefined> =>
	db<GroupRow>("groups")
		.where({ club_id: clubId, id })
		.update({ ...changes, updated_at: db.raw(NOW) } as any)
		.returning("*")
		.then(r => r[0] as GroupRow | undefined);

export const deleteGroup = (db: Db, clubId: string, id: string): Promise<number> => db("groups").where({ club_id: clubId, id }).del();

/**
 * Makes `id` the club's only default group. Locks every group of the club first, so
 * concurrent switches run one after the other and the partial unique index never trips.
 * Returns the previous default's id (null when it already was the default) and the new row.
 */
export async function setDefaultGroup(trx: Knex.Transaction, clubId: string, id: string): Promise<{ previousId: string | null; row: GroupRow } | null> {
	const rows: GroupRow[] = await trx<GroupRow>("groups").where({ club_id: clubId }).orderBy("id").forUpdate();
	const target = rows.find(r => r.id === id);
	if (!target || target.system) return null;
	const previous = rows.find(r => r.is_default);
	if (previous?.id === id) return { previousId: null, row: target };
	const now = trx.raw(NOW);
	await trx("groups").where({ club_id: clubId, is_default: true }).update({ is_default: false, updated_at: now });
	const [row] = await trx<GroupRow>("groups").where({ club_id: clubId, id }).update({ is_default: true, updated_at: now } as any).returning("*");
	return { previousId: previous?.id ?? null, row: row as GroupRow };
}

/** Inserts Default (the default group) and External (the system group) unless the club has them. */
export async function seedClubGroups(
	db: Knex,
	clubId: string,
	ids: { defaultId: string; externalId: string },
	/** Runs in the same transaction with the groups it inserted (the audit entries). */
	inserted: (trx: Knex.Transaction, rows: GroupRow[]) => Promise<void> = async () => undefined,
): Promise<void> {
	const all = [...PAYMENT_METHODS];
	await db.transaction(async trx => {
		const existing = await trx<GroupRow>("groups").where({ club_id: clubId }).forUpdate();
		const rows: GroupRow[] = [];
		if (!existing.some(g => g.is_default)) {
			rows.push(...(await trx("groups").insert({ id: ids.defaultId, club_id: clubId, name: "Default", system: false, is_default: true, payment_methods: all }).returning("*")));
		}
		if (!existing.some(g => g.system)) {
			// A millisecond after Default's created_at (the column default: the transaction's now(),
			// not NOW, so the two rows are exactly a millisecond apart): lists go oldest first by
			// (created_at, id), so Default leads.
			const createdAt = trx.raw("date_trunc('milliseconds', now()) + interval '1 millisecond'");
			rows.push(...(await trx("groups").insert({ id: ids.externalId, club_id: clubId, name: "External", system: true, is_default: false, payment_methods: all, created_at: createdAt, updated_at: createdAt }).returning("*")));
		}
		await inserted(trx, rows);
	});
}

// ---------------------------------------------------------------- categories

export const categoriesOfClub = (db: Db, clubId: string) => db<CategoryRow>("categories").where({ club_id: clubId });

/** Every category of the club, oldest first; only the given ids when `ids` is set. */
export const listCategories = (db: Db, clubId: string, ids?: string[]): Promise<CategoryRow[]> => {
	const query = categoriesOfClub(db, clubId);
	if (ids) query.whereIn("id", ids);
	return query.orderBy([{ column: "created_at" }, { column: "id" }]);
};

export const findCategory = (db: Db, clubId: string, id: string) => db<CategoryRow>("categories").where({ club_id: clubId, id }).first();

export const lockCategory = (trx: Knex.Transaction, clubId: string, id: string) =>
	trx<CategoryRow>("categories").where({ club_id: clubId, id }).forUpdate().first();

export const insertCategory = (db: Db, row: { id: string; club_id: string; name: string; description: string | null; discount_percent: string }): Promise<CategoryRow> =>
	db<CategoryRow>("categories")
		.insert(row as any)
		.returning("*")
		.then(r => r[0] as CategoryRow);

export type CategoryChanges = Partial<{ name: string; description: string | null; discount_percent: string }>;

export const updateCategory = (db: Db, clubId: string, id: string, changes: CategoryChanges): Promise<CategoryRow | undefined> =>
	db<CategoryRow>("categories")
		.where({ club_id: clubId, id })
		.update({ ...changes, updated_at: db.raw(NOW) } as any)
		.returning("*")
		.then(r => r[0] as CategoryRow | undefined);

export const deleteCategory = (db: Db, clubId: string, id: string): Promise<number> => db("categories").where({ club_id: clubId, id }).del();

// ---------------------------------------------------------------- product access

/** The rules of the given products (all of the club's when `productIds` is omitted), with their groups. */
export async function productRules(db: Db, clubId: string, productIds?: string[]): Promise<ProductRuleRow[]> {
	const query = db("product_access_rules as r")
		.select("r.*", db.raw("coalesce(array_agg(g.group_id ORDER BY g.group_id) FILTER (WHERE g.group_id IS NOT NULL), '{}') AS group_ids"))
		.leftJoin("product_access_groups as g", function () {
			this.on("g.club_id", "r.club_id").andOn("g.product_id", "r.product_id");
		})
		.where("r.club_id", clubId)
		.groupBy("r.club_id", "r.product_id")
		.orderBy("r.product_id");
	if (productIds) query.whereIn("r.product_id", productIds);
	return query;
}

/** Replaces a product's rule (kind and groups) in the transaction. */
export async function putProductRule(trx: Knex.Transaction, clubId: string, productId: string, kind: ProductKind, groupIds: string[]): Promise<void> {
	await trx.raw(
		`INSERT INTO product_access_rules (club_id, product_id, kind) VALUES (?, ?, ?)
		 ON CONFLICT (club_id, product_id) DO UPDATE SET kind = EXCLUDED.kind, updated_at = ${NOW}`,
		[clubId, productId, kind],
	);
	await trx("product_access_groups").where({ club_id: clubId, product_id: productId }).del();
	if (groupIds.length) {
		await trx("product_access_groups").insert(groupIds.map(group_id => ({ club_id: clubId, product_id: productId, group_id })));
	}
}

export const deleteProductRule = (db: Db, clubId: string, productId: string): Promise<number> =>
	db("product_access_rules").where({ club_id: clubId, product_id: productId }).del();

/** Products whose rule names the group (their rules change when the group goes). */
export const productsOfGroup = (db: Db, clubId: string, groupId: string): Promise<string[]> =>
	db("product_access_groups")
		.where({ club_id: clubId, group_id: groupId })
		.orderBy("product_id")
		.pluck("product_id");

/** Marks the rules as changed (their group list shrank because a group was deleted). */
export const touchProductRules = (db: Db, clubId: string, productIds: string[]) =>
	productIds.length
		? db("product_access_rules").where({ club_id: clubId }).whereIn("product_id", productIds).update({ updated_at: db.raw(NOW) })
		: Promise.resolve(0);
