/**
 * Making test data through the real gateway, one way for every spec:
 *   - clientBody(over): a valid POST /clients body (unique e-mail, Spanish mobile); `over` replaces any field;
 *   - createClient(http, clubOrKey, over): creates it and answers the client as every read shows it;
 *   - createClientAnswer(...): the same, answering the whole 201 body (with `possibleDuplicates`).
 * A club passed as `clubOrKey` means its staff key (staff write clients).
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { Http, TestClub } from "./app";

export const uid = () => crypto.randomBytes(5).toString("hex");
export const email = (tag = "c") => `${tag}.${uid()}@example.com`;

/** A valid Spanish mobile number in national form and its E.164 spelling. */
export function esMobile(): { national: string; e164: string } {
	const rest = String(crypto.randomInt(10_000_000, 99_999_999));
	return { national: `6${rest.slice(0, 2)} ${rest.slice(2, 5)} ${rest.slice(5)}`, e164: `+346${rest}` };
}

export function clientBody(over: Record<string, unknown> = {}): Record<string, any> {
	return { fullName: `Ana García ${uid()}`, email: email("ana"), phone: esMobile().national, gender: "female", country: "ES", ...over };
}

/** POST /clients; asserts the 201 and answers its body (the client and its possibleDuplicates). */
export async function createClientAnswer(http: Http, clubOrKey: TestClub | string, over: Record<string, unknown> = {}): Promise<any> {
	const key = typeof clubOrKey === "string" ? clubOrKey : clubOrKey.staff;
	const res = await http.post("/clients", clientBody(over), { key });
	assert.equal(res.status, 201, `create client: ${res.text}`);
	assert.ok(Array.isArray(res.body.possibleDuplicates), "POST /clients answers possibleDuplicates");
	return res.body;
}

/** POST /clients; answers the client as every other read shows it (possibleDuplicates is only on the creation's answer). */
export async function createClient(http: Http, clubOrKey: TestClub | string, over: Record<string, unknown> = {}): Promise<any> {
	const { possibleDuplicates: _dups, ...client } = await createClientAnswer(http, clubOrKey, over);
	return client;
}
