/**
 * The client directory through the real gateway on real Postgres: create (normalised,
 * unique e-mail, default/External group, idempotency), search and list, edit, delete,
 * bulk, categories, tags, tenant isolation and roles, and the bus actions.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { ServiceBroker } from "moleculer";
import { app, newClub, platformKey, type Running, type TestClub } from "../../../test/support/app";
import { recordEvents } from "../../../test/support/events";
import { person } from "./helpers";
import * as clientsQueries from "../clients.queries";
import { up as splitLegacyTags } from "../../../migrations/clients/20261210000000_tags_without_separators";

const uuid = () => crypto.randomUUID();
/** A client as GET shows it: POST's answer without its possibleDuplicates. */
const asStored = ({ possibleDuplicates: _dups, ...client }: any) => client;
const email = (tag = "c") => `${tag}.${crypto.randomBytes(4).toString("hex")}@example.com`;

describe("Clients: create, read, edit, delete (single process)", () => {
	let a: Running;
	let club: TestClub;
	let other: TestClub;
	let broker: ServiceBroker;

	before(async () => {
		a = await app();
		broker = a.brokers[0];
		club = await newClub(a.http);
		other = await newClub(a.http, { country: "FR" });
	});

	const groupsOf = async (c: TestClub) => {
		const res = await a.http.get("/groups", { key: c.admin });
		return { def: res.body.items.find((g: any) => g.isDefault), ext: res.body.items.find((g: any) => g.system) };
	};

	describe("POST /clients", () => {
		it("when staff adds a client typed the way people do, then 201 with normalised fields in the default group", async () => {
			const mail = email("Jose");
			const res = await a.http.post("/clients", { fullName: "  José   Pérez ", email: `  ${mail.toUpperCase()} `, phone: "612 34 56 78", gender: "Hombre", country: "España", birthDate: "1985-04-12", notes: "Left-handed", tags: [" VIP", "vip", "Morning "] }, { key: club.staff });
			assert.equal(res.status, 201, res.text);
			const c = res.body;
			assert.equal(res.headers.get("location"), `/api/v1/clients/${c.id}`);
			assert.deepEqual(
				{ fullName: c.fullName, email: c.email, phone: c.phone, gender: c.gender, country: c.country, birthDate: c.birthDate, notes: c.notes, tags: c.tags, categories: c.categories, verified: c.verified, source: c.source },
				{ fullName: "José Pérez", email: mail.toLowerCase(), phone: "+34612345678", gender: "male", country: "ES", birthDate: "1985-04-12", notes: "Left-handed", tags: ["vip", "morning"], categories: [], verified: false, source: "staff" },
			);
			assert.equal(c.groupId, (await groupsOf(club)).def.id);
			assert.match(c.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
			assert.deepEqual(Object.keys(c).sort(), ["birthDate", "categories", "country", "createdAt", "email", "fullName", "gender", "groupId", "id", "notes", "phone", "possibleDuplicates", "source", "tags", "updatedAt", "verified"]);
			const got = await a.http.get(`/clients/${c.id}`, { key: club.viewer });
			assert.equal(got.status, 200);
			const { possibleDuplicates: _dups, ...client } = c;
			assert.deepEqual(got.body, client);
		});

		it("when the phone is national, then the client's country is its region (not the club's)", async () => {
			const res = await a.http.post("/clients", person({ phone: "06 12 34 56 78", country: "France" }), { key: club.staff });
			assert.equal(res.status, 201, res.text);
			assert.equal(res.body.phone, "+33612345678");
			assert.equal(res.body.country, "FR");
		});

		it("when required fields are missing or invalid, then 422 names each field", async () => {
			const missing = await a.http.post("/clients", { fullName: "X" }, { key: club.staff });
			assert.equal(missing.status, 422);
			assert.equal(missing.body.type, "VALIDATION_ERROR");
			assert.deepEqual(missing.body.data.map((d: any) => d.field).sort(), ["country", "email", "gender", "phone"]);
			const bad = await a.http.post("/clients", { fullName: " ", email: "not-an-email", phone: "12", gender: "maybe", country: "Atlantis", birthDate: "2031-02-30", tags: [""] }, { key: club.staff });
			assert.equal(bad.status, 422);
			assert.deepEqual(bad.body.data.map((d: any) => d.field).sort(), ["birthDate", "country", "email", "fullName", "gender", "tags[0]"]);
			const phone = await a.http.post("/clients", person({ phone: "123" }), { key: club.staff });
			assert.equal(phone.status, 422);
			assert.deepEqual(phone.body.data.map((d: any) => d.field), ["phone"]);
			const future = await a.http.post("/clients", person({ birthDate: "2999-01-01" }), { key: club.staff });
			assert.deepEqual(future.body.data.map((d: any) => [d.field, d.type]), [["birthDate", "dateMax"]]);
		});

		it("when the body carries unknown or server-owned fields (source included), then 422 and nothing is stored", async () => {
			const mail = email();
			const res = await a.http.post("/clients", person({ email: mail, id: uuid(), verified: true, clubId: other.club.id, createdAt: "2020-01-01T00:00:00.000Z", categories: [] }), { key: club.staff });
			assert.equal(res.status, 422);
			assert.deepEqual(res.body.data.map((d: any) => d.field).sort(), ["categories", "clubId", "createdAt", "id", "verified"]);
			const src = await a.http.post("/clients", person({ email: mail, source: "online" }), { key: club.staff });
			assert.equal(src.status, 422);
			assert.deepEqual(src.body.data.map((d: any) => d.field), ["source"]);
			const search = await a.http.get(`/clients?q=${encodeURIComponent(mail)}`, { key: club.staff });
			assert.equal(search.body.items.length, 0);
		});

		it("when the e-mail already exists in the club (any case), then 409 CLIENT_EXISTS with its id; another club may use it", async () => {
			const mail = email();
			const first = await a.http.post("/clients", person({ email: mail }), { key: club.staff });
			const dup = await a.http.post("/clients", person({ email: ` ${mail.toUpperCase()}`, fullName: "Someone Else" }), { key: club.staff });
			assert.equal(dup.status, 409);
			assert.equal(dup.body.type, "CLIENT_EXISTS");
			assert.deepEqual(dup.body.data, { clientId: first.body.id });
			assert.equal((await a.http.post("/clients", person({ email: mail }), { key: other.staff })).status, 201);
		});

		it("when 8 requests create the same e-mail at once, then exactly one 201 and the rest 409", async () => {
			const mail = email("race");
			const results = await Promise.all(Array.from({ length: 8 }, (_, i) => a.http.post("/clients", person({ email: mail, fullName: `Racer ${i}` }), { key: club.staff })));
			const statuses = results.map(r => r.status).sort();
			assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
			const winner = results.find(r => r.status === 201)!.body.id;
			for (const r of results.filter(r => r.status === 409)) assert.equal(r.body.data.clientId, winner);
		});

		it("when groupId is one of the club's groups, then it is used; another club's, unknown or not a UUID, then 422 groupId", async () => {
			const { ext } = await groupsOf(club);
			const ok = await a.http.post("/clients", person({ groupId: ext.id }), { key: club.staff });
			assert.equal(ok.status, 201);
			assert.equal(ok.body.groupId, ext.id);
			const foreign = (await groupsOf(other)).def.id;
			for (const groupId of [foreign, uuid(), "nope"]) {
				const res = await a.http.post("/clients", person({ groupId }), { key: club.staff });
				assert.equal(res.status, 422, groupId);
				assert.deepEqual(res.body.data.map((d: any) => d.field), ["groupId"]);
			}
		});

		it("when the same Idempotency-Key is replayed, then the first answer comes back; with another body, 422", async () => {
			const key = `idem-${uuid()}`;
			const body = person();
			const first = await a.http.post("/clients", body, { key: club.staff, idempotencyKey: key });
			const again = await a.http.post("/clients", body, { key: club.staff, idempotencyKey: key });
			assert.equal(first.status, 201);
			assert.equal(again.status, 201);
			assert.deepEqual(again.body, first.body);
			const reused = await a.http.post("/clients", person(), { key: club.staff, idempotencyKey: key });
			assert.equal(reused.status, 422);
			assert.equal(reused.body.type, "IDEMPOTENCY_KEY_REUSED");
		});

		it("when a viewer adds a client, then 403; staff and admin may", async () => {
			const v = await a.http.post("/clients", person(), { key: club.viewer });
			assert.equal(v.status, 403);
			assert.equal(v.body.type, "FORBIDDEN");
			assert.equal((await a.http.post("/clients", person(), { key: club.admin })).status, 201);
			assert.equal((await a.http.post("/clients", person(), { key: platformKey() })).status, 403);
			assert.equal((await a.http.post("/clients", person())).status, 401);
		});
	});

	describe("bus actions", () => {
		it("when the booking system creates a client with source online, then it lands in External with source online", async () => {
			const { ext } = await groupsOf(club);
			const c: any = await broker.call("clients.create", { ...person(), source: "online" }, { meta: { clubId: club.club.id } });
			assert.equal(c.groupId, ext.id);
			assert.equal(c.source, "online");
			const staff: any = await broker.call("clients.create", person(), { meta: { clubId: club.club.id } });
			assert.equal(staff.source, "staff");
			assert.equal(staff.groupId, (await groupsOf(club)).def.id);
		});

		it("when a bus action is called without ctx.meta.clubId, then it is refused with CLUB_REQUIRED", async () => {
			for (const [action, params] of [
				["clients.get", { id: uuid() }],
				["clients.findByEmail", { email: "a@b.co" }],
				["clients.create", person()],
				["clients.countByGroup", {}],
				["clients.countByCategory", {}],
				["clients.moveAllFromGroup", { fromGroupId: uuid(), toGroupId: uuid() }],
			] as const) {
				await assert.rejects(broker.call(action, params), (err: any) => err.type === "CLUB_REQUIRED", action);
			}
		});

		it("when get and findByEmail are called with the club, then they answer its client, null/404 for others", async () => {
			const mail = email("Bus");
			const made = await a.http.post("/clients", person({ email: mail }), { key: club.staff });
			made.body = asStored(made.body);
			const meta = { meta: { clubId: club.club.id } };
			assert.deepEqual(await broker.call("clients.get", { id: made.body.id }, meta), made.body);
			assert.deepEqual(await broker.call("clients.findByEmail", { email: ` ${mail.toUpperCase()} ` }, meta), made.body);
			assert.equal(await broker.call("clients.findByEmail", { email: email() }, meta), null);
			assert.equal(await broker.call("clients.findByEmail", { email: "not an e-mail" }, meta), null);
			assert.equal(await broker.call("clients.findByEmail", { email: mail }, { meta: { clubId: other.club.id } }), null);
			await assert.rejects(broker.call("clients.get", { id: made.body.id }, { meta: { clubId: other.club.id } }), (err: any) => err.type === "NOT_FOUND" && err.code === 404);
			await assert.rejects(broker.call("clients.get", { id: "x'; drop" }, meta), (err: any) => err.type === "NOT_FOUND");
		});

		it("when counts are asked per group and category, and a group's clients are moved, then the numbers follow", async () => {
			const c2 = await newClub(a.http);
			const { def, ext } = await groupsOf(c2);
			const meta = { meta: { clubId: c2.club.id } };
			const ids: string[] = [];
			for (let i = 0; i < 3; i++) ids.push((await a.http.post("/clients", person(), { key: c2.staff })).body.id);
			await a.http.del(`/clients/${ids[2]}`, { key: c2.staff });
			assert.deepEqual(await broker.call("clients.countByGroup", {}, meta), { [def.id]: 2 });
			assert.deepEqual(await broker.call("clients.countByGroup", { groupIds: [ext.id, "nope"] }, meta), {});
			const cat = await a.http.post("/categories", { name: "Member", discountPercent: 10 }, { key: c2.admin });
			assert.equal(cat.status, 201, cat.text);
			assert.equal((await a.http.put(`/clients/${ids[0]}/categories/${cat.body.id}`, {}, { key: c2.staff })).status, 200);
			assert.deepEqual(await broker.call("clients.countByCategory", { categoryIds: [cat.body.id] }, meta), { [cat.body.id]: 1 });
			assert.deepEqual(await broker.call("clients.countByCategory", {}, { meta: { clubId: club.club.id } }), {});
			const moved: any = await broker.call("clients.moveAllFromGroup", { fromGroupId: def.id, toGroupId: ext.id }, meta);
			assert.deepEqual(moved, { moved: 2 });
			assert.deepEqual(await broker.call("clients.countByGroup", {}, meta), { [ext.id]: 2 });
			assert.equal((await a.http.get(`/clients/${ids[0]}`, { key: c2.viewer })).body.groupId, ext.id);
		});
	});

	describe("GET, PATCH, DELETE /clients/:id", () => {
		it("when another club's id, an unknown id or a non-UUID is used on any client route, then 404", async () => {
			const mine = (await a.http.post("/clients", person(), { key: club.staff })).body.id;
			const cat = await a.http.post("/categories", { name: `Cat ${uuid().slice(0, 6)}` }, { key: other.admin });
			for (const id of [mine, uuid(), "not-a-uuid", "1"]) {
				const k = other.admin;
				assert.equal((await a.http.get(`/clients/${id}`, { key: k })).status, 404, `GET ${id}`);
				assert.equal((await a.http.patch(`/clients/${id}`, { notes: "x" }, { key: k })).status, 404, `PATCH ${id}`);
				assert.equal((await a.http.del(`/clients/${id}`, { key: k })).status, 404, `DELETE ${id}`);
				assert.equal((await a.http.put(`/clients/${id}/categories/${cat.body.id}`, {}, { key: k })).status, 404, `PUT category ${id}`);
				assert.equal((await a.http.del(`/clients/${id}/categories/${cat.body.id}`, { key: k })).status, 404, `DELETE category ${id}`);
			}
			assert.equal((await a.http.get(`/clients/${mine}`, { key: club.viewer })).status, 200);
		});

		it("when staff patches some fields, then only those change, normalised, and updatedAt moves", async () => {
			const made = (await a.http.post("/clients", person({ country: "FR", phone: "0612345678" }), { key: club.staff })).body;
			const res = await a.http.patch(`/clients/${made.id}`, { phone: "07 98 76 54 32", notes: "Prefers mornings", tags: ["A", "b", "a"], birthDate: "1990-01-31" }, { key: club.staff });
			assert.equal(res.status, 200, res.text);
			assert.equal(res.body.phone, "+33798765432");
			assert.equal(res.body.notes, "Prefers mornings");
			assert.deepEqual(res.body.tags, ["a", "b"]);
			assert.equal(res.body.birthDate, "1990-01-31");
			assert.equal(res.body.fullName, made.fullName);
			assert.ok(res.body.updatedAt > made.updatedAt);
			const cleared = await a.http.patch(`/clients/${made.id}`, { notes: null, birthDate: null }, { key: club.staff });
			assert.equal(cleared.body.notes, null);
			assert.equal(cleared.body.birthDate, null);
			const moved = await a.http.patch(`/clients/${made.id}`, { groupId: (await groupsOf(club)).ext.id }, { key: club.staff });
			assert.equal(moved.body.groupId, (await groupsOf(club)).ext.id);
		});

		it("when a patch is invalid, has unknown fields or takes another client's e-mail, then 422 / 409 and nothing changes", async () => {
			const one = asStored((await a.http.post("/clients", person(), { key: club.staff })).body);
			const two = asStored((await a.http.post("/clients", person(), { key: club.staff })).body);
			const bad = await a.http.patch(`/clients/${one.id}`, { email: "nope", gender: "?" }, { key: club.staff });
			assert.equal(bad.status, 422);
			assert.deepEqual(bad.body.data.map((d: any) => d.field).sort(), ["email", "gender"]);
			const owned = await a.http.patch(`/clients/${one.id}`, { verified: true, source: "online", categories: [] }, { key: club.staff });
			assert.equal(owned.status, 422);
			assert.deepEqual(owned.body.data.map((d: any) => d.field).sort(), ["categories", "source", "verified"]);
			const dup = await a.http.patch(`/clients/${one.id}`, { email: two.email.toUpperCase() }, { key: club.staff });
			assert.equal(dup.status, 409);
			assert.equal(dup.body.type, "CLIENT_EXISTS");
			assert.deepEqual(dup.body.data, { clientId: two.id });
			const group = await a.http.patch(`/clients/${one.id}`, { groupId: (await groupsOf(other)).def.id }, { key: club.staff });
			assert.equal(group.status, 422);
			assert.deepEqual((await a.http.get(`/clients/${one.id}`, { key: club.staff })).body, one);
		});

		it("when a viewer patches or deletes, then 403", async () => {
			const one = asStored((await a.http.post("/clients", person(), { key: club.staff })).body);
			assert.equal((await a.http.patch(`/clients/${one.id}`, { notes: "x" }, { key: club.viewer })).status, 403);
			assert.equal((await a.http.del(`/clients/${one.id}`, { key: club.viewer })).status, 403);
			assert.equal((await a.http.get(`/clients/${one.id}`, { key: club.viewer })).body.notes, null);
		});

		it("when a client is deleted, then 204, GET 404, the e-mail may be used again and the personal data is gone", async () => {
			const rec = await recordEvents(broker, ["clients.*"]);
			try {
				const mail = email("gone");
				const one = (await a.http.post("/clients", person({ email: mail, notes: "secret", tags: ["x"] }), { key: club.staff })).body;
				const del = await a.http.del(`/clients/${one.id}`, { key: club.staff });
				assert.equal(del.status, 204);
				assert.equal(del.text, "");
				assert.equal((await a.http.get(`/clients/${one.id}`, { key: club.staff })).status, 404);
				assert.equal((await a.http.del(`/clients/${one.id}`, { key: club.staff })).status, 404);
				assert.equal((await a.http.patch(`/clients/${one.id}`, { notes: "y" }, { key: club.staff })).status, 404);
				const again = await a.http.post("/clients", person({ email: mail }), { key: club.staff });
				assert.equal(again.status, 201);
				assert.notEqual(again.body.id, one.id);
				const svc: any = broker.getLocalService("clients");
				const row = await svc.db("clients").where({ club_id: club.club.id, id: one.id }).first();
				assert.ok(row.deleted_at);
				for (const col of ["full_name", "email", "phone", "notes", "birth_date"]) assert.equal(row[col], null, col);
				assert.deepEqual(row.tags, []);
				const ev = await rec.waitFor(e => e.name === "clients.deleted" && e.payload.clientId === one.id);
				assert.deepEqual(ev.payload, { clubId: club.club.id, clientId: one.id });
			} finally {
				await rec.stop();
			}
		});

		it("when the client's wallet holds money, then DELETE is 409 WALLET_NOT_EMPTY and the client stays", async () => {
			const one = asStored((await a.http.post("/clients", person(), { key: club.staff })).body);
			const wallet = await a.http.post(`/clients/${one.id}/wallets`, { currency: "EUR" }, { key: club.staff });
			assert.equal(wallet.status, 201, wallet.text);
			const top = await a.http.post(`/wallets/${wallet.body.id}/top-up`, { amount: 500 }, { key: club.staff, idempotencyKey: uuid() });
			assert.equal(top.status, 201, top.text);
			const del = await a.http.del(`/clients/${one.id}`, { key: club.staff });
			assert.equal(del.status, 409);
			assert.equal(del.body.type, "WALLET_NOT_EMPTY");
			assert.equal((await a.http.get(`/clients/${one.id}`, { key: club.staff })).status, 200);
		});

		it("when a client with an empty wallet is deleted, then the wallet stays readable but takes no more money (409 WALLET_CLOSED)", async () => {
			const one = asStored((await a.http.post("/clients", person(), { key: club.staff })).body);
			const wallet = (await a.http.post(`/clients/${one.id}/wallets`, { currency: "EUR" }, { key: club.staff })).body;
			await a.http.post(`/wallets/${wallet.id}/top-up`, { amount: 500 }, { key: club.staff, idempotencyKey: uuid() });
			const debit = (await a.http.post(`/wallets/${wallet.id}/debit`, { amount: 500 }, { key: club.staff, idempotencyKey: uuid() })).body;
			const before = (await a.http.get(`/wallets/${wallet.id}`, { key: club.viewer })).body;
			assert.equal(before.balance, 0);
			assert.equal((await a.http.del(`/clients/${one.id}`, { key: club.staff })).status, 204);
			assert.deepEqual((await a.http.get(`/wallets/${wallet.id}`, { key: club.viewer })).body, before);
			const top = await a.http.post(`/wallets/${wallet.id}/top-up`, { amount: 100 }, { key: club.staff, idempotencyKey: uuid() });
			assert.deepEqual([top.status, top.body.type, top.body.data], [409, "WALLET_CLOSED", { walletId: wallet.id }]);
			const refund = await a.http.post(`/wallets/${wallet.id}/refund`, { transactionId: debit.id }, { key: club.staff, idempotencyKey: uuid() });
			assert.deepEqual([refund.status, refund.body.type], [409, "WALLET_CLOSED"]);
			assert.equal((await a.http.get(`/wallets/${wallet.id}/transactions`, { key: club.viewer })).body.items.length, 2);
		});

		it("when clients.deleted arrives (a wallet opened during the deletion), then the client's empty wallets close and one holding money stays open", async () => {
			const one = asStored((await a.http.post("/clients", person(), { key: club.staff })).body);
			const eur = (await a.http.post(`/clients/${one.id}/wallets`, { currency: "EUR" }, { key: club.staff })).body;
			const usd = (await a.http.post(`/clients/${one.id}/wallets`, { currency: "USD" }, { key: club.staff })).body;
			await a.http.post(`/wallets/${usd.id}/top-up`, { amount: 5 }, { key: club.staff, idempotencyKey: uuid() });
			broker.emit("clients.deleted", { clubId: club.club.id, clientId: one.id });
			const topUp = (w: { id: string }) => a.http.post(`/wallets/${w.id}/top-up`, { amount: 1 }, { key: club.staff, idempotencyKey: uuid() });
			let status = 0;
			for (let i = 0; i < 100 && status !== 409; i++) {
				await new Promise(r => setTimeout(r, 20));
				status = (await topUp(eur)).status;
			}
			assert.equal(status, 409);
			assert.equal((await topUp(usd)).status, 201);
		});

		describe("when a top-up and the client's deletion meet on an empty wallet", () => {
			/** Holds the wallet's row lock while `first` then `second` queue behind it, then lets them go in that order. */
			async function inOrder(walletId: string, first: () => Promise<any>, second: () => Promise<any>) {
				const wallets: any = broker.getLocalService("wallets");
				const waiting = async (n: number) => {
					for (let i = 0; i < 200; i++) {
						const res = await wallets.db.raw("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
						if (res.rows[0].n >= n) return;
						await new Promise(r => setTimeout(r, 10));
					}
					assert.fail(`${n} statements should be waiting for the wallet's lock`);
				};
				const trx = await wallets.db.transaction();
				await trx("wallets").where({ id: walletId }).forUpdate().first();
				const one = first();
				await waiting(1);
				const two = second();
				await waiting(2);
				await trx.commit();
				return Promise.all([one, two]);
			}

			const emptyWallet = async () => {
				const client = (await a.http.post("/clients", person(), { key: club.staff })).body;
				const wallet = (await a.http.post(`/clients/${client.id}/wallets`, { currency: "EUR" }, { key: club.staff })).body;
				return { client, wallet };
			};

			it("top-up first: the money lands and the deletion is 409 WALLET_NOT_EMPTY", async () => {
				const { client, wallet } = await emptyWallet();
				const [top, del] = await inOrder(
					wallet.id,
					() => a.http.post(`/wallets/${wallet.id}/top-up`, { amount: 700 }, { key: club.staff, idempotencyKey: uuid() }),
					() => a.http.del(`/clients/${client.id}`, { key: club.staff }),
				);
				assert.equal(top.status, 201, top.text);
				assert.deepEqual([del.status, del.body.type], [409, "WALLET_NOT_EMPTY"]);
				assert.equal((await a.http.get(`/clients/${client.id}`, { key: club.viewer })).status, 200);
				assert.equal((await a.http.get(`/wallets/${wallet.id}`, { key: club.viewer })).body.balance, 700);
				const again = await a.http.post(`/wallets/${wallet.id}/top-up`, { amount: 1 }, { key: club.staff, idempotencyKey: uuid() });
				assert.equal(again.status, 201, "the refused deletion left the wallet open");
			});

			it("deletion first: the client is gone and the top-up is 409 WALLET_CLOSED (no money lands)", async () => {
				const { client, wallet } = await emptyWallet();
				const [del, top] = await inOrder(
					wallet.id,
					() => a.http.del(`/clients/${client.id}`, { key: club.staff }),
					() => a.http.post(`/wallets/${wallet.id}/top-up`, { amount: 700 }, { key: club.staff, idempotencyKey: uuid() }),
				);
				assert.equal(del.status, 204, del.text);
				assert.deepEqual([top.status, top.body.type], [409, "WALLET_CLOSED"]);
				assert.equal((await a.http.get(`/wallets/${wallet.id}`, { key: club.viewer })).body.balance, 0);
			});
		});

		it("when clients are created, patched and deleted, then clients.created/updated/deleted carry clubId after commit", async () => {
			const rec = await recordEvents(broker, ["clients.*"]);
			try {
				const { possibleDuplicates: _dups, ...one } = (await a.http.post("/clients", person(), { key: club.staff })).body;
				const created = await rec.waitFor(e => e.name === "clients.created" && e.payload.client?.id === one.id);
				assert.deepEqual(created.payload, { clubId: club.club.id, client: one });
				const patched = (await a.http.patch(`/clients/${one.id}`, { notes: "n" }, { key: club.staff })).body;
				const updated = await rec.waitFor(e => e.name === "clients.updated" && e.payload.client?.id === one.id);
				assert.deepEqual(updated.payload, { clubId: club.club.id, client: patched });
				const before = rec.events.length;
				await a.http.post("/clients", person({ email: one.email }), { key: club.staff }); // 409: nothing announced
				await a.http.patch(`/clients/${one.id}`, { notes: "n" }, { key: club.staff }); // no change: nothing announced
				await new Promise(r => setTimeout(r, 100));
				assert.equal(rec.events.length, before);
			} finally {
				await rec.stop();
			}
		});
	});

	describe("search and list", () => {
		let c: TestClub;
		const made: Record<string, any> = {};
		let vipCat: string;

		before(async () => {
			c = await newClub(a.http);
			const people = [
				["jose", { fullName: "José Álvarez Núñez", email: "jose.alvarez@padel.es", phone: "+34 611 222 333", tags: ["vip"] }],
				["zoe", { fullName: "Zoë Müller", email: "zoe@example.de", phone: "+49 151 23456789", country: "DE", tags: ["junior", "vip"] }],
				["marc", { fullName: "Marc O'Neil", email: "marc@club.fr", phone: "+33 6 98 76 54 32", country: "FR" }],
				["ana", { fullName: "Ana 50% Ruiz_", email: "ana_r@padel.es", phone: "+34 699 000 111" }],
			] as const;
			for (const [k, p] of people) {
				const res = await a.http.post("/clients", person(p), { key: c.staff });
				assert.equal(res.status, 201, res.text);
				made[k] = res.body;
			}
			vipCat = (await a.http.post("/categories", { name: "VIP members", discountPercent: 15 }, { key: c.admin })).body.id;
			await a.http.put(`/clients/${made.marc.id}/categories/${vipCat}`, { validFrom: "2026-01-01" }, { key: c.staff });
		});

		const names = (res: any) => res.body.items.map((i: any) => i.fullName);

		it("when listed, then newest first with cursor pagination over every client", async () => {
			const first = await a.http.get("/clients?limit=3", { key: c.viewer });
			assert.equal(first.status, 200);
			assert.deepEqual(names(first), ["Ana 50% Ruiz_", "Marc O'Neil", "Zoë Müller"]);
			assert.ok(first.body.nextCursor);
			const second = await a.http.get(`/clients?limit=3&cursor=${first.body.nextCursor}`, { key: c.viewer });
			assert.deepEqual(names(second), ["José Álvarez Núñez"]);
			assert.equal(second.body.nextCursor, null);
			assert.equal((await a.http.get("/clients?limit=0", { key: c.viewer })).status, 422);
			assert.equal((await a.http.get("/clients?limit=501", { key: c.viewer })).status, 422);
			assert.equal((await a.http.get("/clients?cursor=garbage", { key: c.viewer })).status, 422);
			const forged = Buffer.from(JSON.stringify(["1", "x"])).toString("base64url");
			assert.equal((await a.http.get(`/clients?cursor=${forged}`, { key: c.viewer })).status, 422);
		});

		it("when q is part of a name, in any case and without accents, then it matches", async () => {
			for (const [q, expected] of [
				["jose", ["José Álvarez Núñez"]],
				["ALVAREZ nu", ["José Álvarez Núñez"]],
				["nunez", ["José Álvarez Núñez"]],
				["zoe", ["Zoë Müller"]],
				["muller", ["Zoë Müller"]],
				["o'neil", ["Marc O'Neil"]],
				["50%", ["Ana 50% Ruiz_"]],
				["ruiz_", ["Ana 50% Ruiz_"]],
				["%", ["Ana 50% Ruiz_"]],
				["nobody", []],
			] as const) {
				const res = await a.http.get(`/clients?q=${encodeURIComponent(q)}`, { key: c.viewer });
				assert.equal(res.status, 200);
				assert.deepEqual(names(res), expected, q);
			}
		});

		it("when q is an e-mail prefix or phone digits, then it matches those", async () => {
			assert.deepEqual(names(await a.http.get(`/clients?q=${encodeURIComponent("MARC@CL")}`, { key: c.viewer })), ["Marc O'Neil"]);
			assert.deepEqual(names(await a.http.get(`/clients?q=ana_`, { key: c.viewer })), ["Ana 50% Ruiz_"]);
			assert.deepEqual(names(await a.http.get(`/clients?q=padel.es`, { key: c.viewer })), [], "a prefix, not a substring");
			assert.deepEqual(names(await a.http.get(`/clients?q=${encodeURIComponent("611 222")}`, { key: c.viewer })), ["José Álvarez Núñez"]);
			assert.deepEqual(names(await a.http.get(`/clients?q=${encodeURIComponent("+49 151")}`, { key: c.viewer })), ["Zoë Müller"]);
			assert.deepEqual(names(await a.http.get(`/clients?q=${encodeURIComponent("+34 611 222 333")}`, { key: c.viewer })), ["José Álvarez Núñez"]);
			assert.deepEqual(names(await a.http.get(`/clients?q=${encodeURIComponent("06 98 76 54 32")}`, { key: c.viewer })), ["Marc O'Neil"], "typed with the trunk prefix");
			assert.deepEqual(names(await a.http.get(`/clients?q=${encodeURIComponent("0049 151 2345")}`, { key: c.viewer })), ["Zoë Müller"], "typed with the international prefix");
			assert.deepEqual(names(await a.http.get(`/clients?q=${encodeURIComponent("+34 611 222 334")}`, { key: c.viewer })), []);
		});

		it("when filtered by group, tag, category or verified, then only those match (and other clubs never)", async () => {
			const groups = (await a.http.get("/groups", { key: c.admin })).body.items;
			const def = groups.find((g: any) => g.isDefault).id;
			await a.http.patch(`/clients/${made.zoe.id}`, { groupId: groups.find((g: any) => g.system).id }, { key: c.staff });
			assert.deepEqual(names(await a.http.get(`/clients?groupId=${def}`, { key: c.viewer })).sort(), ["Ana 50% Ruiz_", "José Álvarez Núñez", "Marc O'Neil"]);
			assert.deepEqual(names(await a.http.get(`/clients?tag=VIP`, { key: c.viewer })), ["Zoë Müller", "José Álvarez Núñez"]);
			assert.deepEqual(names(await a.http.get(`/clients?tag=vip&q=zoe`, { key: c.viewer })), ["Zoë Müller"]);
			assert.deepEqual(names(await a.http.get(`/clients?categoryId=${vipCat}`, { key: c.viewer })), ["Marc O'Neil"]);
			assert.deepEqual(names(await a.http.get(`/clients?verified=true`, { key: c.viewer })), []);
			assert.equal((await a.http.get(`/clients?verified=false`, { key: c.viewer })).body.items.length, 4);
			assert.equal((await a.http.get(`/clients?verified=maybe`, { key: c.viewer })).status, 422);
			assert.deepEqual(names(await a.http.get(`/clients?groupId=not-a-uuid`, { key: c.viewer })), []);
			assert.deepEqual(names(await a.http.get(`/clients?categoryId=${uuid()}`, { key: c.viewer })), []);
			assert.ok(!names(await a.http.get(`/clients?q=jose`, { key: club.viewer })).includes("José Álvarez Núñez"));
			assert.deepEqual(names(await a.http.get(`/clients?tag=vip`, { key: other.viewer })), []);
		});

		it("when a club is larger than the search's probe windows, then each plan answers the rows a plain scan does, page after page", async () => {
			const big = await newClub(a.http);
			const svc: any = broker.getLocalService("clients");
			const def = (await groupsOf(big)).def.id;
			// 300 clients, newest last: every 8th is a Sparse, three old ones are Rare, the rest Dense.
			await svc.db.raw(
				`INSERT INTO clients.clients (club_id, id, full_name, email, phone, gender, country, group_id, tags, source, created_at, updated_at)
				 SELECT ?::uuid, gen_random_uuid(),
				        CASE WHEN i IN (5, 6, 7) THEN 'Rare Person ' WHEN i % 8 = 0 THEN 'Sparse Person ' ELSE 'Dense Person ' END || i,
				        'p' || i || '@probe.test', '+3461100' || lpad(i::text, 4, '0'), 'other', 'ES', ?::uuid, '{}', 'import',
				        timestamptz '2024-01-01' + make_interval(mins => i), timestamptz '2024-01-01'
				   FROM generate_series(1, 300) AS i`,
				[big.club.id, def],
			);
			const reference = (f: Record<string, string>, limit: number, after: { at: string; id: string } | null) => {
				const query = clientsQueries.applyFilters(clientsQueries.liveClients(svc.db, big.club.id), big.club.id, f);
				if (after) query.whereRaw("(clients.created_at, clients.id) < (?::timestamptz, ?::uuid)", [after.at, after.id]);
				return query.orderBy([{ column: "clients.created_at", order: "desc" }, { column: "clients.id", order: "desc" }]).limit(limit);
			};
			// Which plan ran: each probe by its window, or the indexes.
			let plans: string[] = [];
			const record = (query: { sql: string; bindings?: unknown[] }) =>
				!query.sql.includes('"merges"') && // the merge sweep's look for merges left running
				!query.sql.includes("outbox") && // the outbox relay's poll, on the same pool
				plans.push(query.sql.includes("interval '0 ms'") ? "indexes" : `probe ${query.bindings?.find(b => b === 20 || b === 100)}`);
			svc.db.on("query", record);
			try {
				// limit 10, windows of 20 then 100 rows: Dense fills the first; Sparse (2 or 3 hits in
				// 20, so ~12 in 100) the wider one; Rare and a full phone number go to the indexes.
				for (const [q, plan] of [
					["dense", ["probe 20"]],
					["sparse", ["probe 20", "probe 100"]],
					["rare", ["probe 20", "indexes"]],
					["+34 611 000 007", ["probe 20", "indexes"]],
				] as const) {
					let after: { at: string; id: string } | null = null;
					for (let page = 0; page < 3; page++) {
						plans = [];
						const got: any[] = await clientsQueries.listPage(svc.db, big.club.id, { q }, 10, after, { first: 20, wider: 100 });
						if (page === 0) assert.deepEqual(plans, plan, `${q}: the plans of the first page`);
						assert.deepEqual(got.map(r => r.id), (await reference({ q }, 10, after)).map((r: any) => r.id), `${q}, page ${page}`);
						if (got.length < 10) break;
						after = { at: got[9].created_at.toISOString(), id: got[9].id };
					}
				}
			} finally {
				svc.db.off("query", record);
			}
			assert.deepEqual(names(await a.http.get(`/clients?q=rare`, { key: big.viewer })), ["Rare Person 7", "Rare Person 6", "Rare Person 5"]);
			assert.deepEqual(names(await a.http.get(`/clients?q=${encodeURIComponent("611 000 007")}`, { key: big.viewer })), ["Rare Person 7"]);
			assert.deepEqual(names(await a.http.get(`/clients?q=${encodeURIComponent("0034611000007")}`, { key: big.viewer })), ["Rare Person 7"]);
			assert.deepEqual(names(await a.http.get(`/clients?q=${encodeURIComponent("+34 611 000 00")}`, { key: big.viewer })).length, 9);
		});

		it("when GET /tags is asked, then every tag in use with its live client count, as a plain array", async () => {
			const res = await a.http.get("/tags", { key: c.viewer });
			assert.equal(res.status, 200);
			assert.deepEqual(res.body, [
				{ tag: "junior", clientCount: 1 },
				{ tag: "vip", clientCount: 2 },
			]);
			assert.deepEqual((await a.http.get("/tags", { key: other.viewer })).body.filter((t: any) => t.tag === "junior"), []);
		});
	});

	describe("POST /clients/bulk", () => {
		it("when staff moves clients and changes tags, then all are updated in one go", async () => {
			const c = await newClub(a.http);
			const { ext } = await groupsOf(c);
			const ids: string[] = [];
			for (let i = 0; i < 3; i++) ids.push((await a.http.post("/clients", person({ tags: ["old", "keep"] }), { key: c.staff })).body.id);
			const res = await a.http.post("/clients/bulk", { clientIds: [...ids, ids[0]], groupId: ext.id, addTags: [" New ", "keep"], removeTags: ["OLD"] }, { key: c.staff });
			assert.equal(res.status, 200, res.text);
			assert.deepEqual(res.body, { updated: 3 });
			for (const id of ids) {
				const got = (await a.http.get(`/clients/${id}`, { key: c.staff })).body;
				assert.equal(got.groupId, ext.id);
				assert.deepEqual(got.tags, ["keep", "new"]);
			}
			assert.equal((await a.http.post("/clients/bulk", { clientIds: ids, addTags: ["x"] }, { key: c.viewer })).status, 403);
		});

		it("when an id is unknown, another club's, deleted or not a UUID, then 422 lists them and nothing changes", async () => {
			const c = await newClub(a.http);
			const { ext } = await groupsOf(c);
			const mine = asStored((await a.http.post("/clients", person(), { key: c.staff })).body);
			const gone = (await a.http.post("/clients", person(), { key: c.staff })).body.id;
			await a.http.del(`/clients/${gone}`, { key: c.staff });
			const foreign = (await a.http.post("/clients", person(), { key: other.staff })).body.id;
			const res = await a.http.post("/clients/bulk", { clientIds: [mine.id, foreign, uuid(), "nope", gone], groupId: ext.id, addTags: ["z"] }, { key: c.staff });
			assert.equal(res.status, 422);
			assert.deepEqual(res.body.data.map((d: any) => d.field), ["clientIds[1]", "clientIds[2]", "clientIds[3]", "clientIds[4]"]);
			assert.ok(res.body.data[0].message.includes(foreign));
			assert.deepEqual((await a.http.get(`/clients/${mine.id}`, { key: c.staff })).body, mine);
			assert.equal((await a.http.get(`/clients/${foreign}`, { key: other.staff })).body.tags.length, 0);
		});

		it("when the body is empty of changes, over 1000 ids, or the group is foreign, then 422", async () => {
			const c = await newClub(a.http);
			const id = (await a.http.post("/clients", person(), { key: c.staff })).body.id;
			assert.equal((await a.http.post("/clients/bulk", { clientIds: [id] }, { key: c.staff })).status, 422);
			assert.equal((await a.http.post("/clients/bulk", { clientIds: [], addTags: ["a"] }, { key: c.staff })).status, 422);
			assert.equal((await a.http.post("/clients/bulk", { clientIds: Array.from({ length: 1001 }, uuid), addTags: ["a"] }, { key: c.staff })).status, 422);
			const foreignGroup = await a.http.post("/clients/bulk", { clientIds: [id], groupId: (await groupsOf(other)).def.id }, { key: c.staff });
			assert.equal(foreignGroup.status, 422);
			assert.deepEqual(foreignGroup.body.data.map((d: any) => d.field), ["groupId"]);
			assert.equal((await a.http.post("/clients/bulk", { clientIds: [id], addTags: ["a"], clubId: c.club.id }, { key: c.staff })).status, 422);
		});
	});

	describe("tags and the CSV tag separators", () => {
		const fieldsOf = (res: { body: any }) => (res.body.data ?? []).map((d: any) => `${d.field}:${d.type}`);

		it("when a tag holds , ; or | on POST, PATCH or the bus, then 422 tagSeparator on tags[i] and nothing is stored", async () => {
			const c = await newClub(a.http);
			const p = person({ tags: ["ok", "rock;roll", "a|b", "x,y"] });
			const res = await a.http.post("/clients", p, { key: c.staff });
			assert.equal(res.status, 422, res.text);
			assert.deepEqual(fieldsOf(res), ["tags[1]:tagSeparator", "tags[2]:tagSeparator", "tags[3]:tagSeparator"]);
			assert.match(res.body.data[0].message, /',' ';' or '\|'/);
			assert.equal((await a.http.get(`/clients?q=${encodeURIComponent(p.email as string)}`, { key: c.viewer })).body.items.length, 0);

			const made = (await a.http.post("/clients", person({ tags: ["keep"] }), { key: c.staff })).body;
			const patched = await a.http.patch(`/clients/${made.id}`, { tags: ["new", " semi ; colon "] }, { key: c.staff });
			assert.deepEqual(fieldsOf(patched), ["tags[1]:tagSeparator"]);
			assert.deepEqual((await a.http.get(`/clients/${made.id}`, { key: c.viewer })).body.tags, ["keep"]);

			await assert.rejects(
				broker.call("clients.create", person({ tags: ["a|b"] }), { meta: { clubId: c.club.id } }),
				(err: any) => err.type === "VALIDATION_ERROR" && err.data?.[0]?.field === "tags[0]",
			);
			assert.deepEqual((await a.http.get("/tags", { key: c.viewer })).body, [{ tag: "keep", clientCount: 1 }]);
		});

		it("when POST /clients/bulk adds or removes a tag holding , ; or |, then 422 on addTags[i] / removeTags[i] and no client changes", async () => {
			const c = await newClub(a.http);
			const made = (await a.http.post("/clients", person({ tags: ["keep"] }), { key: c.staff })).body;
			const res = await a.http.post("/clients/bulk", { clientIds: [made.id], addTags: ["fine", "x,y"], removeTags: ["keep", "a|b"] }, { key: c.staff });
			assert.equal(res.status, 422, res.text);
			assert.deepEqual(fieldsOf(res), ["addTags[1]:tagSeparator", "removeTags[1]:tagSeparator"]);
			assert.deepEqual((await a.http.get(`/clients/${made.id}`, { key: c.viewer })).body.tags, ["keep"]);
			assert.deepEqual((await a.http.get("/clients?tag=a%7Cb", { key: c.viewer })).body, { items: [], nextCursor: null });
		});

		it("when tags stored before the rule hold separators, then the migration splits them as an import of the export would (order kept, no duplicates)", async () => {
			const c = await newClub(a.http);
			const legacy = (await a.http.post("/clients", person(), { key: c.staff })).body;
			const clean = asStored((await a.http.post("/clients", person({ tags: ["solo"] }), { key: c.staff })).body);
			const svc: any = broker.getLocalService("clients");
			await svc.db("clients").where({ club_id: c.club.id, id: legacy.id }).update({ tags: svc.db.raw("?::text[]", [["rock;roll", "vip", "a | b|vip", " , ", "x,y"]]) });
			await splitLegacyTags(svc.db);
			const after = (await a.http.get(`/clients/${legacy.id}`, { key: c.viewer })).body;
			assert.deepEqual(after.tags, ["rock", "roll", "vip", "a", "b", "x", "y"]);
			assert.ok(after.updatedAt > legacy.updatedAt);
			assert.deepEqual((await a.http.get(`/clients/${clean.id}`, { key: c.viewer })).body, clean, "a client without separators is untouched");
		});
	});

	describe("client categories", () => {
		it("when staff gives a category with a period, then the client shows it; PUT again updates; DELETE removes", async () => {
			const c = await newClub(a.http);
			const cat = (await a.http.post("/categories", { name: "Junior", discountPercent: 20 }, { key: c.admin })).body;
			const one = (await a.http.post("/clients", person(), { key: c.staff })).body;
			const put = await a.http.put(`/clients/${one.id}/categories/${cat.id}`, { validFrom: "2026-01-01", validUntil: "2026-12-31" }, { key: c.staff });
			assert.equal(put.status, 200, put.text);
			assert.deepEqual(put.body.categories, [{ categoryId: cat.id, validFrom: "2026-01-01", validUntil: "2026-12-31" }]);
			const again = await a.http.put(`/clients/${one.id}/categories/${cat.id}`, {}, { key: c.staff });
			assert.deepEqual(again.body.categories, [{ categoryId: cat.id, validFrom: null, validUntil: null }]);
			assert.deepEqual((await a.http.get(`/clients/${one.id}`, { key: c.viewer })).body.categories, again.body.categories);
			const del = await a.http.del(`/clients/${one.id}/categories/${cat.id}`, { key: c.staff });
			assert.equal(del.status, 204);
			assert.deepEqual((await a.http.get(`/clients/${one.id}`, { key: c.viewer })).body.categories, []);
			assert.equal((await a.http.del(`/clients/${one.id}/categories/${cat.id}`, { key: c.staff })).status, 404);
		});

		it("when the category is another club's or unknown, then 404; bad dates or from > until, then 422; viewer 403", async () => {
			const c = await newClub(a.http);
			const foreign = (await a.http.post("/categories", { name: "Elsewhere" }, { key: other.admin })).body;
			const mine = (await a.http.post("/categories", { name: "Here" }, { key: c.admin })).body;
			const one = (await a.http.post("/clients", person(), { key: c.staff })).body;
			for (const catId of [foreign.id, uuid(), "nope"]) {
				assert.equal((await a.http.put(`/clients/${one.id}/categories/${catId}`, {}, { key: c.staff })).status, 404, catId);
			}
			const bad = await a.http.put(`/clients/${one.id}/categories/${mine.id}`, { validFrom: "2026-02-30", validUntil: "soon" }, { key: c.staff });
			assert.equal(bad.status, 422);
			assert.deepEqual(bad.body.data.map((d: any) => d.field), ["validFrom", "validUntil"]);
			const order = await a.http.put(`/clients/${one.id}/categories/${mine.id}`, { validFrom: "2026-05-01", validUntil: "2026-04-30" }, { key: c.staff });
			assert.equal(order.status, 422);
			assert.deepEqual(order.body.data.map((d: any) => d.field), ["validUntil"]);
			assert.equal((await a.http.put(`/clients/${one.id}/categories/${mine.id}`, { validFrom: "2026-05-01", extra: 1 }, { key: c.staff })).status, 422);
			assert.equal((await a.http.put(`/clients/${one.id}/categories/${mine.id}`, {}, { key: c.viewer })).status, 403);
			assert.equal((await a.http.put(`/clients/${one.id}/categories/${mine.id}`, { validFrom: "2026-05-01", validUntil: "2026-05-01" }, { key: c.staff })).status, 200);
		});
	});
});
