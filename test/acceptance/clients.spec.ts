/** API.md "Clients" and PRODUCT.md §1 and §3 (normalisation, search, edit, delete, bulk, tags). */
import assert from "node:assert/strict";
import { assertError, assertInvalid, createClient, email, esMobile, forEachTopology, groupsOf, inDays, newClub, person, plusHours, poll, uid, type TestClub } from "./support";

const CLIENT_KEYS = ["birthDate", "categories", "country", "createdAt", "email", "fullName", "gender", "groupId", "id", "notes", "phone", "source", "tags", "updatedAt", "verified"];

forEachTopology("Acceptance: clients", env => {
	let club: TestClub;
	let groups: Record<string, any>;
	before(async () => {
		club = await newClub(env().http);
		groups = (await groupsOf(env().http, club)).byName;
	});

	describe("create", () => {
		it("when staff creates a client, then 201 with exactly the documented fields, source staff, the default group and unverified", async () => {
			const { http } = env();
			const phone = esMobile();
			const res = await http.post("/clients", { fullName: "Lucía Pérez", email: email(), phone: phone.national, gender: "female", country: "ES", birthDate: "1990-02-28", notes: "left-handed", tags: ["Padel"] }, { key: club.staff });
			assert.equal(res.status, 201, res.text);
			assert.deepEqual(Object.keys(res.body).sort(), [...CLIENT_KEYS, "possibleDuplicates"].sort());
			assert.deepEqual(res.body.possibleDuplicates, []);
			const c = res.body;
			assert.equal(c.fullName, "Lucía Pérez");
			assert.equal(c.phone, phone.e164);
			assert.equal(c.gender, "female");
			assert.equal(c.country, "ES");
			assert.equal(c.birthDate, "1990-02-28");
			assert.equal(c.notes, "left-handed");
			assert.equal(c.groupId, groups.Default.id);
			assert.deepEqual(c.tags, ["padel"]);
			assert.deepEqual(c.categories, []);
			assert.equal(c.verified, false);
			assert.equal(c.source, "staff");
			assert.match(c.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
			assert.match(c.updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
			const got = await http.get(`/clients/${c.id}`, { key: club.viewer });
			assert.equal(got.status, 200);
			const { possibleDuplicates: _dups, ...stored } = c;
			assert.deepEqual(got.body, stored);
		});

		it("when optional fields are left out, then they read as null / empty", async () => {
			const { http } = env();
			const c = await createClient(http, club);
			assert.equal(c.birthDate, null);
			assert.equal(c.notes, null);
			assert.deepEqual(c.tags, []);
		});

		it("when a required field is missing, then 422 naming it", async () => {
			const { http } = env();
			for (const field of ["fullName", "email", "phone", "gender", "country"]) {
				const p: any = person();
				delete p[field];
				assertInvalid(await http.post("/clients", p, { key: club.staff }), field);
			}
		});

		it("when values are not valid (email, phone, gender, country, birthDate, groupId), then 422 naming the field", async () => {
			const { http } = env();
			assertInvalid(await http.post("/clients", person({ email: "not-an-email" }), { key: club.staff }), "email");
			assertInvalid(await http.post("/clients", person({ phone: "12" }), { key: club.staff }), "phone");
			assertInvalid(await http.post("/clients", person({ gender: "banana" }), { key: club.staff }), "gender");
			assertInvalid(await http.post("/clients", person({ country: "Atlantis" }), { key: club.staff }), "country");
			assertInvalid(await http.post("/clients", person({ birthDate: "1990-13-45" }), { key: club.staff }), "birthDate");
			assertInvalid(await http.post("/clients", person({ birthDate: "tomorrow" }), { key: club.staff }), "birthDate");
			const bad = await http.post("/clients", person({ groupId: "6f1c7b0e-9c8a-4f5e-8a53-1b2c3d4e5f60" }), { key: club.staff });
			assert.ok([404, 422].includes(bad.status), bad.text);
		});

		it("when the input needs normalising, then e-mail is trimmed and lower-cased, phone is E.164 from the country, country and gender are canonical", async () => {
			const { http } = env();
			const local = `Jean.Dupont.${uid()}`;
			const res = await http.post("/clients", { fullName: "Jean Dupont", email: `  ${local}@Example.COM `, phone: "06 12 34 56 78", gender: "H", country: "France" }, { key: club.staff });
			assert.equal(res.status, 201, res.text);
			assert.equal(res.body.email, `${local.toLowerCase()}@example.com`);
			assert.equal(res.body.phone, "+33612345678");
			assert.equal(res.body.country, "FR");
			assert.equal(res.body.gender, "male");
		});

		it("when the country is written fr, FR, France or Francia, then it is FR", async () => {
			const { http } = env();
			for (const country of ["fr", "FR", "France", "Francia"]) {
				const res = await http.post("/clients", person({ country, phone: "+33 6 12 34 56 78" }), { key: club.staff });
				assert.equal(res.status, 201, `${country}: ${res.text}`);
				assert.equal(res.body.country, "FR", country);
			}
		});

		it("when the gender is written F, female or femme, then it is female; male and other are kept", async () => {
			const { http } = env();
			for (const [gender, want] of [["F", "female"], ["female", "female"], ["femme", "female"], ["male", "male"], ["other", "other"]]) {
				const res = await http.post("/clients", person({ gender }), { key: club.staff });
				assert.equal(res.status, 201, `${gender}: ${res.text}`);
				assert.equal(res.body.gender, want, gender);
			}
		});

		it("when tags are given, then they are trimmed, lower-cased and deduplicated; a tag over 40 characters is a 422", async () => {
			const { http } = env();
			const c = await createClient(http, club, { tags: [" VIP ", "vip", "Juniors", "juniors "] });
			assert.deepEqual([...c.tags].sort(), ["juniors", "vip"]);
			assertInvalid(await http.post("/clients", person({ tags: ["x".repeat(41)] }), { key: club.staff }), "tags");
			assertInvalid(await http.post("/clients", person({ tags: ["   "] }), { key: club.staff }), "tags");
			const forty = await createClient(http, club, { tags: ["y".repeat(40)] });
			assert.deepEqual(forty.tags, ["y".repeat(40)]);
		});

		it("when the e-mail already exists in the club (any case), then 409 CLIENT_EXISTS with data.clientId; another club may use it", async () => {
			const { http } = env();
			const first = await createClient(http, club);
			const res = await http.post("/clients", person({ email: first.email.toUpperCase() }), { key: club.staff });
			assertError(res, 409, "CLIENT_EXISTS");
			assert.equal(res.body.data.clientId, first.id);
			const other = await newClub(http);
			assert.equal((await http.post("/clients", person({ email: first.email }), { key: other.staff })).status, 201);
		});

		it("when a groupId is given, then the client is in that group", async () => {
			const { http } = env();
			const g = await http.post("/groups", { name: `Juniors ${uid()}` }, { key: club.admin });
			const c = await createClient(http, club, { groupId: g.body.id });
			assert.equal(c.groupId, g.body.id);
		});
	});

	describe("search and list", () => {
		let searchClub: TestClub;
		let jose: any, maria: any, vip: any, juniors: any;
		before(async () => {
			const { http } = env();
			searchClub = await newClub(http);
			const g = await http.post("/groups", { name: "Juniors" }, { key: searchClub.admin });
			juniors = g.body;
			jose = await createClient(http, searchClub, { fullName: "José Álvarez", email: `jose.alvarez.${uid()}@example.com`, phone: "+34 611 22 33 44", gender: "male" });
			maria = await createClient(http, searchClub, { fullName: "María Núñez", email: `maria.${uid()}@example.com`, phone: "+34 622 99 88 77", groupId: juniors.id });
			vip = await createClient(http, searchClub, { fullName: "Pedro Vip", email: `pedro.${uid()}@example.com`, phone: "+34 633 00 11 22", tags: ["vip"], gender: "male" });
		});

		it("when q is part of a name in another case or without accents, then the client is found", async () => {
			const { http } = env();
			for (const q of ["jose", "JOSÉ", "alvarez", "osé álv"]) {
				const res = await http.get(`/clients?q=${encodeURIComponent(q)}`, { key: searchClub.viewer });
				assert.equal(res.status, 200);
				assert.deepEqual(res.body.items.map((c: any) => c.id), [jose.id], q);
			}
			const nunez = await http.get(`/clients?q=nunez`, { key: searchClub.viewer });
			assert.deepEqual(nunez.body.items.map((c: any) => c.id), [maria.id]);
		});

		it("when q is an e-mail prefix or phone digits, then the client is found", async () => {
			const { http } = env();
			assert.deepEqual((await http.get(`/clients?q=maria.`, { key: searchClub.viewer })).body.items.map((c: any) => c.id), [maria.id]);
			assert.deepEqual((await http.get(`/clients?q=622998877`, { key: searchClub.viewer })).body.items.map((c: any) => c.id), [maria.id]);
			assert.deepEqual((await http.get(`/clients?q=${encodeURIComponent("+34633001122")}`, { key: searchClub.viewer })).body.items.map((c: any) => c.id), [vip.id]);
		});

		it("when filtering by groupId, tag or verified, then only matching clients, newest first", async () => {
			const { http } = env();
			assert.deepEqual((await http.get(`/clients?groupId=${juniors.id}`, { key: searchClub.viewer })).body.items.map((c: any) => c.id), [maria.id]);
			assert.deepEqual((await http.get(`/clients?tag=VIP`, { key: searchClub.viewer })).body.items.map((c: any) => c.id), [vip.id]);
			assert.deepEqual((await http.get(`/clients?verified=true`, { key: searchClub.viewer })).body.items, []);
			assert.deepEqual((await http.get(`/clients?verified=false`, { key: searchClub.viewer })).body.items.map((c: any) => c.id), [vip.id, maria.id, jose.id]);
			assert.deepEqual((await http.get(`/clients`, { key: searchClub.viewer })).body.items.map((c: any) => c.id), [vip.id, maria.id, jose.id]);
		});

		it("when filtering by categoryId, then only the clients holding it", async () => {
			const { http } = env();
			const cat = await http.post("/categories", { name: `Member ${uid()}`, discountPercent: 10 }, { key: searchClub.admin });
			assert.equal(cat.status, 201, cat.text);
			const put = await http.put(`/clients/${jose.id}/categories/${cat.body.id}`, {}, { key: searchClub.staff });
			assert.ok([200, 201, 204].includes(put.status), put.text);
			assert.deepEqual((await http.get(`/clients?categoryId=${cat.body.id}`, { key: searchClub.viewer })).body.items.map((c: any) => c.id), [jose.id]);
		});

		it("when a filter is not valid (groupId not a uuid, verified not a boolean), then a 4xx, never a 5xx", async () => {
			const { http } = env();
			for (const qs of ["groupId=abc", "verified=maybe", "categoryId=1"]) {
				const res = await http.get(`/clients?${qs}`, { key: searchClub.viewer });
				assert.ok(res.status === 200 ? res.body.items.length === 0 : res.status >= 400 && res.status < 500, `${qs}: ${res.status} ${res.text}`);
			}
		});
	});

	describe("edit", () => {
		it("when a subset of fields is patched, then only those change, normalised, and updatedAt moves", async () => {
			const { http } = env();
			const c = await createClient(http, club, { notes: "a" });
			await new Promise(r => setTimeout(r, 5));
			const res = await http.patch(`/clients/${c.id}`, { notes: "b", country: "francia", phone: "06 11 22 33 44", tags: ["New", "new"] }, { key: club.staff });
			assert.equal(res.status, 200, res.text);
			assert.equal(res.body.notes, "b");
			assert.equal(res.body.country, "FR");
			assert.equal(res.body.phone, "+33611223344");
			assert.deepEqual(res.body.tags, ["new"]);
			assert.equal(res.body.fullName, c.fullName);
			assert.equal(res.body.email, c.email);
			assert.ok(res.body.updatedAt > c.updatedAt);
			assert.equal(res.body.createdAt, c.createdAt);
			assert.deepEqual((await http.get(`/clients/${c.id}`, { key: club.viewer })).body, res.body);
		});

		it("when a patch sets an e-mail that another client has, then 409 CLIENT_EXISTS", async () => {
			const { http } = env();
			const [a, b] = await Promise.all([createClient(http, club), createClient(http, club)]);
			assertError(await http.patch(`/clients/${b.id}`, { email: a.email }, { key: club.staff }), 409, "CLIENT_EXISTS");
		});

		it("when a patch carries unknown or immutable fields, then 422", async () => {
			const { http } = env();
			const c = await createClient(http, club);
			assertInvalid(await http.patch(`/clients/${c.id}`, { verified: true }, { key: club.staff }), "verified");
			assertInvalid(await http.patch(`/clients/${c.id}`, { source: "online" }, { key: club.staff }), "source");
			assertInvalid(await http.patch(`/clients/${c.id}`, { gender: "banana" }, { key: club.staff }), "gender");
		});

		it("when the groupId is patched, then the client moves and the groups' counts follow", async () => {
			const { http } = env();
			const local = await newClub(http);
			const g = (await http.post("/groups", { name: "Seniors" }, { key: local.admin })).body;
			const c = await createClient(http, local);
			const res = await http.patch(`/clients/${c.id}`, { groupId: g.id }, { key: local.staff });
			assert.equal(res.status, 200, res.text);
			assert.equal(res.body.groupId, g.id);
			const { byName } = await groupsOf(http, local);
			assert.equal(byName.Seniors.clientCount, 1);
			assert.equal(byName.Default.clientCount, 0);
		});
	});

	describe("delete", () => {
		it("when a client is deleted, then 204, GET is 404 and the e-mail may be used again", async () => {
			const { http } = env();
			const c = await createClient(http, club);
			assert.equal((await http.del(`/clients/${c.id}`, { key: club.staff })).status, 204);
			assertError(await http.get(`/clients/${c.id}`, { key: club.viewer }), 404, "NOT_FOUND");
			assertError(await http.del(`/clients/${c.id}`, { key: club.staff }), 404, "NOT_FOUND");
			const found = await http.get(`/clients?q=${encodeURIComponent(c.email)}`, { key: club.viewer });
			assert.equal(found.body.items.length, 0);
			assert.equal((await http.post("/clients", person({ email: c.email }), { key: club.staff })).status, 201);
		});

		it("when the client has a wallet with money, then 409 WALLET_NOT_EMPTY; once it is empty, the delete works", async () => {
			const { http } = env();
			const c = await createClient(http, club);
			const w = await http.post(`/clients/${c.id}/wallets`, { currency: "EUR" }, { key: club.staff });
			assert.equal(w.status, 201, w.text);
			assert.equal((await http.post(`/wallets/${w.body.id}/top-up`, { amount: 500 }, { key: club.staff, idempotencyKey: uid() })).status, 201);
			assertError(await http.del(`/clients/${c.id}`, { key: club.staff }), 409, "WALLET_NOT_EMPTY");
			assert.equal((await http.get(`/clients/${c.id}`, { key: club.viewer })).status, 200);
			assert.equal((await http.post(`/wallets/${w.body.id}/debit`, { amount: 500 }, { key: club.staff, idempotencyKey: uid() })).status, 201);
			assert.equal((await http.del(`/clients/${c.id}`, { key: club.staff })).status, 204);
		});

		it("when a client with future bookings is deleted, then the bookings are cancelled (the place is freed)", async () => {
			const { http } = env();
			const local = await newClub(http);
			const c = await createClient(http, local);
			const startsAt = inDays(3);
			const b = await http.post("/bookings", { clientId: c.id, productId: "court-1", startsAt, endsAt: plusHours(startsAt, 1), channel: "staff" }, { key: local.staff });
			assert.equal(b.status, 201, b.text);
			const id = b.body.bookings[0].id;
			assert.equal((await http.del(`/clients/${c.id}`, { key: local.staff })).status, 204);
			const ev = await env().waitForEvent(e => e.name === "bookings.cancelled" && JSON.stringify(e.payload).includes(id));
			assert.equal(ev.payload.clubId, local.club.id);
		});

		it("when a viewer deletes, then 403", async () => {
			const { http } = env();
			const c = await createClient(http, club);
			assertError(await http.del(`/clients/${c.id}`, { key: club.viewer }), 403, "FORBIDDEN");
		});
	});

	describe("bulk", () => {
		it("when many clients are moved and tagged at once, then { updated } and every one changed", async () => {
			const { http } = env();
			const local = await newClub(http);
			const g = (await http.post("/groups", { name: "Team" }, { key: local.admin })).body;
			const cs = await Promise.all([0, 1, 2].map(() => createClient(http, local, { tags: ["old"] })));
			const res = await http.post("/clients/bulk", { clientIds: cs.map(c => c.id), groupId: g.id, addTags: ["Gold", "silver"], removeTags: ["OLD"] }, { key: local.staff });
			assert.equal(res.status, 200, res.text);
			assert.deepEqual(res.body, { updated: 3 });
			for (const c of cs) {
				const got = (await http.get(`/clients/${c.id}`, { key: local.viewer })).body;
				assert.equal(got.groupId, g.id);
				assert.deepEqual([...got.tags].sort(), ["gold", "silver"]);
			}
		});

		it("when one id is unknown (or another club's), then 422 listing it and nothing changed", async () => {
			const { http } = env();
			const local = await newClub(http);
			const other = await newClub(http);
			const g = (await http.post("/groups", { name: "Team" }, { key: local.admin })).body;
			const mine = await createClient(http, local);
			const theirs = await createClient(http, other);
			const unknown = "6f1c7b0e-9c8a-4f5e-8a53-1b2c3d4e5f60";
			const res = await http.post("/clients/bulk", { clientIds: [mine.id, theirs.id, unknown], groupId: g.id, addTags: ["x"] }, { key: local.staff });
			assertError(res, 422);
			assert.ok(res.text.includes(unknown) && res.text.includes(theirs.id), res.text);
			const after = (await http.get(`/clients/${mine.id}`, { key: local.viewer })).body;
			assert.equal(after.groupId, mine.groupId);
			assert.deepEqual(after.tags, []);
			assert.deepEqual((await http.get(`/clients/${theirs.id}`, { key: other.viewer })).body.tags, []);
		});

		it("when more than 1000 ids are sent, then 422", async () => {
			const { http } = env();
			const ids = Array.from({ length: 1001 }, (_, i) => `6f1c7b0e-9c8a-4f5e-8a53-${String(i).padStart(12, "0")}`);
			assertInvalid(await http.post("/clients/bulk", { clientIds: ids, addTags: ["x"] }, { key: club.staff }), "clientIds");
		});
	});

	describe("categories of a client, tags and panel", () => {
		it("when a category is put on a client with a period, then the client lists it; deleting it removes it", async () => {
			const { http } = env();
			const local = await newClub(http);
			const cat = (await http.post("/categories", { name: "Junior", discountPercent: 20 }, { key: local.admin })).body;
			const c = await createClient(http, local);
			const put = await http.put(`/clients/${c.id}/categories/${cat.id}`, { validFrom: "2026-01-01", validUntil: "2027-12-31" }, { key: local.staff });
			assert.ok([200, 201, 204].includes(put.status), put.text);
			const got = (await http.get(`/clients/${c.id}`, { key: local.viewer })).body;
			assert.deepEqual(got.categories, [{ categoryId: cat.id, validFrom: "2026-01-01", validUntil: "2027-12-31" }]);
			const again = await http.put(`/clients/${c.id}/categories/${cat.id}`, {}, { key: local.staff });
			assert.ok([200, 201, 204].includes(again.status), again.text);
			assert.deepEqual((await http.get(`/clients/${c.id}`, { key: local.viewer })).body.categories, [{ categoryId: cat.id, validFrom: null, validUntil: null }]);
			const del = await http.del(`/clients/${c.id}/categories/${cat.id}`, { key: local.staff });
			assert.ok([200, 204].includes(del.status), del.text);
			assert.deepEqual((await http.get(`/clients/${c.id}`, { key: local.viewer })).body.categories, []);
		});

		it("when the category is another club's, or the period is inverted, then 4xx and nothing stored", async () => {
			const { http } = env();
			const [local, other] = await Promise.all([newClub(http), newClub(http)]);
			const theirs = (await http.post("/categories", { name: "Theirs", discountPercent: 5 }, { key: other.admin })).body;
			const mine = (await http.post("/categories", { name: "Mine", discountPercent: 5 }, { key: local.admin })).body;
			const c = await createClient(http, local);
			const res = await http.put(`/clients/${c.id}/categories/${theirs.id}`, {}, { key: local.staff });
			assert.ok([404, 422].includes(res.status), res.text);
			assertInvalid(await http.put(`/clients/${c.id}/categories/${mine.id}`, { validFrom: "2027-01-01", validUntil: "2026-01-01" }, { key: local.staff }));
			assert.deepEqual((await http.get(`/clients/${c.id}`, { key: local.viewer })).body.categories, []);
		});

		it("when clients carry tags, then GET /tags counts clients per tag", async () => {
			const { http } = env();
			const local = await newClub(http);
			await createClient(http, local, { tags: ["a", "b"] });
			await createClient(http, local, { tags: ["A"] });
			const res = await http.get("/tags", { key: local.viewer });
			assert.equal(res.status, 200, res.text);
			const items = Array.isArray(res.body) ? res.body : res.body.items;
			const sorted = [...items].sort((x: any, y: any) => x.tag.localeCompare(y.tag));
			assert.deepEqual(sorted, [{ tag: "a", clientCount: 2 }, { tag: "b", clientCount: 1 }]);
		});

		it("when a client's bookings are listed by scope, then future/past/all go by startsAt and include cancelled ones", async () => {
			const { http } = env();
			const local = await newClub(http);
			const c = await createClient(http, local);
			const s1 = inDays(2), s2 = inDays(4);
			const b1 = (await http.post("/bookings", { clientId: c.id, productId: "court-1", startsAt: s1, endsAt: plusHours(s1, 1), channel: "staff" }, { key: local.staff })).body.bookings[0];
			const b2 = (await http.post("/bookings", { clientId: c.id, productId: "court-1", startsAt: s2, endsAt: plusHours(s2, 1), channel: "staff" }, { key: local.staff })).body.bookings[0];
			assert.equal((await http.post(`/bookings/${b2.id}/cancel`, {}, { key: local.staff })).status, 200);
			const future = await http.get(`/clients/${c.id}/bookings?scope=future`, { key: local.viewer });
			assert.equal(future.status, 200, future.text);
			const items = Array.isArray(future.body) ? future.body : future.body.items;
			assert.deepEqual(new Set(items.map((b: any) => b.id)), new Set([b1.id, b2.id]));
			assert.equal(items.find((b: any) => b.id === b2.id).status, "cancelled");
			const past = await http.get(`/clients/${c.id}/bookings?scope=past`, { key: local.viewer });
			assert.deepEqual(Array.isArray(past.body) ? past.body : past.body.items, []);
			const all = await http.get(`/clients/${c.id}/bookings?scope=all`, { key: local.viewer });
			assert.equal((Array.isArray(all.body) ? all.body : all.body.items).length, 2);
			assertInvalid(await http.get(`/clients/${c.id}/bookings?scope=someday`, { key: local.viewer }), "scope");
		});

		it("when a client's wallets are listed, then each has its balance and the newest 10 transactions, newest first", async () => {
			const { http } = env();
			const local = await newClub(http);
			const c = await createClient(http, local);
			const w = (await http.post(`/clients/${c.id}/wallets`, { currency: "EUR" }, { key: local.staff })).body;
			for (let i = 1; i <= 12; i++) assert.equal((await http.post(`/wallets/${w.id}/top-up`, { amount: i, reference: `r${i}` }, { key: local.staff, idempotencyKey: uid() })).status, 201);
			const res = await http.get(`/clients/${c.id}/wallets`, { key: local.viewer });
			assert.equal(res.status, 200, res.text);
			const items = Array.isArray(res.body) ? res.body : res.body.items;
			assert.equal(items.length, 1);
			assert.equal(items[0].id, w.id);
			assert.equal(items[0].balance, 78);
			assert.equal(items[0].currency, "EUR");
			assert.deepEqual(items[0].recentTransactions.map((t: any) => t.amount), [12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
		});
	});

	it("when client events are listened to, then clients.created, clients.updated and clients.deleted carry the club id", async () => {
		const { http, waitForEvent } = env();
		const c = await createClient(http, club);
		const created = await waitForEvent(e => e.name === "clients.created" && e.payload?.client?.id === c.id);
		assert.equal(created.payload.clubId, club.club.id);
		await http.patch(`/clients/${c.id}`, { notes: "evt" }, { key: club.staff });
		const updated = await waitForEvent(e => e.name === "clients.updated" && e.payload?.client?.id === c.id);
		assert.equal(updated.payload.clubId, club.club.id);
		await http.del(`/clients/${c.id}`, { key: club.staff });
		const deleted = await waitForEvent(e => e.name === "clients.deleted" && JSON.stringify(e.payload).includes(c.id));
		assert.equal(deleted.payload.clubId, club.club.id);
	});

	describe("body fields only in the body", () => {
		it("when a POST carries body fields in the query string, then they are refused (422), never stored over the JSON body", async () => {
			const { http } = env();
			const p = person();
			const res = await http.post("/clients?fullName=Evil", p, { key: club.staff });
			assertInvalid(res, "fullName");
			assert.equal((await http.get(`/clients?q=${encodeURIComponent(p.email)}`, { key: club.viewer })).body.items.length, 0);
		});

		it("when a PATCH carries a field in the query string, then 422 and nothing changes", async () => {
			const { http } = env();
			const c = await createClient(http, club);
			assertInvalid(await http.patch(`/clients/${c.id}?notes=viaquery`, {}, { key: club.staff }), "notes");
			assert.equal((await http.get(`/clients/${c.id}`, { key: club.viewer })).body.notes, null);
		});

		it("when a PATCH body names an id (another client's), then 422 id, never silently ignored", async () => {
			const { http } = env();
			const [a, b] = await Promise.all([createClient(http, club), createClient(http, club)]);
			assertInvalid(await http.patch(`/clients/${a.id}`, { id: b.id, notes: "x" }, { key: club.staff }), "id");
			assert.equal((await http.get(`/clients/${a.id}`, { key: club.viewer })).body.notes, null);
		});
	});

	it("when tags hold any other punctuation, then every accepted tag survives export → import into an empty club", async () => {
		const { http } = env();
		const local = await newClub(http);
		const c = await createClient(http, local, { tags: ["rock & roll", "a/b", "x:y", "-minus", "=eq", "ünï cödé"] });
		const text = (await http.get("/clients/export", { key: local.viewer })).text;
		const empty = await newClub(http);
		const job = await http.request("POST", "/imports", { key: empty.staff, rawBody: text, headers: { "content-type": "text/csv" } });
		assert.equal(job.status, 202, job.text);
		const done = await poll(() => http.get(`/imports/${job.body.id}`, { key: empty.viewer }), r => r.body.status === "completed");
		assert.equal(done.body.created, 1);
		const back = (await http.get(`/clients?q=${encodeURIComponent(c.email)}`, { key: empty.viewer })).body.items[0];
		assert.deepEqual([...back.tags].sort(), [...c.tags].sort());
	});
});
