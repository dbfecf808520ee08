/** API.md "Staff members and sessions": sign-in, the cookie, CSRF, sign-out, idle expiry (single process). */
import assert from "node:assert/strict";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";
import { PASSWORD, activeMember, cookieOf, invite, signIn, signInWithKey, staffEmail, withCookie } from "./support";

describe("Staff sessions (single process)", () => {
	let a: Running;
	let club: TestClub;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
	});

	it("when an admin key signs in, then 200 { club, role, actor, expiresAt } and an HttpOnly SameSite=Strict cookie for every route", async () => {
		const res = await a.http.post("/session", { apiKey: club.admin });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(Object.keys(res.body).sort(), ["actor", "club", "expiresAt", "role"]);
		assert.equal(res.body.club.id, club.club.id);
		assert.equal(res.body.role, "admin");
		assert.deepEqual(res.body.actor, { type: "key", id: club.adminKeyId, name: "admin" });
		const idle = Date.parse(res.body.expiresAt) - Date.now();
		assert.ok(idle > 719 * 60_000 && idle <= 720 * 60_000, `12 h idle expiry, got ${idle} ms`);
		const set = res.headers.get("set-cookie")!;
		assert.match(set, /^clubhouse_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/, "no Secure over http");
		assert.equal(res.headers.get("cache-control"), "no-store");
		assert.ok(!res.text.includes(cookieOf(res).split("=")[1]), "the session token is only in the cookie");
		const cookie = cookieOf(res);
		const me = await a.http.get("/session", withCookie(cookie));
		assert.equal(me.status, 200, me.text);
		assert.deepEqual(me.body.actor, res.body.actor);
		assert.equal(me.body.role, "admin");
		assert.equal((await a.http.get("/club", withCookie(cookie))).body.id, club.club.id);
		assert.equal((await a.http.post("/api-keys", { name: "via cookie", role: "viewer" }, withCookie(cookie))).status, 201);
	});

	it("when the request came over https (a proxy's X-Forwarded-Proto), then the cookie is Secure; writes from that https origin pass the CSRF rule", async () => {
		const res = await a.http.post("/session", { apiKey: club.admin }, { headers: { "x-forwarded-proto": "https, http" } });
		assert.equal(res.status, 200);
		assert.match(res.headers.get("set-cookie")!, /; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
		const cookie = cookieOf(res);
		const proxied = { "x-forwarded-proto": "https", "x-forwarded-host": "club.example" };
		assert.equal((await a.http.post("/api-keys", { name: "proxied", role: "viewer" }, withCookie(cookie, { ...proxied, origin: "https://club.example" }))).status, 201);
		assert.equal((await a.http.post("/api-keys", { name: "proxied", role: "viewer" }, withCookie(cookie, { ...proxied, origin: "http://club.example" }))).body.type, "CSRF");
		assert.equal((await a.http.del("/session", withCookie(cookie, { "x-forwarded-proto": "https" }))).headers.get("set-cookie")!.endsWith("; Secure"), true);
	});

	it("when a viewer key's session writes, then 403; when it reads, then 200", async () => {
		const { cookie, body } = await signInWithKey(a.http, club.viewer);
		assert.equal(body.role, "viewer");
		assert.equal((await a.http.get("/clients", withCookie(cookie))).status, 200);
		const res = await a.http.post("/clients", { fullName: "X Y", email: staffEmail(), phone: "+34600000000", gender: "other", country: "ES" }, withCookie(cookie));
		assert.equal(res.status, 403);
		assert.equal(res.body.type, "FORBIDDEN");
	});

	it("when a cookie-authenticated write comes from another origin, then 403 CSRF; from ours or without Origin, it goes through", async () => {
		const { cookie } = await signInWithKey(a.http, club.admin);
		const evil = await a.http.post("/api-keys", { name: "evil", role: "admin" }, withCookie(cookie, { origin: "https://evil.example" }));
		assert.equal(evil.status, 403, evil.text);
		assert.equal(evil.body.type, "CSRF");
		assert.equal((await a.http.post("/api-keys", { name: "null", role: "admin" }, withCookie(cookie, { origin: "null" }))).body.type, "CSRF");
		assert.equal((await a.http.get("/club", withCookie(cookie, { origin: "https://evil.example" }))).status, 200, "reads are not writes");
		assert.equal((await a.http.post("/api-keys", { name: "same", role: "viewer" }, withCookie(cookie, { origin: a.baseUrl }))).status, 201);
		assert.equal((await a.http.post("/api-keys", { name: "none", role: "viewer" }, withCookie(cookie))).status, 201);
		// A Bearer key is judged by the key: no CSRF rule for it.
		const keyed = await a.http.post("/api-keys", { name: "keyed", role: "viewer" }, { key: club.admin, ...withCookie(cookie, { origin: "https://evil.example" }) });
		assert.equal(keyed.status, 201, keyed.text);
		const signOut = await a.http.del("/session", withCookie(cookie, { origin: "https://evil.example" }));
		assert.equal(signOut.body.type, "CSRF");
	});

	it("when a request has both a Bearer key and a cookie, then the key decides", async () => {
		const { cookie } = await signInWithKey(a.http, club.admin);
		const res = await a.http.post("/api-keys", { name: "x", role: "viewer" }, { key: club.viewer, ...withCookie(cookie) });
		assert.equal(res.status, 403);
		assert.equal((await a.http.get("/session", { key: club.viewer, ...withCookie(cookie) })).body.role, "viewer");
		assert.equal((await a.http.get("/club", { key: "chk_nope", ...withCookie(cookie) })).status, 401);
	});

	it("when the cookie is unknown or malformed, then 401", async () => {
		assert.equal((await a.http.get("/club", withCookie("clubhouse_session=" + "A".repeat(43)))).status, 401);
		assert.equal((await a.http.get("/club", withCookie("clubhouse_session=../../etc"))).status, 401);
		assert.equal((await a.http.get("/session")).status, 401);
	});

	it("when an unknown key signs in, then 401 INVALID_CREDENTIALS; with both a key and a password, then 422", async () => {
		const res = await a.http.post("/session", { apiKey: "chk_unknown" });
		assert.equal(res.status, 401);
		assert.equal(res.body.type, "INVALID_CREDENTIALS");
		assert.equal((await a.http.post("/session", { apiKey: club.admin, email: "a@b.co", password: "x" })).status, 422);
		assert.equal((await a.http.post("/session", { email: "a@b.co" })).status, 422);
		assert.equal((await a.http.post("/session", { email: "a@b.co", password: "x", role: "admin" })).status, 422);
	});

	it("when a member signs in, then the actor is the member, lastSignInAt is set and the role is the member's", async () => {
		const m = await activeMember(a.http, club, { role: "staff", name: "Lucía Pérez" });
		const { cookie, body } = await signIn(a.http, m.email);
		assert.deepEqual(body.actor, { type: "staff", id: m.id, name: "Lucía Pérez" });
		assert.equal(body.role, "staff");
		assert.equal(body.club.id, club.club.id);
		assert.equal((await a.http.get("/clients", withCookie(cookie))).status, 200);
		assert.equal((await a.http.get("/staff", withCookie(cookie))).status, 403, "staff members are admin's");
		const seen = await a.http.get(`/staff/${m.id}`, { key: club.admin });
		assert.ok(seen.body.lastSignInAt && Date.now() - Date.parse(seen.body.lastSignInAt) < 60_000);
		assert.equal((await signIn(a.http, m.email.toUpperCase())).body.actor.id, m.id, "e-mails compare case-insensitively");
	});

	it("when the e-mail or the password is wrong, then the same 401 INVALID_CREDENTIALS body for both", async () => {
		const m = await activeMember(a.http, club);
		const wrongPassword = await a.http.post("/session", { email: m.email, password: "not-the-password-at-all" });
		const wrongEmail = await a.http.post("/session", { email: staffEmail("nobody"), password: PASSWORD });
		assert.equal(wrongPassword.status, 401);
		assert.equal(wrongEmail.status, 401);
		assert.equal(wrongPassword.text, wrongEmail.text);
		assert.equal(wrongPassword.body.type, "INVALID_CREDENTIALS");
		assert.equal(wrongPassword.headers.get("set-cookie"), null);
	});

	it("when an unknown e-mail signs in, then it takes about as long as a wrong password (a dummy hash is verified)", async () => {
		const m = await activeMember(a.http, club);
		await a.http.post("/session", { email: staffEmail("warm"), password: "warm-up-the-dummy" });
		const time = async (body: unknown) => {
			const t = process.hrtime.bigint();
			await a.http.post("/session", body);
			return Number(process.hrtime.bigint() - t) / 1e6;
		};
		const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
		const known: number[] = [];
		const unknown: number[] = [];
		for (let i = 0; i < 4; i++) { // 4 < 5: the throttle stays out of it
			known.push(await time({ email: m.email, password: `wrong-password-${i}` }));
			unknown.push(await time({ email: staffEmail("ghost"), password: `wrong-password-${i}` }));
		}
		const [k, u] = [median(known), median(unknown)];
		// Loose bounds (a shared machine is noisy): what must fail is an unknown e-mail answered without a hash.
		assert.ok(u > k / 3 && u < k * 3 + 20, `unknown ${u.toFixed(1)} ms vs known ${k.toFixed(1)} ms`);
	});

	it("when an e-mail failed 5 times within 15 minutes, then 429 TOO_MANY_ATTEMPTS with Retry-After, even with the right password", async () => {
		const m = await activeMember(a.http, club);
		const fails = await Promise.all(Array.from({ length: 8 }, (_, i) => a.http.post("/session", { email: m.email, password: `guess-number-${i}` })));
		assert.deepEqual(fails.map(r => r.status).sort(), [401, 401, 401, 401, 401, 429, 429, 429], "concurrent guesses cannot pass a count taken before they failed");
		const res = await a.http.post("/session", { email: m.email, password: PASSWORD });
		assert.equal(res.status, 429, res.text);
		assert.equal(res.body.type, "TOO_MANY_ATTEMPTS");
		const retry = Number(res.headers.get("retry-after"));
		assert.ok(retry > 800 && retry <= 900, `Retry-After ${retry}`);
		// Another e-mail is not affected.
		const other = await activeMember(a.http, club);
		assert.equal((await a.http.post("/session", { email: other.email, password: PASSWORD })).status, 200);
	});

	it("when a member signs out, then 204, the cookie is cleared and the session answers 401", async () => {
		const m = await activeMember(a.http, club);
		const { cookie } = await signIn(a.http, m.email);
		const second = await signIn(a.http, m.email);
		const out = await a.http.del("/session", withCookie(cookie));
		assert.equal(out.status, 204);
		assert.match(out.headers.get("set-cookie")!, /^clubhouse_session=; .*Max-Age=0/);
		assert.equal((await a.http.get("/session", withCookie(cookie))).status, 401);
		assert.equal((await a.http.get("/session", withCookie(second.cookie))).status, 200, "only that session ends");
		assert.equal((await a.http.del("/session", withCookie(cookie))).status, 204, "signing out twice is fine");
		assert.equal((await a.http.del("/session")).status, 204);
	});

	it("when a session is idle longer than SESSION_IDLE_MINUTES, then it answers 401", async () => {
		const m = await activeMember(a.http, club);
		const { cookie } = await signIn(a.http, m.email);
		const staff: any = a.brokers[0].getLocalService("staff");
		await staff.db("sessions").where({ member_id: m.id }).update({ last_used_at: staff.db.raw("now() - interval '721 minutes'") });
		const api: any = a.brokers[0].getLocalService("api");
		api.sessionCache.clear();
		assert.equal((await a.http.get("/club", withCookie(cookie))).status, 401);
	});

	it("when a key that opened a session is revoked, then the session answers 401 at once", async () => {
		const made = (await a.http.post("/api-keys", { name: "temp admin", role: "staff" }, { key: club.admin })).body;
		const { cookie } = await signInWithKey(a.http, made.key);
		assert.equal((await a.http.get("/clients", withCookie(cookie))).status, 200);
		assert.equal((await a.http.del(`/api-keys/${made.id}`, { key: club.admin })).status, 204);
		assert.equal((await a.http.get("/clients", withCookie(cookie))).status, 401);
	});

	it("when the platform key signs in, then 401: it has no club", async () => {
		assert.equal((await a.http.post("/session", { apiKey: process.env.PLATFORM_API_KEY })).status, 401);
	});

	it("when invited members have not accepted, then they cannot sign in", async () => {
		const { member } = await invite(a.http, club);
		assert.equal((await a.http.post("/session", { email: member.email, password: PASSWORD })).status, 401);
	});
});
