/** Helpers for the staff specs: invitations, sign-ins and cookies through the real gateway. */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { Http, HttpResponse, TestClub } from "../../../test/support/app";

export const PASSWORD = "plum-orchard-74-lantern";

export const staffEmail = (tag = "desk") => `${tag}.${crypto.randomBytes(4).toString("hex")}@example.com`;

/** The session cookie a response set ("clubhouse_session=…"), for a Cookie header. */
export function cookieOf(res: HttpResponse): string {
	const set = res.headers.get("set-cookie") ?? "";
	const m = /clubhouse_session=([^;]*)/.exec(set);
	assert.ok(m && m[1], `a session cookie was set: ${set}`);
	return `clubhouse_session=${m[1]}`;
}

export const withCookie = (cookie: string, headers: Record<string, string> = {}) => ({ headers: { cookie, ...headers } });

/** Invites a member; answers the member and the invitation token. */
export async function invite(http: Http, club: TestClub, over: Partial<{ name: string; email: string; role: string }> = {}) {
	const res = await http.post("/staff", { name: "Front Desk", email: staffEmail(), role: "staff", ...over }, { key: club.admin });
	assert.equal(res.status, 201, res.text);
	return { member: res.body, token: res.body.invitation.token as string };
}

/** An active member with PASSWORD; answers it with its e-mail. */
export async function activeMember(http: Http, club: TestClub, over: Partial<{ name: string; email: string; role: string }> = {}) {
	const { member, token } = await invite(http, club, over);
	const res = await http.post("/staff/accept", { token, password: PASSWORD });
	assert.equal(res.status, 200, res.text);
	return { ...member, ...res.body };
}

/** Signs in with e-mail and password (club optional); answers the cookie and the body. */
export async function signIn(http: Http, email: string, password = PASSWORD, club?: string) {
	const res = await http.post("/session", club ? { email, password, club } : { email, password });
	assert.equal(res.status, 200, res.text);
	return { cookie: cookieOf(res), body: res.body, res };
}

export async function signInWithKey(http: Http, apiKey: string) {
	const res = await http.post("/session", { apiKey });
	assert.equal(res.status, 200, res.text);
	return { cookie: cookieOf(res), body: res.body, res };
}
