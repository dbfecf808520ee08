/** API.md "Staff members and sessions": members, invitations, roles, LAST_ADMIN and what the trail records (single process). */
import assert from "node:assert/strict";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";
import { PASSWORD, activeMember, invite, signIn, signInWithKey, staffEmail, withCookie } from "./support";

describe("Staff members (single process)", () => {
	let a: Running;
	let club: TestClub;
	const outbox = (where: Record<string, string>) => (a.brokers[0].getLocalService("staff") as any).db("outbox").where(where).orderBy("at");

	before(async () => {
		a = await app();
		club = await newClub(a.http);
	});

	it("when an admin invites a person, then 201 the invited member and a token shown once, valid 7 days", async () => {
		const email = staffEmail();
		const res = await a.http.post("/staff", { name: " Marta Ruiz ", email: `  ${email.toUpperCase()} `, role: "staff" }, { key: club.admin });
		assert.equal(res.status, 201, res.text);
		const { invitation, ...member } = res.body;
		assert.deepEqual(Object.keys(member).sort(), ["createdAt", "email", "id", "lastSignInAt", "name", "role", "status", "updatedAt"]);
		assert.equal(member.name, "Marta Ruiz");
		assert.equal(member.email, email);
		assert.equal(member.status, "invited");
		assert.equal(member.lastSignInAt, null);
		assert.match(invitation.token, /^[A-Za-z0-9_-]{43}$/);
		assert.equal(res.headers.get("cache-control"), "no-store");
		assert.equal(res.headers.get("location"), `/api/v1/staff/${member.id}`);
		const days = (Date.parse(invitation.expiresAt) - Date.now()) / 86_400_000;
		assert.ok(days > 6.99 && days <= 7, `7 days, got ${days}`);
		const got = await a.http.get(`/staff/${member.id}`, { key: club.admin });
		assert.deepEqual(got.body, member);
		assert.ok(!got.text.includes(invitation.token));
		const list = await a.http.get("/staff", { key: club.admin });
		assert.ok(list.body.items.some((m: any) => m.id === member.id));
		assert.ok(!list.text.includes(invitation.token), "never listed");
		const [entry] = await outbox({ target_id: member.id, action: "staff.create" });
		assert.equal(entry.actor.type, "key");
		assert.deepEqual(entry.changes.email, [null, email]);
		assert.ok(!JSON.stringify(entry).includes(invitation.token), "no secret in the trail");
	});

	it("when an e-mail is invited twice in a club (any case), then 409 STAFF_EXISTS; another club may use it", async () => {
		const email = staffEmail();
		const first = await invite(a.http, club, { email });
		const again = await a.http.post("/staff", { name: "X", email: email.toUpperCase(), role: "viewer" }, { key: club.admin });
		assert.equal(again.status, 409);
		assert.equal(again.body.type, "STAFF_EXISTS");
		assert.equal(again.body.data.staffId, first.member.id);
		const other = await newClub(a.http);
		assert.equal((await a.http.post("/staff", { name: "X", email, role: "viewer" }, { key: other.admin })).status, 201);
	});

	it("when the invitation is bad input, then 422 naming the field; staff and viewer keys get 403", async () => {
		for (const body of [{ name: "X", email: "not-an-email", role: "staff" }, { name: "X", email: staffEmail(), role: "owner" }, { name: "", email: staffEmail(), role: "staff" }, { name: "X", email: staffEmail(), role: "staff", status: "active" }]) {
			const res = await a.http.post("/staff", body, { key: club.admin });
			assert.equal(res.status, 422, JSON.stringify(body));
		}
		assert.equal((await a.http.post("/staff", { name: "X", email: staffEmail(), role: "staff" }, { key: club.staff })).status, 403);
		assert.equal((await a.http.get("/staff", { key: club.viewer })).status, 403);
	});

	it("when the invited person accepts with a good password, then 200 active; the token is single-use", async () => {
		const { member, token } = await invite(a.http, club);
		const res = await a.http.post("/staff/accept", { token, password: PASSWORD });
		assert.equal(res.status, 200, res.text);
		assert.equal(res.body.id, member.id);
		assert.equal(res.body.status, "active");
		assert.equal((await a.http.post("/staff/accept", { token, password: PASSWORD })).status, 404);
		const [entry] = await outbox({ target_id: member.id, action: "staff.accept" });
		assert.deepEqual(entry.actor, { type: "staff", id: member.id, name: member.name });
		assert.deepEqual(entry.changes, { status: ["invited", "active"] });
		assert.ok(!JSON.stringify(entry).includes(PASSWORD));
	});

	it("when two accepts of one token race, then one wins and the other is 404", async () => {
		const { token } = await invite(a.http, club);
		const both = await Promise.all([a.http.post("/staff/accept", { token, password: PASSWORD }), a.http.post("/staff/accept", { token, password: `${PASSWORD}-2` })]);
		assert.deepEqual(both.map(r => r.status).sort(), [200, 404]);
	});

	it("when the password is short, long or common, then 422 (WEAK_PASSWORD for a common one) and the token still works", async () => {
		const { token } = await invite(a.http, club);
		const short = await a.http.post("/staff/accept", { token, password: "short-pw" });
		assert.equal(short.status, 422);
		assert.equal(short.body.data[0].field, "password");
		assert.equal((await a.http.post("/staff/accept", { token, password: "x".repeat(129) })).status, 422);
		for (const common of ["password1234", "qwerty123456", "123456789012", "Password1234"]) {
			const res = await a.http.post("/staff/accept", { token, password: common });
			assert.equal(res.status, 422, common);
			assert.equal(res.body.type, "WEAK_PASSWORD");
			assert.equal(res.body.data[0].field, "password");
			assert.ok(!res.text.includes(common), "the password is not echoed");
		}
		assert.equal((await a.http.post("/staff/accept", { token, password: PASSWORD })).status, 200);
	});

	it("when the token is unknown, expired or malformed, then 404", async () => {
		assert.equal((await a.http.post("/staff/accept", { token: "A".repeat(43), password: PASSWORD })).status, 404);
		const { member, token } = await invite(a.http, club);
		const staff: any = a.brokers[0].getLocalService("staff");
		await staff.db("invitations").where({ member_id: member.id }).update({ expires_at: staff.db.raw("now() - interval '1 second'") });
		assert.equal((await a.http.post("/staff/accept", { token, password: PASSWORD })).status, 404);
		assert.equal((await a.http.post("/staff/accept", { token: 42, password: PASSWORD })).status, 422);
		assert.equal((await a.http.post("/staff/accept", { token, password: PASSWORD, role: "admin" })).status, 422);
	});

	it("when an admin re-invites a member, then the old token, the password and every session end; the new token works", async () => {
		const { member, token: first } = await invite(a.http, club);
		const m = await activeMember(a.http, club);
		const { cookie } = await signIn(a.http, m.email);
		const re = await a.http.post(`/staff/${m.id}/invitation`, {}, { key: club.admin });
		assert.equal(re.status, 201, re.text);
		assert.equal(re.body.id, m.id);
		assert.match(re.body.invitation.token, /^[A-Za-z0-9_-]{43}$/);
		assert.equal((await a.http.get("/club", withCookie(cookie))).status, 401, "the session ended");
		assert.equal((await a.http.post("/session", { email: m.email, password: PASSWORD })).status, 401, "the old password ended");
		const again = await a.http.post("/staff/accept", { token: re.body.invitation.token, password: "a-brand-new-passphrase" });
		assert.equal(again.status, 200);
		assert.equal((await signIn(a.http, m.email, "a-brand-new-passphrase")).body.actor.id, m.id);
		// A pending invitation is replaced too.
		const re2 = await a.http.post(`/staff/${member.id}/invitation`, {}, { key: club.admin });
		assert.equal((await a.http.post("/staff/accept", { token: first, password: PASSWORD })).status, 404);
		assert.equal((await a.http.post("/staff/accept", { token: re2.body.invitation.token, password: PASSWORD })).status, 200);
	});

	it("when an admin disables a member, then its sessions end at once and it cannot sign in; re-enabled, it can", async () => {
		const m = await activeMember(a.http, club);
		const { cookie } = await signIn(a.http, m.email);
		assert.equal((await a.http.get("/clients", withCookie(cookie))).status, 200);
		const res = await a.http.patch(`/staff/${m.id}`, { status: "disabled" }, { key: club.admin });
		assert.equal(res.status, 200, res.text);
		assert.equal(res.body.status, "disabled");
		assert.equal((await a.http.get("/clients", withCookie(cookie))).status, 401);
		const refused = await a.http.post("/session", { email: m.email, password: PASSWORD });
		assert.equal(refused.status, 401);
		assert.equal(refused.body.type, "INVALID_CREDENTIALS", "a disabled member looks like a wrong password");
		assert.equal((await a.http.patch(`/staff/${m.id}`, { status: "active" }, { key: club.admin })).body.status, "active");
		await signIn(a.http, m.email);
		const [entry] = await outbox({ target_id: m.id, action: "staff.update" });
		assert.deepEqual(entry.changes, { status: ["active", "disabled"] });
	});

	it("when a member's role changes, then its sessions end; a rename keeps them", async () => {
		const m = await activeMember(a.http, club, { role: "viewer" });
		const { cookie } = await signIn(a.http, m.email);
		assert.equal((await a.http.patch(`/staff/${m.id}`, { name: "Renamed" }, { key: club.admin })).body.name, "Renamed");
		assert.equal((await a.http.get("/session", withCookie(cookie))).body.actor.name, "Renamed");
		const res = await a.http.patch(`/staff/${m.id}`, { role: "staff" }, { key: club.admin });
		assert.equal(res.body.role, "staff");
		assert.equal((await a.http.get("/club", withCookie(cookie))).status, 401);
		assert.equal((await signIn(a.http, m.email)).body.role, "staff");
	});

	it("when a member is patched with bad input, then 422; an unknown, foreign or malformed id is 404", async () => {
		const m = await activeMember(a.http, club);
		assert.equal((await a.http.patch(`/staff/${m.id}`, { status: "invited" }, { key: club.admin })).status, 422);
		assert.equal((await a.http.patch(`/staff/${m.id}`, { email: "x@y.co" }, { key: club.admin })).status, 422);
		const other = await newClub(a.http);
		for (const [method, path] of [["GET", `/staff/${m.id}`], ["PATCH", `/staff/${m.id}`], ["POST", `/staff/${m.id}/invitation`], ["GET", "/staff/not-a-uuid"], ["GET", "/staff/00000000-0000-4000-8000-000000000000"]]) {
			const res = await a.http.request(method, path, { key: other.admin, body: method === "GET" ? undefined : method === "PATCH" ? { name: "Hijack" } : {} });
			assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
		}
		assert.equal((await a.http.get(`/staff/${m.id}`, { key: club.admin })).body.name, m.name);
		assert.ok(!(await a.http.get("/staff", { key: other.admin })).body.items.some((x: any) => x.id === m.id));
	});

	it("when one e-mail is a member of two clubs, then sign-in answers 409 CLUB_REQUIRED listing them until club is given", async () => {
		const email = staffEmail("both");
		const other = await newClub(a.http);
		const here = await activeMember(a.http, club, { email, role: "staff" });
		const there = await activeMember(a.http, other, { email, role: "viewer" });
		const res = await a.http.post("/session", { email, password: PASSWORD });
		assert.equal(res.status, 409, res.text);
		assert.equal(res.body.type, "CLUB_REQUIRED");
		assert.deepEqual(res.body.data.clubs.map((c: any) => c.id).sort(), [club.club.id, other.club.id].sort());
		assert.deepEqual(Object.keys(res.body.data.clubs[0]).sort(), ["id", "name"]);
		const inOther = await signIn(a.http, email, PASSWORD, other.club.id);
		assert.equal(inOther.body.actor.id, there.id);
		assert.equal(inOther.body.role, "viewer");
		assert.equal((await signIn(a.http, email, PASSWORD, club.club.id)).body.actor.id, here.id);
		assert.equal((await signIn(a.http, email, PASSWORD, other.club.name.toUpperCase())).body.actor.id, there.id, "or by its name");
		assert.equal((await a.http.post("/session", { email, password: "wrong-password-here", club: club.club.id })).status, 401);
		assert.equal((await a.http.post("/session", { email, password: PASSWORD, club: "00000000-0000-4000-8000-000000000000" })).status, 401);
	});

	it("when members sign in, fail and sign out, then each is in its club's trail, without secrets", async () => {
		const m = await activeMember(a.http, club);
		assert.equal((await a.http.post("/session", { email: m.email, password: "not-my-password" })).status, 401);
		const { cookie } = await signIn(a.http, m.email);
		assert.equal((await a.http.del("/session", withCookie(cookie))).status, 204);
		const entries = await outbox({ target_id: m.id });
		assert.deepEqual(entries.map((e: any) => e.action), ["staff.create", "staff.accept", "staff.signInFailed", "staff.signIn", "staff.signOut"]);
		for (const e of entries.slice(2)) assert.deepEqual(e.actor, { type: "staff", id: m.id, name: m.name });
		const text = JSON.stringify(entries);
		assert.ok(!text.includes(PASSWORD) && !text.includes("not-my-password") && !text.includes(cookie.split("=")[1]));
	});

	it("when a member is invited, signs in, fails, signs out and is disabled, then GET /audit shows each once with its actor", async () => {
		const m = await activeMember(a.http, club);
		assert.equal((await a.http.post("/session", { email: m.email, password: "not-my-password" })).status, 401);
		const { cookie, body } = await signIn(a.http, m.email);
		assert.equal((await a.http.del("/session", withCookie(cookie))).status, 204);
		assert.equal((await a.http.patch(`/staff/${m.id}`, { status: "disabled" }, { key: club.admin })).status, 200);
		const want = ["staff.create", "staff.accept", "staff.signInFailed", "staff.signIn", "staff.signOut", "staff.update"];
		let items: any[] = [];
		for (const until = Date.now() + 10_000; Date.now() < until; await new Promise(r => setTimeout(r, 100))) {
			items = (await a.http.get(`/audit?targetType=staff&targetId=${m.id}`, { key: club.admin })).body.items ?? [];
			if (items.length >= want.length) break;
		}
		assert.deepEqual(items.map(e => e.action).reverse(), want, JSON.stringify(items));
		const by = Object.fromEntries(items.map(e => [e.action, e]));
		assert.equal(by["staff.create"].actor.type, "key");
		assert.equal(by["staff.signIn"].actor.id, body.actor.id);
		assert.equal(by["staff.signInFailed"].actor.id, m.id);
		assert.deepEqual(by["staff.update"].changes, { status: ["active", "disabled"] });
		// A member's own session is the actor of what it changes.
		const boss = await activeMember(a.http, club, { role: "admin", name: "Boss Person" });
		const bossSession = await signIn(a.http, boss.email);
		const made = await a.http.post("/api-keys", { name: "by a person", role: "viewer" }, withCookie(bossSession.cookie));
		let keyEntries: any[] = [];
		for (const until = Date.now() + 10_000; Date.now() < until && !keyEntries.length; await new Promise(r => setTimeout(r, 100))) {
			keyEntries = (await a.http.get(`/audit?targetType=apiKey&targetId=${made.body.id}`, { key: club.admin })).body.items ?? [];
		}
		assert.equal(keyEntries.length, 1);
		assert.deepEqual(keyEntries[0].actor, { type: "staff", id: boss.id, name: "Boss Person" });
		assert.ok(!JSON.stringify([...items, ...keyEntries]).includes(PASSWORD), "no secret in the trail");
	});

	describe("LAST_ADMIN", () => {
		it("when the only admin key is revoked, then 409 LAST_ADMIN and it still works", async () => {
			const c = await newClub(a.http);
			const res = await a.http.del(`/api-keys/${c.adminKeyId}`, { key: c.admin });
			assert.equal(res.status, 409, res.text);
			assert.equal(res.body.type, "LAST_ADMIN");
			assert.equal((await a.http.get("/club", { key: c.admin })).status, 200);
		});

		it("when an active admin member exists, then the last admin key may go; then that member cannot be demoted or disabled", async () => {
			const c = await newClub(a.http);
			const boss = await activeMember(a.http, c, { role: "admin" });
			const { cookie } = await signIn(a.http, boss.email);
			assert.equal((await a.http.del(`/api-keys/${c.adminKeyId}`, { key: c.admin })).status, 204);
			for (const patch of [{ role: "staff" }, { status: "disabled" }]) {
				const res = await a.http.patch(`/staff/${boss.id}`, patch, withCookie(cookie));
				assert.equal(res.status, 409, res.text);
				assert.equal(res.body.type, "LAST_ADMIN");
			}
			assert.equal((await a.http.get("/session", withCookie(cookie))).body.role, "admin", "nothing changed");
			// An invited admin does not count; an active one does.
			const invited = await a.http.post("/staff", { name: "Second", email: staffEmail(), role: "admin" }, withCookie(cookie));
			assert.equal((await a.http.patch(`/staff/${boss.id}`, { role: "staff" }, withCookie(cookie))).status, 409);
			await a.http.post("/staff/accept", { token: invited.body.invitation.token, password: PASSWORD });
			assert.equal((await a.http.patch(`/staff/${boss.id}`, { role: "staff" }, withCookie(cookie))).status, 200);
		});

		it("when the last two admin keys are revoked at the same time, then exactly one succeeds", async () => {
			// On the bus, so that neither call is refused earlier for its own key: only the lock decides.
			const bus = a.brokers[0];
			for (let round = 0; round < 5; round++) {
				const c = await newClub(a.http);
				const second = (await a.http.post("/api-keys", { name: "second admin", role: "admin" }, { key: c.admin })).body;
				const meta = { clubId: c.club.id };
				const outcomes = await Promise.all(
					[second.id, c.adminKeyId].map(id => bus.call("clubs.revokeKey", { id }, { meta }).then(() => "revoked", (err: any) => err.type)),
				);
				assert.deepEqual(outcomes.sort(), ["LAST_ADMIN", "revoked"]);
				const left = await Promise.all([c.admin, second.key].map(k => a.http.get("/club", { key: k }).then(r => r.status)));
				assert.deepEqual(left.sort(), [200, 401]);
			}
		});

		it("when the last admin key and the last admin member are removed at the same time, then exactly one succeeds", async () => {
			const bus = a.brokers[0];
			for (let round = 0; round < 3; round++) {
				const c = await newClub(a.http);
				const boss = await activeMember(a.http, c, { role: "admin" });
				const meta = { clubId: c.club.id };
				const outcomes = await Promise.all([
					bus.call("clubs.revokeKey", { id: c.adminKeyId }, { meta }).then(() => "key revoked", (err: any) => err.type),
					bus.call("staff.update", { id: boss.id, status: "disabled" }, { meta }).then(() => "member disabled", (err: any) => err.type),
				]);
				assert.equal(outcomes.filter(o => o === "LAST_ADMIN").length, 1, outcomes.join());
			}
		});

		it("when a key session opens and the admin key is revoked with a staff admin left, then the key's sessions end", async () => {
			const c = await newClub(a.http);
			await activeMember(a.http, c, { role: "admin" });
			const { cookie } = await signInWithKey(a.http, c.admin);
			assert.equal((await a.http.del(`/api-keys/${c.adminKeyId}`, withCookie(cookie))).status, 204);
			assert.equal((await a.http.get("/club", withCookie(cookie))).status, 401);
		});
	});
});
