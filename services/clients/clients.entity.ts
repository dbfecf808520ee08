/** The API.md Client entity, its JSON schema for the OpenAPI document, and row -> entity. */
import { pageOf, ref } from "../../lib/openapi";
import type { Gender, NormalizedClient } from "../../lib/normalize/client";
import type { CategoryLinkRow, ClientRow, Source, VerifiedProfileRow } from "./clients.queries";

export interface ClientCategory {
	categoryId: string;
	validFrom: string | null;
	validUntil: string | null;
}

/** The normalised fields as stored, and what the club and the system add. */
export interface Client extends NormalizedClient {
	id: string;
	groupId: string;
	categories: ClientCategory[];
	verified: boolean;
	source: Source;
	createdAt: string;
	updatedAt: string;
}

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
