/**
 * DELETE /clients/:id racing POST /clients/:id/wallets: whatever the interleaving, no wallet
 * of a deleted client ever takes money (409 WALLET_CLOSED or 404). The interleavings are
 * forced: a gate on the broker holds one side at its critical point (after the opening has
 * seen its client alive; after the deletion has closed the wallets, before it erases the
 * client; before the deletion's event) while the other side runs.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { ServiceBroker } from "moleculer";
import { Errors } from "moleculer";
import { app, newClub, type Http, type TestClub } from "../../../test/support/app";
import { createClient } from "../../../test/support/factories";

type Match = (name: string, opts: any) => boolean;

interface Gate {
	/** Resolves when the gated call is reached (and held). */
	reached: Promise<void>;
	release(): void;
}

/**
 * Holds the first matching broker call (or event) of this club: "before" it runs, or "after"
 * it answered and before its caller sees the answer. `fail` makes it reject instead.
 */
function installGates(broker: ServiceBroker) {
	const origCall = broker.call;
	const origEmit: any = broker.emit;
	const gates: Array<{ kind: "call" | "emit"; when: "before" | "after"; match: Match; armed: boolean; fail?: Error; reached: () => void; released: Promise<void>; release: () => void }> = [];
	const hold = (kind: "call" | "emit", name: string, opts: any) => {
		const g = gates.find(x => x.armed && x.kind === kind && x.match(name, opts));
		if (g) g.armed = false;
		return g;
	};
	(broker as any).call = function (name: any, params: any, opts: any) {
		const g = typeof name === "string" ? hold("call", name, opts) : undefined;
		if (!g) return origCall.call(broker, name, params, opts);
		if (g.when === "before") {
			g.reached();
			return g.released.then(() => (g.fail ? Promise.reject(g.fail) : origCall.call(broker, name, params, opts)));
		}
		return origCall.call(broker, name, params, opts).then(
			async (res: unknown) => {
				g.reached();
				await g.released;
				return res;
			},
			async (err: unknown) => {
				g.reached();
				await g.released;
				throw err;
			},
		);
	};
	(broker as any).emit = function (name: any, payload: any, opts: any) {
		const g = typeof name === "string" ? hold("emit", name, { ...opts, payload }) : undefined;
		if (!g) return origEmit.call(broker, name, payload, opts);
		g.reached();
		return g.released.then(() => origEmit.call(broker, name, payload, opts));
	};
	return {
		gate(kind: "call" | "emit", when: "before" | "after", match: Match, fail?: Error): Gate {
			let reached!: () => void;
			let release!: () => void;
			const r = new Promise<void>(res => (reached = res));
			const released = new Promise<void>(res => (release = res));
			gates.push({ kind, when, match, armed: true, fail, reached, released, release: () => release() });
			return { reached: r, release };
		},
		/** Lets everything held go on (also when a test failed) and removes the gates. */
		restore() {
			for (const g of gates) g.release();
			(broker as any).call = origCall;
			(broker as any).emit = origEmit;
		},
	};
}

const parentIs = (action: string, clubId: string) => (name: string, opts: any) => opts?.parentCtx?.action?.name === action && opts?.parentCtx?.meta?.clubId === clubId;

describe("Deleting a client while its wallets are being opened", function () {
	this.timeout(60_000);
	let http: Http;
	let broker: ServiceBroker;
	let club: TestClub;
	let gates: ReturnType<typeof installGates>;

	before(async () => {
		const running = await app();
		http = running.http;
		broker = running.brokers[0];
		club = await newClub(http);
	});
	beforeEach(() => {
		gates = installGates(broker);
	});
	afterEach(() => gates.restore());

	const newClient = async (): Promise<string> => (await createClient(http, club)).id;

	/** No wallet of the client takes money: every top-up is 409 WALLET_CLOSED (or 404). */
	async function assertNoWalletTakesMoney(clientId: string, extraWalletIds: string[] = []) {
		const listed = await http.get(`/clients/${clientId}/wallets`, { key: club.viewer });
		const ids = new Set<string>(extraWalletIds);
		if (listed.status === 200) for (const w of listed.body.items) ids.add(w.id);
		else assert.equal(listed.status, 404, listed.text);
		for (const id of ids) {
			const t = await http.post(`/wallets/${id}/top-up`, { amount: 100 }, { key: club.staff, idempotencyKey: crypto.randomUUID() });
			assert.ok((t.status === 409 && t.body.type === "WALLET_CLOSED") || t.status === 404, `wallet ${id} of a deleted client took money: ${t.status} ${t.text}`);
		}
		return ids.size;
	}

	it("when an opening has seen its client alive and the whole deletion then runs, then the opening is refused and no wallet takes money", async () => {
		const clientId = await newClient();
		const held = gates.gate("call", "after", (name, opts) => name === "clients.get" && parentIs("wallets.create", club.club.id)(name, opts));
		const opening = http.post(`/clients/${clientId}/wallets`, { currency: "EUR" }, { key: club.staff });
		await held.reached;
		const del = await http.del(`/clients/${clientId}`, { key: club.staff });
		assert.equal(del.status, 204, del.text);
		held.release();
		const res = await opening;
		assert.ok(res.status === 404 || (res.status === 409 && res.body.type === "WALLET_CLOSED"), `a deleted client got a wallet: ${res.status} ${res.text}`);
		await assertNoWalletTakesMoney(clientId, (res.status as number) === 201 ? [res.body.id] : []);
	});

	it("when a wallet is opened after the deletion closed the wallets and before it erased the client, then it is refused, even before the deletion's event", async () => {
		const clientId = await newClient();
		const first = await http.post(`/clients/${clientId}/wallets`, { currency: "EUR" }, { key: club.staff });
		assert.equal(first.status, 201, first.text);
		const midDelete = gates.gate("call", "before", (name, opts) => name === "booking-guard.cancelClientBookings" && parentIs("clients.remove", club.club.id)(name, opts));
		const event = gates.gate("emit", "before", (name, opts) => name === "clients.deleted" && opts?.payload?.clientId === clientId);
		const deleting = http.del(`/clients/${clientId}`, { key: club.staff });
		await midDelete.reached;
		// The client still reads as alive here: only the wallets' side can refuse.
		assert.equal((await http.get(`/clients/${clientId}`, { key: club.viewer })).status, 200);
		const opened = await http.post(`/clients/${clientId}/wallets`, { currency: "USD" }, { key: club.staff });
		assert.ok(opened.status === 404 || (opened.status === 409 && opened.body.type === "WALLET_CLOSED"), `opened during the deletion: ${opened.status} ${opened.text}`);
		midDelete.release();
		await event.reached; // the deletion answered; its event is held
		const del = await deleting;
		assert.equal(del.status, 204, del.text);
		const n = await assertNoWalletTakesMoney(clientId, (opened.status as number) === 201 ? [opened.body.id] : []);
		assert.ok(n >= 1);
		event.release();
	});

	it("when a wallet is opened just before the deletion takes the wallets' locks, then the deletion closes it too", async () => {
		const clientId = await newClient();
		const beforeClose = gates.gate("call", "before", (name, opts) => name === "wallets.closeClientWallets" && parentIs("clients.remove", club.club.id)(name, opts));
		const deleting = http.del(`/clients/${clientId}`, { key: club.staff });
		await beforeClose.reached;
		const opened = await http.post(`/clients/${clientId}/wallets`, { currency: "EUR" }, { key: club.staff });
		assert.equal(opened.status, 201, opened.text);
		beforeClose.release();
		assert.equal((await deleting).status, 204);
		assert.equal(await assertNoWalletTakesMoney(clientId, [opened.body.id]), 1);
	});

	it("when money comes in between the opening and the deletion's locks, then the deletion is refused (409 WALLET_NOT_EMPTY) and the money stays", async () => {
		const clientId = await newClient();
		const beforeClose = gates.gate("call", "before", (name, opts) => name === "wallets.closeClientWallets" && parentIs("clients.remove", club.club.id)(name, opts));
		const deleting = http.del(`/clients/${clientId}`, { key: club.staff });
		await beforeClose.reached;
		const opened = await http.post(`/clients/${clientId}/wallets`, { currency: "EUR" }, { key: club.staff });
		const t = await http.post(`/wallets/${opened.body.id}/top-up`, { amount: 500 }, { key: club.staff, idempotencyKey: crypto.randomUUID() });
		assert.equal(t.status, 201, t.text);
		beforeClose.release();
		const del = await deleting;
		assert.equal(del.status, 409, del.text);
		assert.equal(del.body.type, "WALLET_NOT_EMPTY");
		assert.equal((await http.get(`/wallets/${opened.body.id}`, { key: club.viewer })).body.balance, 500);
	});

	it("when a deletion fails after closing the wallets, then the client's wallets open again and a new one can be opened", async () => {
		const clientId = await newClient();
		const w = await http.post(`/clients/${clientId}/wallets`, { currency: "EUR" }, { key: club.staff });
		const failing = gates.gate("call", "before", (name, opts) => name === "booking-guard.cancelClientBookings" && parentIs("clients.remove", club.club.id)(name, opts), new Errors.MoleculerRetryableError("booking-guard is down", 503, "SERVICE_NOT_AVAILABLE"));
		const deleting = http.del(`/clients/${clientId}`, { key: club.staff });
		await failing.reached;
		failing.release();
		assert.equal((await deleting).status, 503);
		const t = await http.post(`/wallets/${w.body.id}/top-up`, { amount: 7 }, { key: club.staff, idempotencyKey: crypto.randomUUID() });
		assert.equal(t.status, 201, t.text);
		const other = await http.post(`/clients/${clientId}/wallets`, { currency: "GBP" }, { key: club.staff });
		assert.equal(other.status, 201, other.text);
	});

	it("when many openings race one deletion (unforced, repeated), then every wallet left is closed", async () => {
		const currencies = ["EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN"];
		for (let round = 0; round < 4; round++) {
			const clientId = await newClient();
			const openings = currencies.map(currency => http.post(`/clients/${clientId}/wallets`, { currency }, { key: club.staff }));
			const del = await http.del(`/clients/${clientId}`, { key: club.staff });
			assert.equal(del.status, 204, del.text);
			const opened = (await Promise.all(openings)).filter(r => r.status === 201).map(r => r.body.id);
			await assertNoWalletTakesMoney(clientId, opened);
		}
	});
});
