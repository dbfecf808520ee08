/** Setting up the facts the guard decides on, through the real gateway (no mocks). */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { Http, TestClub } from "../../../test/support/app";
import { createClient } from "../../../test/support/factories";

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
export const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
export const hourAfter = (iso: string) => new Date(Date.parse(iso) + 3_600_000).toISOString();

export function fixtures(http: Http, club: TestClub) {
	async function ok<T = any>(res: Promise<{ status: number; body: any; text: string }>, status: number): Promise<T> {
		const r = await res;
		assert.equal(r.status, status, r.text);
		return r.body;
	}
	return {
		client: (over: Record<string, unknown> = {}) => createClient(http, club, over),
		async group(over: Record<string, unknown> = {}) {
			return ok(http.post("/groups", { name: `G ${crypto.randomBytes(4).toString("hex")}`, ...over }, { key: club.admin }), 201);
		},
		patchGroup: (id: string, body: Record<string, unknown>) => ok(http.patch(`/groups/${id}`, body, { key: club.admin }), 200),
		moveClient: (clientId: string, groupId: string) => ok(http.patch(`/clients/${clientId}`, { groupId }, { key: club.staff }), 200),
		async category(discountPercent: number) {
			return ok(http.post("/categories", { name: `Cat ${crypto.randomBytes(4).toString("hex")}`, discountPercent }, { key: club.admin }), 201);
		},
		async giveCategory(clientId: string, categoryId: string, validity: { validFrom?: string; validUntil?: string } = {}) {
			const r = await http.put(`/clients/${clientId}/categories/${categoryId}`, validity, { key: club.staff });
			assert.ok(r.status === 200 || r.status === 201, r.text);
		},
		async access(productId: string, kind: "product" | "activity", groupIds: string[]) {
			const r = await http.put(`/products/${productId}/access`, { kind, groupIds }, { key: club.admin });
			assert.ok(r.status === 200 || r.status === 201, r.text);
		},
		async walletWith(clientId: string, currency: string, amount: number) {
			const w = await ok(http.post(`/clients/${clientId}/wallets`, { currency }, { key: club.staff }), 201);
			if (amount > 0) await ok(http.post(`/wallets/${w.id}/top-up`, { amount }, { key: club.staff, idempotencyKey: crypto.randomUUID() }), 201);
			return w;
		},
		check: (body: Record<string, unknown>, key = club.staff) => http.post("/booking-guard/check", body, { key }),
		reserve: (body: Record<string, unknown>, opts: { key?: string; idempotencyKey?: string } = {}) => http.post("/bookings", body, { key: opts.key ?? club.staff, idempotencyKey: opts.idempotencyKey }),
		async book(clientId: string, startsAt: string, over: Record<string, unknown> = {}) {
			return ok(http.post("/bookings", { clientId, productId: "court-1", startsAt, endsAt: hourAfter(startsAt), channel: "online", ...over }, { key: club.staff }), 201);
		},
		codes: (body: any) => (body.reasons as Array<{ code: string }>).map(r => r.code),
	};
}
