/**
 * One verified-profile rule (services/clients/clients.verified.ts) for the three ways a club
 * gives a client a profile's e-mail: clients.create, clients.update (a new e-mail) and
 * clients.importBatch (a new row, or a row updating an existing client). The same identity
 * gets the same decision on every path, all asked on the bus (one tier).
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";
import { normalizeClientInput, type NormalizedClient } from "../../../lib/normalize/client";

const mail = () => `rule.${crypto.randomBytes(4).toString("hex")}@example.com`;

const PROFILE = { fullName: "Rule Person", phone: "+34 611 222 333", gender: "female", country: "ES", birthDate: "1980-05-06" };

/** What a club sends (besides the e-mail), and what the rule answers: verified with that birth date, or the mismatching fields. */
const CASES: Array<{ name: string; sent: Record<string, unknown>; verified?: { birthDate: string | null }; mismatch?: string[] }> = [
	{ name: "every identity field equal, no birth date", sent: { fullName: "  Rule   Person", phone: "611222333", gender: "F", country: "Spain" }, verified: { birthDate: null } },
	{ name: "every identity field equal, with the birth date", sent: { ...PROFILE }, verified: { birthDate: "1980-05-06" } },
	{ name: "a blank birth date (none given)", sent: { ...PROFILE, birthDate: "   " }, verified: { birthDate: null } },
	{ name: "another phone", sent: { ...PROFILE, phone: "+34 699 000 111" }, mismatch: ["phone"] },
	{ name: "another birth date", sent: { ...PROFILE, birthDate: "1999-01-01" }, mismatch: ["birthDate"] },
	{ name: "another name and gender", sent: { ...PROFILE, fullName: "Someone Else", gender: "male" }, mismatch: ["fullName", "gender"] },
];

const OTHER = { fullName: "Before Import", phone: "+34 600 999 888", gender: "male", country: "FR" };

describe("Clients: one verified-profile rule for create, update and import (bus)", () => {
	let a: Running;
	const clubs: Record<"create" | "update" | "importNew" | "importUpdate", TestClub> = {} as Record<"create" | "update" | "importNew" | "importUpdate", TestClub>;

	before(async () => {
		a = await app();
		for (const path of ["create", "update", "importNew", "importUpdate"] as const) clubs[path] = await newClub(a.http);
	});

	const call = <T = any>(club: TestClub, action: string, params: unknown): Promise<T> => a.brokers[0].call(action, params, { meta: { clubId: club.club.id } });
	const mismatchOf = (err: any) => (err?.type === "VERIFIED_PROFILE_MISMATCH" && err.code === 403 ? err.data.fields : `not a mismatch: ${err?.type} ${err?.message}`);

	/** The decision of one path: `{ verified, birthDate }` or the mismatching fields. */
	type Decision = { verified: boolean; birthDate: string | null } | string[];

	async function viaCreate(email: string, sent: Record<string, unknown>): Promise<Decision> {
		try {
			const c = await call(clubs.create, "clients.create", { ...sent, email });
			return { verified: c.verified, birthDate: c.birthDate };
		} catch (err) {
			return mismatchOf(err);
		}
	}

	/** An unverified client with the same identity (no birth date) and another e-mail is given the profile's e-mail, and the birth date sent. */
	async function viaUpdate(email: string, sent: Record<string, unknown>): Promise<Decision> {
		const { birthDate, ...rest } = sent;
		const c = await call(clubs.update, "clients.create", { ...rest, email: mail() });
		assert.equal(c.verified, false);
		try {
			const u = await call(clubs.update, "clients.update", { id: c.id, email, ...(birthDate !== undefined ? { birthDate } : {}) });
			return { verified: u.verified, birthDate: u.birthDate };
		} catch (err) {
			return mismatchOf(err);
		}
	}

	/** One row, normalised as the import worker does, through clients.importBatch. */
	async function viaImport(club: TestClub, email: string, sent: Record<string, unknown>, onDuplicate: "skip" | "update"): Promise<Decision> {
		const norm = normalizeClientInput({ ...sent, email });
		assert.ok("value" in norm);
		const { defaultGroupId } = await call<{ defaultGroupId: string }>(club, "groups.defaults", {});
		const client = { ...(norm.value as NormalizedClient), groupId: defaultGroupId, setGroup: false };
		const out = await call(club, "clients.importBatch", { jobId: crypto.randomUUID(), chunkIndex: 0, onDuplicate, rows: [{ line: 2, client }] });
		if (out.failed) return out.errors.filter((e: any) => e.code === "VERIFIED_PROFILE_MISMATCH").map((e: any) => e.field);
		assert.equal(out.created + out.updated, 1, JSON.stringify(out));
		const c = await call(club, "clients.findByEmail", { email });
		return { verified: c.verified, birthDate: c.birthDate };
	}

	for (const c of CASES) {
		it(`when a profile's e-mail comes with ${c.name}, then create, update and import all ${c.verified ? "verify the client" : `refuse ${c.mismatch!.join(", ")}`}`, async () => {
			const email = mail();
			// The import that updates finds an unverified client of that e-mail, made before the profile existed.
			const existing = await call(clubs.importUpdate, "clients.create", { ...OTHER, email });
			assert.equal(existing.verified, false);
			await a.brokers[0].call("clients.registerProfile", { ...PROFILE, email });
			const expected: Decision = c.verified ? { verified: true, birthDate: c.verified.birthDate } : c.mismatch!;
			const got = {
				create: await viaCreate(email, c.sent),
				update: await viaUpdate(email, c.sent),
				importNew: await viaImport(clubs.importNew, email, c.sent, "skip"),
				importUpdate: await viaImport(clubs.importUpdate, email, c.sent, "update"),
			};
			assert.deepEqual(got, { create: expected, update: expected, importNew: expected, importUpdate: expected });
		});
	}
});
