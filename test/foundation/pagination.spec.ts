/** Cursors are opaque: anything this API did not give out is a 422, never a 500. */
import assert from "node:assert/strict";
import { decodeCursor, encodeCursor } from "../../lib/pagination";
import { app, newClub } from "../support/app";

describe("Cursor pagination", () => {
	it("when a cursor round-trips, then it decodes to the same position", () => {
		const pos = { at: "2026-11-23T10:00:00.123Z", id: "5f0c1b8e-3a5e-4f0e-9a43-0f8f6f7d2c11" };
		assert.deepEqual(decodeCursor(encodeCursor(pos)), pos);
	});

	it("when a list is asked with paging internals in the query, then they change nothing (422 or ignored), never a 500", async () => {
		const a = await app();
		const club = await newClub(a.http);
		for (const q of ["timeColumn=name", "idColumn=name", "order=asc"]) {
			const keys = await a.http.get(`/api-keys?${q}&limit=1`, { key: club.admin });
			assert.equal(keys.status, 422, keys.text);
		}
		const client = await a.http.post("/clients", { fullName: "Page Test", email: "page.test@example.com", phone: "+34600111333", gender: "F", country: "ES" }, { key: club.staff });
		for (const q of ["timeColumn=name", "idColumn=client_id", "order=asc"]) {
			const res = await a.http.get(`/clients/${client.body.id}/bookings?${q}`, { key: club.viewer });
			assert.ok(res.status === 200 || res.status === 422, `${q}: ${res.status} ${res.text}`);
		}
	});

	it("when a forged cursor is sent, then 422 on field cursor", async () => {
		const a = await app();
		const club = await newClub(a.http);
		const forged = [
			"garbage",
			Buffer.from(JSON.stringify(["2026-11-23T10:00:00.000Z", "not-a-uuid"])).toString("base64url"),
			Buffer.from(JSON.stringify(["yesterday", "5f0c1b8e-3a5e-4f0e-9a43-0f8f6f7d2c11"])).toString("base64url"),
			Buffer.from(JSON.stringify({ a: 1 })).toString("base64url"),
		];
		for (const cursor of forged) {
			for (const path of ["/api-keys", "/clients"]) {
				const res = await a.http.get(`${path}?cursor=${encodeURIComponent(cursor)}`, { key: club.admin });
				assert.equal(res.status, 422, `${path} ${cursor}: ${res.text}`);
				assert.equal(res.body.data[0].field, "cursor");
			}
		}
	});
});
