/**
 * An integrator's first hour, written only against the TypeScript client that
 * `openapi-typescript` generates from the served /api/openapi.json (./clubhouse-api.d.ts,
 * generated next to a copy of this file by typed-client.spec.ts) and `openapi-fetch`.
 * Excluded from the project's tsconfig: it is type-checked against the generated types.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "./clubhouse-api";

type Client = components["schemas"]["Client"];
type Transaction = components["schemas"]["Transaction"];

export interface JourneyResult {
	clubId: string;
	client: Client;
	topUp: Transaction;
	replayed: Transaction;
	missingKeyType: string;
	listed: Client[];
	balance: number;
}

export async function journey(baseUrl: string, platformKey: string): Promise<JourneyResult> {
	// 1. The platform creates a club; its first admin key is in the answer (shown once).
	const platform = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${platformKey}` } });
	const created = await platform.POST("/api/v1/clubs", { body: { name: "Typed Client Club", country: "ES", currency: "EUR", timezone: "Europe/Madrid" } });
	if (!created.data) throw new Error(`POST /clubs: ${JSON.stringify(created.error)}`);
	const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${created.data.apiKey.key}` } });

	// 2. A client: the five required fields (and a tag).
	const added = await api.POST("/api/v1/clients", {
		body: { fullName: "Ana García", email: `ana.${Date.now()}@example.com`, phone: "+34 612 34 56 78", gender: "female", country: "ES", tags: ["junior"] },
	});
	if (!added.data) throw new Error(`POST /clients: ${JSON.stringify(added.error)}`);
	const client: Client = added.data;

	// 3. A EUR wallet, topped up with 50.00 EUR = 5000 minor units, under an Idempotency-Key.
	const wallet = await api.POST("/api/v1/clients/{id}/wallets", { params: { path: { id: client.id } }, body: { currency: "EUR" } });
	if (!wallet.data) throw new Error(`POST /clients/{id}/wallets: ${JSON.stringify(wallet.error)}`);
	const walletId = wallet.data.id;
	const key = `top-up-${client.id}`;
	const topUp = await api.POST("/api/v1/wallets/{id}/top-up", {
		params: { path: { id: walletId }, header: { "Idempotency-Key": key } },
		body: { amount: 5000, reference: "front-desk" },
	});
	if (!topUp.data) throw new Error(`POST /wallets/{id}/top-up: ${JSON.stringify(topUp.error)}`);
	// A retry (the network dropped the answer) replays the first entry: no second top-up.
	const replay = await api.POST("/api/v1/wallets/{id}/top-up", {
		params: { path: { id: walletId }, header: { "Idempotency-Key": key } },
		body: { amount: 5000, reference: "front-desk" },
	});
	if (!replay.data) throw new Error(`replayed top-up: ${JSON.stringify(replay.error)}`);
	// Without the header: a typed error whose `type` says why.
	const noKey = await api.POST("/api/v1/wallets/{id}/top-up", {
		// @ts-expect-error the Idempotency-Key header is required by the document
		params: { path: { id: walletId } },
		body: { amount: 100 },
	});
	const missingKeyType: string = noKey.error?.type ?? "none";

	// @ts-expect-error money is an integer of minor units, never a string like "50.00"
	void (() => api.POST("/api/v1/wallets/{id}/top-up", { params: { path: { id: walletId }, header: { "Idempotency-Key": "x" } }, body: { amount: "50.00" } }));

	// 4. The club's clients, a page at a time.
	const listed: Client[] = [];
	let cursor: string | undefined;
	do {
		const page = await api.GET("/api/v1/clients", { params: { query: { limit: 1, ...(cursor ? { cursor } : {}) } } });
		if (!page.data) throw new Error(`GET /clients: ${JSON.stringify(page.error)}`);
		listed.push(...page.data.items);
		cursor = page.data.nextCursor ?? undefined;
	} while (cursor);

	const after = await api.GET("/api/v1/wallets/{id}", { params: { path: { id: walletId } } });
	if (!after.data) throw new Error(`GET /wallets/{id}: ${JSON.stringify(after.error)}`);
	return { clubId: created.data.club.id, client, topUp: topUp.data, replayed: replay.data, missingKeyType, listed, balance: after.data.balance };
}
