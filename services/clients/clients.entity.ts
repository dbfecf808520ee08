/** The API.md Client entity, its JSON schema for the OpenAPI document, and row -> entity. */
import type { Knex } from "knex";
import { pageOf, ref } from "../../lib/openapi";
import { NotFoundError } from "../../lib/errors";
import type { Gender } from "../../lib/normalize/client";
import { UUID_RE } from "../../lib/tenant.middleware";
import { categoriesOf, findClient, type CategoryLinkRow, type ClientRow, type VerifiedProfileRow } from "./clients.queries";
import type { Client, ClientCategory } from "./clients.contract";

export type { Client, ClientCategory } from "./clients.contract";

export interface VerifiedProfile {
	email: string;
	fullName: string;
	phone: string;
	gender: Gender;
	country: string;
	birthDate: string | null;
	createdAt: string;
	updatedAt: string;
}

export const toCategory = (r: CategoryLinkRow): ClientCategory => ({ categoryId: r.category_id, validFrom: r.valid_from, validUntil: r.valid_until });

export const toClient = (r: ClientRow, categories: CategoryLinkRow[] = []): Client => ({
	id: r.id,
	fullName: r.full_name,
	email: r.email,
	phone: r.phone,
	gender: r.gender,
	country: r.country,
	birthDate: r.birth_date,
	notes: r.notes,
	groupId: r.group_id,
	tags: r.tags,
	categories: categories.map(toCategory),
	verified: r.verified,
	source: r.source,
	createdAt: r.created_at.toISOString(),
	updatedAt: r.updated_at.toISOString(),
});

export const toProfile = (r: VerifiedProfileRow): VerifiedProfile => ({
	email: r.email,
	fullName: r.full_name,
	phone: r.phone,
	gender: r.gender,
	country: r.country,
	birthDate: r.birth_date,
	createdAt: r.created_at.toISOString(),
	updatedAt: r.updated_at.toISOString(),
});

export const clientEntity = ref("Client");

export const clientPage = pageOf("Client");

export const profileEntity = ref("VerifiedProfile");

export const notFound = () => new NotFoundError("Client");

/** The live client of the club, or 404 (also for non-UUID ids). */
export async function findOr404(db: Knex | Knex.Transaction, id: string, clubId: string): Promise<ClientRow> {
	const row = UUID_RE.test(id) ? await findClient(db, clubId, id.toLowerCase()) : undefined;
	if (!row) throw notFound();
	return row;
}

/** The client of a row, with its category links read in `db`. */
export async function withCategories(db: Knex | Knex.Transaction, row: ClientRow): Promise<Client> {
	const cats = await categoriesOf(db, row.club_id, [row.id]);
	return toClient(row, cats.get(row.id));
}
