/**
 * The verified-profile rule, in one place (API.md "Clients", PRODUCT.md "Verified clients").
 * POST /clients, PATCH /clients/:id (a new e-mail) and the import (clients.importBatch) all ask
 * it, with the identity the client will hold after the write, normalised:
 *
 *   - a client whose e-mail has a verified profile must hold the profile's identity: every
 *     identity field it holds must equal the profile's; a birth date it does not hold (none
 *     sent, none kept) is not compared (the club never gave one, and is never given the
 *     profile's). Otherwise 403 VERIFIED_PROFILE_MISMATCH naming the fields, never the values;
 *   - the client then becomes verified, keeping the values the club gave (equal to the profile);
 *   - a verified client's identity fields are read-only (403 VERIFIED_CLIENT_READ_ONLY; the
 *     import skips verified clients).
 * The attempts are counted per club and e-mail (clients.profile-throttle.ts).
 */
import { ForbiddenError } from "../../lib/errors";
import { IDENTITY_FIELDS, type IdentityField, type NormalizedClient } from "../../lib/normalize/client";
import type { ClientRow, VerifiedProfileRow } from "./clients.queries";

export type Identity = Pick<NormalizedClient, IdentityField>;

const identityOfProfile = (p: VerifiedProfileRow): Identity => ({ fullName: p.full_name, email: p.email, phone: p.phone, gender: p.gender, country: p.country, birthDate: p.birth_date });

export const identityOfRow = (r: ClientRow): Identity => ({ fullName: r.full_name, email: r.email, phone: r.phone, gender: r.gender, country: r.country, birthDate: r.birth_date });

const isIdentityField = (k: string): k is IdentityField => (IDENTITY_FIELDS as readonly string[]).includes(k);

/** The identity fields of `identity` (what the client will hold, normalised) that differ from the profile, in IDENTITY_FIELDS order. */
export function profileMismatches(profile: VerifiedProfileRow, identity: Identity): IdentityField[] {
	const p = identityOfProfile(profile);
	return IDENTITY_FIELDS.filter(f => !(f === "birthDate" && identity.birthDate === null) && (identity[f] ?? null) !== (p[f] ?? null));
}

export const profileMismatchError = (fields: IdentityField[]) => new ForbiddenError("The identity fields do not match the verified profile of this e-mail", "VERIFIED_PROFILE_MISMATCH", { fields });

/** The identity fields among `changed` a write may not change: all of them on a verified client, none otherwise. */
export const readOnlyChanges = (row: Pick<ClientRow, "verified">, changed: readonly string[]): IdentityField[] => (row.verified ? changed.filter(isIdentityField) : []);

export const readOnlyError = (fields: IdentityField[]) => new ForbiddenError("A verified client's identity fields are read-only", "VERIFIED_CLIENT_READ_ONLY", { fields });
