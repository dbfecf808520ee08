/** Pure queries of the groups schema: (db | trx, args) -> rows. */
import type { Knex } from "knex";

export const PAYMENT_METHODS = ["card", "wallet", "sepa_debit", "paypal", "apple_pay", "google_pay", "ideal", "bancontact", "twint"] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

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

export const groupsOfClub = (db: Knex, clubId: string) => db<GroupRow>("groups").where({ club_id: clubId });

export const findGroup = (db: Knex | Knex.Transaction, clubId: string, id: string) =>
	db<GroupRow>("groups").where({ club_id: clubId, id }).first();

/** Inserts Default (the default group) and External (the system group) unless the club has them. */
export async function seedClubGroups(db: Knex, clubId: string, ids: { defaultId: string; externalId: string }): Promise<void> {
	const all = [...PAYMENT_METHODS];
	await db.transaction(async trx => {
		const existing = await trx<GroupRow>("groups").where({ club_id: clubId }).forUpdate();
		if (!existing.some(g => g.is_default)) {
			await trx("groups").insert({ id: ids.defaultId, club_id: clubId, name: "Default", system: false, is_default: true, payment_methods: all });
		}
		if (!existing.some(g => g.system)) {
			await trx("groups").insert({ id: ids.externalId, club_id: clubId, name: "External", system: true, is_default: false, payment_methods: all });
		}
	});
}
