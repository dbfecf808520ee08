/**
 * The answers are what the OpenAPI document says: every JSON answer of the routes a club
 * uses (the writes that build a small club, then every GET the document lists) validates
 * against the operation's schema for its status, with the named schemas' required fields
 * and formats. A generated client's types are only as true as this.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { app, newClub, platformKey, type HttpResponse, type Running } from "../support/app";

const pointer = (...parts: string[]) => "#/" + parts.map(p => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");

describe("Answers conform to the OpenAPI document", function () {
	this.timeout(120_000);
	let a: Running;
	let doc: any;
	let ajv: Ajv2020;
	const problems: string[] = [];
	let checked = 0;

	/** The documented path template of a concrete /api/v1 path and method. */
	function operationOf(method: string, url: string): string | null {
		const p = url.split("?")[0];
		// Literal segments win over parameters (/wallets/reconciliation before /wallets/{id}).
		const templates = Object.keys(doc.paths).sort((x, y) => (x.match(/\{/g)?.length ?? 0) - (y.match(/\{/g)?.length ?? 0));
		for (const template of templates) {
			if (!doc.paths[template][method]) continue;
			const re = new RegExp("^" + template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "[^/]+").replace(/\{[^}]+\}/g, "[^/]+") + "$");
			if (re.test(p)) return template;
		}
		return null;
	}

	function conform(method: string, url: string, res: HttpResponse): void {
		const template = operationOf(method.toLowerCase(), url);
		if (!template) return void problems.push(`${method} ${url}: not in the document`);
		const responses = doc.paths[template][method.toLowerCase()].responses;
		const status = String(res.status);
		const documented = responses[status] ?? responses[`${status[0]}XX`];
		if (!documented) return void problems.push(`${method} ${template}: answered ${status}, which the document does not list`);
		const ct = String(res.headers.get("content-type") ?? "").split(";")[0];
		if (!documented.content) return;
		if (!documented.content[ct]) return void problems.push(`${method} ${template} ${status}: content type ${ct} is not documented`);
		if (ct !== "application/json") return;
		const ref = "doc" + pointer("paths", template, method.toLowerCase(), "responses", responses[status] ? status : `${status[0]}XX`, "content", ct, "schema");
		const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
		checked++;
		if (!validate(res.body)) problems.push(`${method} ${template} ${status}: ${ajv.errorsText(validate.errors, { separator: "; " })}`);
	}

	before(async () => {
		a = await app();
		doc = (await a.http.get("/api/openapi.json")).body;
		ajv = new Ajv2020({ strict: false, allErrors: true });
		addFormats(ajv);
		ajv.addSchema(doc, "doc");
	});

	it("when a club is built and every documented GET is read, then each JSON answer validates against its schema", async () => {
		const h = a.http;
		const club = await newClub(h);
		conform("POST", "/api/v1/clubs", await h.post("/clubs", { name: "Conformance Club", country: "ES", currency: "EUR", timezone: "Europe/Madrid" }, { key: platformKey() }));
		conform("POST", "/api/v1/clubs", await h.post("/clubs", { name: "Conformance Club" }, { key: platformKey() })); // 422
		conform("GET", "/api/v1/club", await h.get("/club")); // 401
		const tag = crypto.randomBytes(4).toString("hex");
		const call = async (method: string, url: string, body?: unknown, opts: Record<string, unknown> = {}) => {
			const res = await h.request(method, url, { key: club.admin, body, ...opts });
			conform(method, url.startsWith("/api/") ? url : `/api/v1${url}`, res);
			assert.ok(res.status < 500, `${method} ${url}: ${res.status} ${res.text}`);
			return res;
		};
		const group = (await call("POST", "/groups", { name: `Juniors ${tag}`, maxFutureBookings: 3, paymentMethods: ["card", "wallet"], vatRate: 2100 })).body;
		const category = (await call("POST", "/categories", { name: `Students ${tag}`, discountPercent: 20 })).body;
		const client = (await call("POST", "/clients", { fullName: "Ana García", email: `ana.${tag}@example.com`, phone: "612 34 56 78", gender: "F", country: "ES", groupId: group.id, tags: ["junior"] })).body;
		await call("POST", "/clients", { fullName: "Ana Garcia", email: `ana.${tag}@example.com`, phone: "612 34 56 78", gender: "F", country: "ES" }); // 409 CLIENT_EXISTS
		await call("POST", "/clients", { fullName: "X" }); // 422
		await call("PUT", `/clients/${client.id}/categories/${category.id}`, { validFrom: "2026-01-01" });
		await call("PATCH", `/clients/${client.id}`, { notes: "Prefers evening courts" });
		const wallet = (await call("POST", `/clients/${client.id}/wallets`, { currency: "EUR" })).body;
		const topUp = (await call("POST", `/wallets/${wallet.id}/top-up`, { amount: 5000, reference: "front-desk" }, { idempotencyKey: `t-${tag}` })).body;
		await call("POST", `/wallets/${wallet.id}/top-up`, { amount: 5000 }); // 400 IDEMPOTENCY_KEY_REQUIRED
		const debit = (await call("POST", `/wallets/${wallet.id}/debit`, { amount: 1200 }, { idempotencyKey: `d-${tag}` })).body;
		await call("POST", `/wallets/${wallet.id}/debit`, { amount: 999_999 }, { idempotencyKey: `d2-${tag}` }); // 409 INSUFFICIENT_FUNDS
		await call("POST", `/wallets/${wallet.id}/refund`, { transactionId: debit.id, amount: 200 }, { idempotencyKey: `r-${tag}` });
		const twin = (await call("POST", "/clients", { fullName: "Ana Garcia Lopez", email: `ana2.${tag}@example.com`, phone: "612 34 56 78", gender: "female", country: "ES" })).body;
		await call("POST", `/clients/${client.id}/merge`, { sourceId: twin.id, dryRun: true });
		await call("POST", `/clients/${client.id}/merge`, { sourceId: twin.id });
		await call("PUT", `/products/court-${tag}/access`, { kind: "activity", groupIds: [group.id] });
		const starts = new Date(Date.now() + 3 * 86400_000);
		starts.setUTCMinutes(0, 0, 0);
		const ends = new Date(starts.getTime() + 3600_000);
		await call("POST", "/booking-guard/check", { clientId: client.id, productId: `court-${tag}`, startsAt: starts.toISOString(), endsAt: ends.toISOString(), price: { amount: 2000, currency: "EUR" }, paymentMethod: "card" });
		await call("POST", "/booking-guard/visible-products", { clientId: client.id, productIds: [`court-${tag}`, "other"] });
		const booked = (await call("POST", "/bookings", { clientId: client.id, productId: `court-${tag}`, startsAt: starts.toISOString(), endsAt: ends.toISOString(), channel: "online", reference: "resa-1" })).body;
		const series = (
			await call("POST", "/bookings", {
				clientId: client.id,
				productId: `court-${tag}`,
				startsAt: new Date(starts.getTime() + 86400_000).toISOString(),
				endsAt: new Date(ends.getTime() + 86400_000).toISOString(),
				channel: "staff",
				recurrence: { frequency: "weekly", count: 2 },
			})
		).body;
		await call("POST", `/bookings/${booked.bookings[0].id}/cancel`, {});
		await call("POST", `/bookings/series/${series.bookings[0].seriesId}/cancel`, {});
		const csv = `full_name,email,phone,gender,country\nEva Ruiz,eva.${tag}@example.com,+34600999888,female,ES\nNo Mail,,+34600999887,male,ES\n`;
		const job = (await call("POST", "/api/v1/imports", undefined, { rawBody: csv, headers: { "content-type": "text/csv" } })).body;
		const key = (await call("POST", "/api-keys", { name: `Booking system ${tag}`, role: "staff" })).body;
		const ids: Record<string, string> = { groups: group.id, categories: category.id, clients: client.id, wallets: wallet.id, imports: job.id, "api-keys": key.id, transactionId: topUp.id, categoryId: category.id, productId: `court-${tag}`, seriesId: series.bookings[0].seriesId, bookings: booked.bookings[0].id };
		const member = await h.request("POST", "/api/v1/staff", { key: club.admin, body: { name: "Marta López", email: `marta.${tag}@example.com`, role: "staff" } });
		if (member.status === 201) {
			conform("POST", "/api/v1/staff", member);
			ids.staff = member.body.id;
		}
		const hook = await h.request("POST", "/api/v1/webhooks", { key: club.admin, body: { url: `https://hooks-${tag}.invalid/clubhouse`, events: ["clients.created"] } });
		conform("POST", "/api/v1/webhooks", hook);
		if (hook.status === 201) ids.webhooks = hook.body.id;
		// Let the import finish, so its job and errors are final.
		for (let i = 0; i < 100; i++) {
			const j = await h.get(`/imports/${job.id}`, { key: club.admin });
			if (["completed", "failed", "cancelled"].includes(j.body.status)) break;
			await new Promise(r => setTimeout(r, 50));
		}

		let gets = 0;
		for (const [template, ops] of Object.entries<any>(doc.paths)) {
			if (!ops.get || !template.startsWith("/api/v1/")) continue;
			const segs = template.replace("/api/v1", "").split("/").filter(Boolean);
			let fillable = true;
			const url =
				"/api/v1/" +
				segs
					.map((seg, i) => {
						const m = /^\{(.+)\}$/.exec(seg);
						if (!m) return seg;
						const v = m[1] === "id" ? ids[segs[i - 1]] : ids[m[1]];
						if (!v) fillable = false;
						return v;
					})
					.join("/");
			if (!fillable) continue;
			await call("GET", url);
			gets++;
		}
		await call("GET", `/clients/${crypto.randomUUID()}`); // 404
		assert.ok(gets >= 25, `only ${gets} GET routes were read`);
		assert.ok(checked >= 50, `only ${checked} answers were validated`);
		assert.deepEqual(problems, []);
	});
});
