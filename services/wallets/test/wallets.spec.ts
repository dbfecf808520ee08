/**
 * Club wallets through the real gateway on real Postgres, story-ordered: open a wallet,
 * move money, refuse what must be refused, survive parallel calls and retries, keep the
 * ledger immutable, and prove every balance against its ledger.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import knex from "knex";
import type { ServiceBroker } from "moleculer";
import { app, newClub, type Http, type Running, type TestClub } from "../../../test/support/app";
import { recordEvents } from "../../../test/support/events";
import { createClient } from "../../../test/support/factories";

const key = () => `k-${crypto.randomUUID()}`;
/** A real client of the club, through POST /clients. */
const newClient = async (http: Http, club: TestClub): Promise<string> => (await createClient(http, club)).id;

async function newWallet(http: Http, club: TestClub, clientId?: string, currency = "EUR"): Promise<{ walletId: string; clientId: string }> {
	const cid = clientId ?? (await newClient(http, club));
	const res = await http.post(`/clients/${cid}/wallets`, { currency }, { key: club.staff });
	assert.equal(res.status, 201, res.text);
	return { walletId: res.body.id, clientId: cid };
}

const topUp = (http: Http, club: TestClub, walletId: string, amount: unknown, k = key(), extra: Record<string, unknown> = {}) =>
	http.post(`/wallets/${walletId}/top-up`, { amount, ...extra }, { key: club.staff, idempotencyKey: k });
const debit = (http: Http, club: TestClub, walletId: string, amount: unknown, k = key(), extra: Record<string, unknown> = {}) =>
	http.post(`/wallets/${walletId}/debit`, { amount, ...extra }, { key: club.staff, idempotencyKey: k });
const refund = (http: Http, club: TestClub, walletId: string, body: Record<string, unknown>, k = key()) =>
	http.post(`/wallets/${walletId}/refund`, body, { key: club.staff, idempotencyKey: k });
const balanceOf = async (http: Http, club: TestClub, walletId: string) => (await http.get(`/wallets/${walletId}`, { key: club.viewer })).body.balance as number;

describe("Wallets (through the gateway, real Postgres)", function () {
	this.timeout(60_000);
	let a: Running;
	let http: Http;
	let broker: ServiceBroker;
	let club: TestClub;
	let other: TestClub;

	before(async () => {
		a = await app();
		http = a.http;
		broker = a.brokers[0];
		[club, other] = await Promise.all([newClub(http), newClub(http)]);
	});

	describe("opening wallets", () => {
		it("when staff opens a wallet for a client, then 201 with a zero balance in the upper-cased currency", async () => {
			const clientId = await newClient(http, club);
			const res = await http.post(`/clients/${clientId}/wallets`, { currency: "eur" }, { key: club.staff });
			assert.equal(res.status, 201);
			assert.deepEqual(Object.keys(res.body).sort(), ["balance", "clientId", "createdAt", "currency", "id", "updatedAt"]);
			assert.equal(res.body.clientId, clientId);
			assert.equal(res.body.currency, "EUR");
			assert.equal(res.body.balance, 0);
			assert.equal(res.headers.get("location"), `/api/v1/wallets/${res.body.id}`);
			const again = await http.get(`/wallets/${res.body.id}`, { key: club.viewer });
			assert.deepEqual(again.body, res.body);
		});

		it("when a second wallet in the same currency is opened, then 409 WALLET_EXISTS naming the first; another currency is fine", async () => {
			const { walletId, clientId } = await newWallet(http, club);
			const dup = await http.post(`/clients/${clientId}/wallets`, { currency: "EUR" }, { key: club.staff });
			assert.equal(dup.status, 409);
			assert.equal(dup.body.type, "WALLET_EXISTS");
			assert.equal(dup.body.data.walletId, walletId);
			assert.equal((await http.post(`/clients/${clientId}/wallets`, { currency: "CHF" }, { key: club.staff })).status, 201);
		});

		it("when the currency is not ISO 4217 or a field is unknown, then 422 naming the field", async () => {
			const clientId = await newClient(http, club);
			for (const currency of ["XXQ", "EURO", "", 12]) {
				const res = await http.post(`/clients/${clientId}/wallets`, { currency }, { key: club.staff });
				assert.equal(res.status, 422, `currency ${JSON.stringify(currency)}`);
				assert.equal(res.body.data[0].field, "currency");
			}
			const extra = await http.post(`/clients/${clientId}/wallets`, { currency: "EUR", balance: 500 }, { key: club.staff });
			assert.equal(extra.status, 422);
			assert.ok(extra.body.data.some((d: any) => d.field === "balance"));
		});

		it("when the client is unknown, another club's, or not a UUID, then 404", async () => {
			const theirs = await newClient(http, other);
			for (const id of [crypto.randomUUID(), theirs, "not-a-uuid"]) {
				const res = await http.post(`/clients/${id}/wallets`, { currency: "EUR" }, { key: club.staff });
				assert.equal(res.status, 404, id);
				assert.equal(res.body.type, "NOT_FOUND");
				assert.equal((await http.get(`/clients/${id}/wallets`, { key: club.viewer })).status, 404, id);
			}
		});

		it("when a viewer opens a wallet, then 403", async () => {
			const clientId = await newClient(http, club);
			const res = await http.post(`/clients/${clientId}/wallets`, { currency: "EUR" }, { key: club.viewer });
			assert.equal(res.status, 403);
			assert.equal(res.body.type, "FORBIDDEN");
		});
	});

	describe("moving money", () => {
		it("when money is topped up, debited and refunded, then every entry carries the balance after it", async () => {
			const { walletId } = await newWallet(http, club);
			const t = await topUp(http, club, walletId, 1000, key(), { reference: "cash desk" });
			assert.equal(t.status, 201);
			assert.deepEqual(Object.keys(t.body).sort(), ["amount", "balanceAfter", "createdAt", "id", "reference", "refundOf", "type", "walletId"]);
			assert.deepEqual([t.body.type, t.body.amount, t.body.balanceAfter, t.body.reference, t.body.refundOf, t.body.walletId], ["top_up", 1000, 1000, "cash desk", null, walletId]);
			assert.equal(t.headers.get("location"), `/api/v1/wallets/${walletId}/transactions/${t.body.id}`);
			const d = await debit(http, club, walletId, 300, key(), { reference: "booking 42" });
			assert.equal(d.status, 201);
			assert.deepEqual([d.body.type, d.body.amount, d.body.balanceAfter], ["debit", 300, 700]);
			const r = await refund(http, club, walletId, { transactionId: d.body.id, amount: 100 });
			assert.equal(r.status, 201);
			assert.deepEqual([r.body.type, r.body.amount, r.body.balanceAfter, r.body.refundOf], ["refund", 100, 800, d.body.id]);
			assert.equal(await balanceOf(http, club, walletId), 800);
			const one = await http.get(`/wallets/${walletId}/transactions/${r.body.id}`, { key: club.viewer });
			assert.deepEqual(one.body, r.body);
		});

		it("when a debit is more than the balance, then 409 INSUFFICIENT_FUNDS and nothing moves", async () => {
			const { walletId } = await newWallet(http, club);
			await topUp(http, club, walletId, 50);
			const res = await debit(http, club, walletId, 51);
			assert.equal(res.status, 409);
			assert.equal(res.body.type, "INSUFFICIENT_FUNDS");
			assert.deepEqual(res.body.data, { walletId, balance: 50, amount: 51 });
			assert.equal(await balanceOf(http, club, walletId), 50);
			assert.equal((await debit(http, club, walletId, 50)).body.balanceAfter, 0);
			assert.equal((await debit(http, club, walletId, 1)).body.type, "INSUFFICIENT_FUNDS");
		});

		it("when amounts are 0, negative, fractional, strings, above 1e9 or missing, then 422 on 'amount' and nothing moves", async () => {
			const { walletId } = await newWallet(http, club);
			await topUp(http, club, walletId, 100);
			const d = await debit(http, club, walletId, 10);
			for (const amount of [0, -1, -100, 1.5, 0.01, "10", "abc", 1_000_000_001, 1e12, null, true, [5], { v: 5 }, undefined]) {
				for (const res of [await topUp(http, club, walletId, amount), await debit(http, club, walletId, amount)]) {
					assert.equal(res.status, 422, `amount ${JSON.stringify(amount)}: ${res.text}`);
					assert.equal(res.body.type, "VALIDATION_ERROR");
					assert.ok(res.body.data.some((e: any) => e.field === "amount"), res.text);
				}
				if (amount !== undefined) assert.equal((await refund(http, club, walletId, { transactionId: d.body.id, amount })).status, 422);
			}
			assert.equal((await topUp(http, club, walletId, 1_000_000_000)).status, 201);
			assert.equal(await balanceOf(http, club, walletId), 1_000_000_090);
		});

		it("when a money route gets an unknown field (e.g. balanceAfter), then 422 and nothing moves", async () => {
			const { walletId } = await newWallet(http, club);
			const res = await topUp(http, club, walletId, 10, key(), { balanceAfter: 1e9 });
			assert.equal(res.status, 422);
			assert.ok(res.body.data.some((d: any) => d.field === "balanceAfter"));
			assert.equal(await balanceOf(http, club, walletId), 0);
		});

		it("when a viewer moves money, then 403 and the balance stays", async () => {
			const { walletId } = await newWallet(http, club);
			await topUp(http, club, walletId, 100);
			const d = await debit(http, club, walletId, 10);
			const asViewer = { key: club.viewer, idempotencyKey: key() };
			for (const [path, body] of [["top-up", { amount: 1 }], ["debit", { amount: 1 }], ["refund", { transactionId: d.body.id }]] as const) {
				const res = await http.post(`/wallets/${walletId}/${path}`, body, asViewer);
				assert.equal(res.status, 403, path);
				assert.equal(res.body.type, "FORBIDDEN");
			}
			assert.equal(await balanceOf(http, club, walletId), 90);
		});
	});

	describe("idempotency", () => {
		it("when a money route has no Idempotency-Key, then 400 IDEMPOTENCY_KEY_REQUIRED", async () => {
			const { walletId } = await newWallet(http, club);
			for (const path of ["top-up", "debit", "refund"]) {
				const res = await http.post(`/wallets/${walletId}/${path}`, { amount: 5, ...(path === "refund" ? { transactionId: crypto.randomUUID(), amount: undefined } : {}) }, { key: club.staff });
				assert.equal(res.status, 400, path);
				assert.equal(res.body.type, "IDEMPOTENCY_KEY_REQUIRED");
			}
		});

		it("when a request is replayed with its key, then the same 201 and body come back and money moved once", async () => {
			const { walletId } = await newWallet(http, club);
			const k = key();
			const first = await topUp(http, club, walletId, 250, k);
			const again = await topUp(http, club, walletId, 250, k);
			assert.equal(first.status, 201);
			assert.equal(again.status, 201);
			assert.equal(again.text, first.text);
			assert.equal(again.headers.get("location"), first.headers.get("location"));
			assert.equal(await balanceOf(http, club, walletId), 250);
		});

		it("when a refused request is replayed, then the same 409 comes back even if it would pass now", async () => {
			const { walletId } = await newWallet(http, club);
			const k = key();
			assert.equal((await debit(http, club, walletId, 10, k)).body.type, "INSUFFICIENT_FUNDS");
			await topUp(http, club, walletId, 100);
			const again = await debit(http, club, walletId, 10, k);
			assert.equal(again.status, 409);
			assert.equal(again.body.type, "INSUFFICIENT_FUNDS");
			assert.equal(await balanceOf(http, club, walletId), 100);
		});

		it("when the key is reused with another body, action or wallet, then 422 IDEMPOTENCY_KEY_REUSED", async () => {
			const { walletId } = await newWallet(http, club);
			const w2 = (await newWallet(http, club)).walletId;
			const k = key();
			await topUp(http, club, walletId, 100, k);
			for (const res of [await topUp(http, club, walletId, 101, k), await debit(http, club, walletId, 100, k), await topUp(http, club, w2, 100, k)]) {
				assert.equal(res.status, 422, res.text);
				assert.equal(res.body.type, "IDEMPOTENCY_KEY_REUSED");
			}
			assert.equal(await balanceOf(http, club, walletId), 100);
			assert.equal(await balanceOf(http, club, w2), 0);
		});

		it("when 50 replays of one key arrive in parallel, then exactly one entry is written and all get the same 201", async () => {
			const { walletId } = await newWallet(http, club);
			await topUp(http, club, walletId, 1000);
			const k = key();
			const results = await Promise.all(Array.from({ length: 50 }, () => debit(http, club, walletId, 7, k)));
			assert.deepEqual([...new Set(results.map(r => r.status))], [201], results.map(r => r.text).find(t => !t.includes('"debit"')));
			assert.equal(new Set(results.map(r => r.text)).size, 1);
			const list = await http.get(`/wallets/${walletId}/transactions`, { key: club.viewer });
			assert.equal(list.body.items.filter((t: any) => t.type === "debit").length, 1);
			assert.equal(await balanceOf(http, club, walletId), 993);
		});

		it("when two clubs use the same key, then each club's request runs on its own", async () => {
			const mine = await newWallet(http, club);
			const theirs = await newWallet(http, other);
			const k = key();
			const a1 = await topUp(http, club, mine.walletId, 10, k);
			const b1 = await topUp(http, other, theirs.walletId, 10, k);
			assert.equal(a1.status, 201);
			assert.equal(b1.status, 201);
			assert.notEqual(a1.body.id, b1.body.id);
			assert.equal(await balanceOf(http, club, mine.walletId), 10);
			assert.equal(await balanceOf(http, other, theirs.walletId), 10);
		});
	});

	describe("concurrency", () => {
		it("when 200 debits hit one wallet at once, then exactly the affordable ones pass, the final balance is exact and never negative", async function () {
			this.timeout(120_000);
			const { walletId } = await newWallet(http, club);
			await topUp(http, club, walletId, 10_000);
			const amount = 70; // 142 affordable (9 940), 58 refused, 60 left
			let observing = true;
			const seen: number[] = [];
			const observer = (async () => {
				while (observing) seen.push(await balanceOf(http, club, walletId));
			})();
			const results = await Promise.all(Array.from({ length: 200 }, (_, i) => debit(http, club, walletId, amount, `par-${walletId}-${i}`)));
			observing = false;
			await observer;
			const ok = results.filter(r => r.status === 201);
			const refused = results.filter(r => r.status === 409);
			assert.equal(ok.length, 142);
			assert.equal(refused.length, 58);
			assert.ok(refused.every(r => r.body.type === "INSUFFICIENT_FUNDS"));
			assert.equal(await balanceOf(http, club, walletId), 60);
			assert.ok(seen.length > 0 && seen.every(b => b >= 0), `observed ${seen.length} balances`);
			// Every debit's balanceAfter is distinct and the chain is exactly 10 000 − n·70.
			const afters = ok.map(r => r.body.balanceAfter).sort((x, y) => y - x);
			assert.deepEqual(afters, Array.from({ length: 142 }, (_, i) => 10_000 - (i + 1) * amount));
			// The listing is in the order the entries were applied: newest first, each older one 70 higher.
			const listed = (await http.get(`/wallets/${walletId}/transactions?limit=500`, { key: club.viewer })).body.items;
			assert.deepEqual(listed.map((t: any) => t.balanceAfter), [...afters.slice().reverse(), 10_000]);
		});

		it("when 20 refunds of one debit race, then the total refunded never exceeds the debit", async () => {
			const { walletId } = await newWallet(http, club);
			await topUp(http, club, walletId, 100);
			const d = await debit(http, club, walletId, 100);
			const results = await Promise.all(Array.from({ length: 20 }, () => refund(http, club, walletId, { transactionId: d.body.id, amount: 15 })));
			assert.equal(results.filter(r => r.status === 201).length, 6);
			assert.ok(results.filter(r => r.status !== 201).every(r => r.status === 409 && r.body.type === "REFUND_EXCEEDS_DEBIT"));
			assert.equal(await balanceOf(http, club, walletId), 90);
			const rest = await refund(http, club, walletId, { transactionId: d.body.id });
			assert.equal(rest.body.amount, 10);
			assert.equal(await balanceOf(http, club, walletId), 100);
		});
	});

	describe("refunds", () => {
		let walletId: string;
		let debitId: string;
		let topUpId: string;

		before(async () => {
			walletId = (await newWallet(http, club)).walletId;
			topUpId = (await topUp(http, club, walletId, 500)).body.id;
			debitId = (await debit(http, club, walletId, 200)).body.id;
		});

		it("when a refund has no amount, then it gives back what is left of the debit", async () => {
			assert.equal((await refund(http, club, walletId, { transactionId: debitId, amount: 50 })).status, 201);
			const rest = await refund(http, club, walletId, { transactionId: debitId });
			assert.equal(rest.status, 201);
			assert.equal(rest.body.amount, 150);
			assert.equal(rest.body.balanceAfter, 500);
		});

		it("when the debit is fully refunded or the amount is more than is left, then 409 REFUND_EXCEEDS_DEBIT with what is refundable", async () => {
			const full = await refund(http, club, walletId, { transactionId: debitId });
			assert.equal(full.status, 409);
			assert.equal(full.body.type, "REFUND_EXCEEDS_DEBIT");
			assert.equal(full.body.data.refundable, 0);
			const d2 = (await debit(http, club, walletId, 40)).body.id;
			const over = await refund(http, club, walletId, { transactionId: d2, amount: 41 });
			assert.equal(over.status, 409);
			assert.deepEqual(over.body.data, { transactionId: d2, debitAmount: 40, refunded: 0, refundable: 40, amount: 41 });
		});

		it("when a top-up or a refund is refunded, then 422 notRefundable on transactionId", async () => {
			const refundId = (await http.get(`/wallets/${walletId}/transactions`, { key: club.viewer })).body.items.find((t: any) => t.type === "refund").id;
			for (const transactionId of [topUpId, refundId]) {
				const res = await refund(http, club, walletId, { transactionId });
				assert.equal(res.status, 422);
				assert.deepEqual(res.body.data.map((d: any) => [d.field, d.type]), [["transactionId", "notRefundable"]]);
			}
		});

		it("when the debit belongs to another wallet, another club, or is not a UUID, then 404", async () => {
			const w2 = (await newWallet(http, club)).walletId;
			const theirs = (await newWallet(http, other)).walletId;
			await topUp(http, other, theirs, 100);
			const theirDebit = (await debit(http, other, theirs, 10)).body.id;
			for (const [w, t] of [[w2, debitId], [walletId, theirDebit], [walletId, "nope"], [walletId, crypto.randomUUID()]]) {
				const res = await refund(http, club, w, { transactionId: t });
				assert.equal(res.status, 404, `${w} ${t}: ${res.text}`);
			}
			assert.equal(await balanceOf(http, other, theirs), 90);
		});
	});

	describe("tenancy", () => {
		it("when another club's wallet or transaction is named on any route, then 404 as if unknown", async () => {
			const theirs = await newWallet(http, other);
			await topUp(http, other, theirs.walletId, 100);
			const theirTx = (await debit(http, other, theirs.walletId, 10)).body.id;
			const w = theirs.walletId;
			const gets = [`/wallets/${w}`, `/wallets/${w}/transactions`, `/wallets/${w}/transactions/${theirTx}`, `/clients/${theirs.clientId}/wallets`];
			for (const path of gets) {
				const res = await http.get(path, { key: club.admin });
				assert.equal(res.status, 404, path);
				assert.ok(!res.text.includes(w), path);
			}
			assert.equal((await topUp(http, club, w, 5)).status, 404);
			assert.equal((await debit(http, club, w, 5)).status, 404);
			assert.equal((await refund(http, club, w, { transactionId: theirTx })).status, 404);
			assert.equal(await balanceOf(http, other, w), 90);
		});

		it("when ids are not UUIDs, then 404, never a 500", async () => {
			for (const path of ["/wallets/123", "/wallets/x/transactions", "/wallets/x/transactions/y", "/clients/%27;drop/wallets"]) {
				assert.equal((await http.get(path, { key: club.viewer })).status, 404, path);
			}
			assert.equal((await debit(http, club, "zzz", 5)).status, 404);
		});
	});

	describe("reading the ledger", () => {
		it("when the transactions are listed, then newest first, paginated with a cursor, in ledger order", async () => {
			const { walletId } = await newWallet(http, club);
			for (let i = 1; i <= 7; i++) await topUp(http, club, walletId, i);
			const seen: any[] = [];
			let cursor: string | null = null;
			do {
				const res: any = await http.get(`/wallets/${walletId}/transactions?limit=3${cursor ? `&cursor=${cursor}` : ""}`, { key: club.viewer });
				assert.equal(res.status, 200);
				seen.push(...res.body.items);
				cursor = res.body.nextCursor;
			} while (cursor);
			assert.deepEqual(seen.map(t => t.amount), [7, 6, 5, 4, 3, 2, 1]);
			assert.deepEqual(seen.map(t => t.balanceAfter), [28, 21, 15, 10, 6, 3, 1]);
			const bad = await http.get(`/wallets/${walletId}/transactions?cursor=${Buffer.from(`["seq","1; drop"]`).toString("base64url")}`, { key: club.viewer });
			assert.equal(bad.status, 422);
			assert.equal(bad.body.data[0].field, "cursor");
		});

		it("when the client panel asks for a client's wallets, then each comes with its 10 newest transactions", async () => {
			const { walletId, clientId } = await newWallet(http, club);
			const usd = (await newWallet(http, club, clientId, "USD")).walletId;
			for (let i = 1; i <= 12; i++) await topUp(http, club, walletId, i);
			const res = await http.get(`/clients/${clientId}/wallets`, { key: club.viewer });
			assert.equal(res.status, 200);
			const eur = res.body.items.find((w: any) => w.id === walletId);
			assert.equal(eur.balance, 78);
			assert.deepEqual(eur.recentTransactions.map((t: any) => t.amount), [12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
			assert.deepEqual(res.body.items.find((w: any) => w.id === usd).recentTransactions, []);
			const none = await http.get(`/clients/${await newClient(http, club)}/wallets`, { key: club.viewer });
			assert.deepEqual(none.body, { items: [], nextCursor: null });
		});

		it("when a client with an empty wallet is deleted, then the ledger stays readable; with money the deletion is refused", async () => {
			const rich = await newWallet(http, club);
			await topUp(http, club, rich.walletId, 5);
			const refused = await http.del(`/clients/${rich.clientId}`, { key: club.staff });
			assert.equal(refused.status, 409);
			assert.equal(refused.body.type, "WALLET_NOT_EMPTY");

			const { walletId, clientId } = await newWallet(http, club);
			await topUp(http, club, walletId, 30);
			await debit(http, club, walletId, 30);
			assert.equal((await http.del(`/clients/${clientId}`, { key: club.staff })).status, 204);
			const w = await http.get(`/wallets/${walletId}`, { key: club.viewer });
			assert.equal(w.status, 200);
			assert.equal(w.body.clientId, clientId);
			assert.equal((await http.get(`/wallets/${walletId}/transactions`, { key: club.viewer })).body.items.length, 2);
			const panel = await http.get(`/clients/${clientId}/wallets`, { key: club.viewer });
			assert.equal(panel.status, 200);
			assert.equal(panel.body.items[0].recentTransactions.length, 2);
			// A deleted client gets no new wallet.
			assert.equal((await http.post(`/clients/${clientId}/wallets`, { currency: "USD" }, { key: club.staff })).status, 404);
		});
	});

	describe("the ledger is immutable", () => {
		it("when anyone updates or deletes ledger entries, even the table's owner, then Postgres raises and nothing changes", async () => {
			const { walletId } = await newWallet(http, club);
			const t = (await topUp(http, club, walletId, 100)).body;
			const asService = (broker.getLocalService("wallets") as any).db;
			// The migration user owns the table: the trigger holds for it too (TRUNCATE included).
			const asOwner = knex({ client: "pg", connection: process.env.DATABASE_URL, searchPath: ["wallets"], pool: { min: 0, max: 1 } });
			try {
				// The service's own role has no UPDATE/DELETE on the ledger at all (42501); the owner meets the trigger (23001).
				for (const [db, code] of [[asService, "42501"], [asOwner, "23001"]] as const) {
					await assert.rejects(db.raw("UPDATE transactions SET amount = 1 WHERE id = ?", [t.id]), (e: any) => e.code === code);
					await assert.rejects(db.raw("UPDATE transactions SET balance_after = 0"), (e: any) => e.code === code);
					await assert.rejects(db.raw("DELETE FROM transactions WHERE id = ?", [t.id]), (e: any) => e.code === code);
				}
				await assert.rejects(asService.raw("UPDATE transactions SET id = id WHERE id = ?", [t.id]), (e: any) => e.code === "23001" && /immutable/.test(e.message));
				await assert.rejects(asOwner.raw("TRUNCATE transactions CASCADE"), (e: any) => e.code === "23001");
				await assert.rejects(asService.raw("TRUNCATE transactions"), (e: any) => ["23001", "42501"].includes(e.code));
			} finally {
				await asOwner.destroy();
			}
			const again = await http.get(`/wallets/${walletId}/transactions/${t.id}`, { key: club.viewer });
			assert.deepEqual(again.body, t);
		});

		it("when anyone sets a negative balance in the database, then the CHECK refuses it", async () => {
			const { walletId } = await newWallet(http, club);
			const db = (broker.getLocalService("wallets") as any).db;
			await assert.rejects(db.raw("UPDATE wallets SET balance = -1 WHERE id = ?", [walletId]), (e: any) => e.code === "23514");
		});
	});

	describe("the bus (booking system)", () => {
		const meta = () => ({ meta: { clubId: club.club.id } });

		it("when wallets.debit is called by walletId or by clientId + currency with an idempotencyKey, then it debits once however often it is retried", async () => {
			const { walletId, clientId } = await newWallet(http, club);
			await topUp(http, club, walletId, 100);
			const k = key();
			const first: any = await broker.call("wallets.debit", { walletId, amount: 30, idempotencyKey: k, reference: "booking-1" }, meta());
			const retries: any[] = await Promise.all(Array.from({ length: 10 }, () => broker.call("wallets.debit", { walletId, amount: 30, idempotencyKey: k, reference: "booking-1" }, meta())));
			assert.ok(retries.every(r => JSON.stringify(r) === JSON.stringify(first)));
			assert.equal(first.balanceAfter, 70);
			const byClient: any = await broker.call("wallets.debit", { clientId, currency: "eur", amount: 20, idempotencyKey: key() }, meta());
			assert.equal(byClient.walletId, walletId);
			assert.equal(byClient.balanceAfter, 50);
			const back: any = await broker.call("wallets.refund", { transactionId: first.id, idempotencyKey: key() }, meta());
			assert.deepEqual([back.type, back.amount, back.balanceAfter, back.refundOf], ["refund", 30, 80, first.id]);
			assert.deepEqual(await broker.call("wallets.balance", { clientId, currency: "EUR" }, meta()), { walletId, balance: 80, currency: "EUR" });
		});

		it("when wallets.debit comes without ctx.meta.clubId, then it is refused and nothing moves", async () => {
			const { walletId } = await newWallet(http, club);
			await topUp(http, club, walletId, 100);
			await assert.rejects(broker.call("wallets.debit", { walletId, amount: 10, idempotencyKey: key() }), (e: any) => e.type === "CLUB_REQUIRED");
			await assert.rejects(broker.call("wallets.debit", { walletId, amount: 10, idempotencyKey: key() }, { meta: { clubId: other.club.id } }), (e: any) => e.code === 404);
			assert.equal(await balanceOf(http, club, walletId), 100);
		});

		it("when a bus call has no idempotencyKey, names the wallet twice or not at all, then it is refused", async () => {
			const { walletId, clientId } = await newWallet(http, club);
			await assert.rejects(broker.call("wallets.debit", { walletId, amount: 1 }, meta()), (e: any) => e.type === "IDEMPOTENCY_KEY_REQUIRED");
			await assert.rejects(broker.call("wallets.debit", { walletId, clientId, currency: "EUR", amount: 1, idempotencyKey: key() }, meta()), (e: any) => e.code === 422 && e.data[0].field === "walletId");
			await assert.rejects(broker.call("wallets.debit", { amount: 1, idempotencyKey: key() }, meta()), (e: any) => e.code === 422);
			await assert.rejects(broker.call("wallets.debit", { clientId, amount: 1, idempotencyKey: key() }, meta()), (e: any) => e.code === 422 && e.data[0].field === "currency");
			await assert.rejects(broker.call("wallets.debit", { clientId, currency: "USD", amount: 1, idempotencyKey: key() }, meta()), (e: any) => e.code === 404);
		});

		it("when wallets.balance asks for a currency the client has no wallet in, then walletId null and 0", async () => {
			const { clientId } = await newWallet(http, club);
			assert.deepEqual(await broker.call("wallets.balance", { clientId, currency: "usd" }, meta()), { walletId: null, balance: 0, currency: "USD" });
			await assert.rejects(broker.call("wallets.balance", { clientId, currency: "ZZZ" }, meta()), (e: any) => e.code === 422);
		});

		it("when client deletion asks wallets.closeClientWallets, then empty wallets close (credits 409 WALLET_CLOSED) and one holding money refuses; reopen undoes it", async () => {
			const { walletId, clientId } = await newWallet(http, club);
			const credit = () => topUp(http, club, walletId, 1);
			assert.deepEqual(await broker.call("wallets.closeClientWallets", { clientId }, { meta: { clubId: other.club.id } }), { closed: true });
			assert.equal((await credit()).status, 201, "another club's call closes nothing");
			await assert.rejects(broker.call("wallets.closeClientWallets", { clientId }, meta()), (e: any) => e.type === "WALLET_NOT_EMPTY" && e.code === 409);
			assert.equal((await credit()).status, 201, "a refused close leaves the wallet open");
			await debit(http, club, walletId, 2);
			assert.deepEqual(await broker.call("wallets.closeClientWallets", { clientId }, meta()), { closed: true });
			const refused = await credit();
			assert.deepEqual([refused.status, refused.body.type], [409, "WALLET_CLOSED"]);
			assert.deepEqual(await broker.call("wallets.reopenClientWallets", { clientId }, meta()), { reopened: true });
			assert.equal((await credit()).status, 201);
		});

		it("when money moves, then wallets.transacted is emitted once per fresh movement, after commit, never for a replay", async () => {
			const { walletId, clientId } = await newWallet(http, club);
			const rec = await recordEvents(broker, ["wallets.transacted"]);
			const got = () => rec.events.map(e => e.payload).filter(p => p.walletId === walletId);
			try {
				const k = key();
				const t = await topUp(http, club, walletId, 40, k);
				await topUp(http, club, walletId, 40, k);
				await debit(http, club, walletId, 100); // refused: no event
				await new Promise(r => setTimeout(r, 100));
				assert.equal(got().length, 1);
				assert.deepEqual(got()[0], { clubId: club.club.id, walletId, clientId, transaction: t.body });
			} finally {
				await rec.stop();
			}
		});
	});

	describe("reconciliation", () => {
		it("when every movement went through the ledger, then every wallet reconciles; a tampered balance is reported", async () => {
			const c = await newClub(http);
			const w1 = await newWallet(http, c);
			const w2 = await newWallet(http, c);
			await newWallet(http, c); // no entries: balance 0 = empty sum
			await topUp(http, c, w1.walletId, 500);
			const d = await debit(http, c, w1.walletId, 120);
			await refund(http, c, w1.walletId, { transactionId: d.body.id, amount: 20 });
			await topUp(http, c, w2.walletId, 7);
			const okRes = await http.get("/wallets/reconciliation", { key: c.admin });
			assert.equal(okRes.status, 200);
			assert.equal(okRes.body.ok, true);
			assert.equal(okRes.body.checkedWallets, 3);
			assert.equal(okRes.body.checkedEntries, 4);
			assert.deepEqual(okRes.body.mismatches, []);

			// Someone edits a balance behind the ledger's back.
			const db = (broker.getLocalService("wallets") as any).db;
			await db("wallets").where({ id: w2.walletId }).update({ balance: 9 });
			const bad: any = await broker.call("wallets.reconcile", {}, { meta: { clubId: c.club.id } });
			assert.equal(bad.ok, false);
			assert.deepEqual(bad.mismatches, [{ walletId: w2.walletId, clientId: w2.clientId, currency: "EUR", balance: 9, ledgerBalance: 7, lastBalanceAfter: 7, entries: 1, brokenEntries: 0 }]);
			// Another club's reconciliation does not see it.
			assert.equal((await http.get("/wallets/reconciliation", { key: club.admin })).body.mismatches.some((m: any) => m.walletId === w2.walletId), false);
		});

		it("when staff or a viewer asks for the reconciliation, then 403", async () => {
			assert.equal((await http.get("/wallets/reconciliation", { key: club.staff })).status, 403);
			assert.equal((await http.get("/wallets/reconciliation", { key: club.viewer })).status, 403);
		});
	});
});
