/**
 * Impossible dates and times (February 30th, April 31st, 24:00, minute 60) are a 422 naming
 * the field wherever the API reads one, never silently another day (JavaScript's Date rolls
 * 2031-02-30 over to March 2nd).
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { app, newClub, platformKey, type Http, type TestClub } from "../support/app";
import { importFile, allErrors } from "../../services/import/test/helpers";

const BAD_INSTANTS = ["2031-02-30T10:00:00Z", "2031-04-31T10:00:00.000Z", "2031-02-28T24:00:00Z", "2031-02-28T10:60:00Z", "2031-02-28T10:00:00+25:00"];
const BAD_DATES = ["1990-02-31", "1990-02-30", "1990-04-31", "1990-13-01", "1990-00-10", "1900-02-29"];

function assert422(res: { status: number; body: any; text: string }, field: string) {
	assert.equal(res.status, 422, res.text);
	assert.ok(
		res.body.data.some((d: any) => d.field === field),
		`expected a 422 on '${field}', got ${res.text}`,
	);
}

describe("Impossible dates and times", function () {
	this.timeout(60_000);
	let http: Http;
	let club: TestClub;
	let clientId: string;

	before(async () => {
		({ http } = await app());
		club = await newClub(http);
		const c = await http.post("/clients", { fullName: "Dana Date", email: `dana-${crypto.randomBytes(4).toString("hex")}@example.com`, phone: "+34611223344", gender: "female", country: "ES" }, { key: club.staff });
		assert.equal(c.status, 201, c.text);
		clientId = c.body.id;
	});

	it("when a booking check or a booking has an impossible startsAt or endsAt, then it is a 422 on that field", async () => {
		for (const bad of BAD_INSTANTS) {
			assert422(await http.post("/booking-guard/check", { clientId, productId: "court-1", startsAt: bad }, { key: club.staff }), "startsAt");
			assert422(await http.post("/booking-guard/check", { clientId, productId: "court-1", startsAt: "2031-02-28T09:00:00Z", endsAt: bad }, { key: club.staff }), "endsAt");
			assert422(await http.post("/bookings", { clientId, productId: "court-1", startsAt: bad, endsAt: "2031-03-05T11:00:00Z" }, { key: club.staff }), "startsAt");
			assert422(await http.post("/bookings", { clientId, productId: "court-1", startsAt: "2031-02-28T09:00:00Z", endsAt: bad }, { key: club.staff }), "endsAt");
		}
	});

	it("when a series ends on an impossible 'until' (date or time), then it is a 422 on recurrence.until", async () => {
		for (const until of ["2031-02-30", "2031-02-30T10:00:00Z", "2031-06-31"]) {
			const res = await http.post(
				"/bookings",
				{ clientId, productId: "court-1", startsAt: "2031-02-03T09:00:00Z", endsAt: "2031-02-03T10:00:00Z", recurrence: { frequency: "weekly", until } },
				{ key: club.staff },
			);
			assert422(res, "recurrence.until");
		}
	});

	it("when a real but unusual time is given (leap day, offset without colon, nanoseconds), then it is read as that instant", async () => {
		const res = await http.post("/booking-guard/check", { clientId, productId: "court-1", startsAt: "2028-02-29T23:30:00.123456789+0200" }, { key: club.staff });
		assert.equal(res.status, 200, res.text);
	});

	it("when a client's birthDate is impossible (create, update, verified profile), then it is a 422 on birthDate", async () => {
		for (const bad of BAD_DATES) {
			const email = `bd-${crypto.randomBytes(4).toString("hex")}@example.com`;
			assert422(await http.post("/clients", { fullName: "Ben Birth", email, phone: "+34611223345", gender: "male", country: "ES", birthDate: bad }, { key: club.staff }), "birthDate");
			assert422(await http.patch(`/clients/${clientId}`, { birthDate: bad }, { key: club.staff }), "birthDate");
			assert422(await http.post("/verified-profiles", { email, fullName: "Ben Birth", phone: "+34611223345", gender: "male", country: "ES", birthDate: bad }, { key: platformKey() }), "birthDate");
		}
		assert.equal((await http.get(`/clients/${clientId}`, { key: club.viewer })).body.birthDate, null);
	});

	it("when a client category's validFrom or validUntil is impossible, then it is a 422 on that field", async () => {
		const cat = await http.post("/categories", { name: `Cat ${crypto.randomBytes(3).toString("hex")}`, discountPercent: 10 }, { key: club.admin });
		assert.equal(cat.status, 201, cat.text);
		for (const bad of BAD_DATES) {
			assert422(await http.put(`/clients/${clientId}/categories/${cat.body.id}`, { validFrom: bad }, { key: club.staff }), "validFrom");
			assert422(await http.put(`/clients/${clientId}/categories/${cat.body.id}`, { validUntil: bad }, { key: club.staff }), "validUntil");
		}
	});

	it("when an imported row has an impossible birth date (ISO or day/month/year), then that row fails on birthDate", async () => {
		const tag = crypto.randomBytes(3).toString("hex");
		const csv = [
			"full_name,email,phone,gender,country,birth_date",
			`Ivo One,ivo1-${tag}@example.com,+34611000001,male,ES,1990-02-31`,
			`Ivo Two,ivo2-${tag}@example.com,+34611000002,male,ES,31/02/1990`,
			`Ivo Three,ivo3-${tag}@example.com,+34611000003,male,ES,2031-02-30T10:00:00Z`,
			`Ivo Four,ivo4-${tag}@example.com,+34611000004,male,ES,29/02/2000`,
		].join("\n");
		const job = await importFile(http, club.staff, csv);
		assert.equal(job.created, 1, JSON.stringify(job));
		assert.equal(job.failed, 3, JSON.stringify(job));
		const errors = await allErrors(http, club.staff, job.id);
		assert.deepEqual(errors.map((e: any) => [e.line, e.field]).sort(), [[2, "birthDate"], [3, "birthDate"], [4, "birthDate"]]);
	});

	it("when the audit trail is filtered with an impossible from or to, then it is a 422 on that field; real ones work", async () => {
		for (const bad of [...BAD_INSTANTS, ...BAD_DATES]) {
			assert422(await http.get(`/audit?from=${encodeURIComponent(bad)}`, { key: club.admin }), "from");
			assert422(await http.get(`/audit?to=${encodeURIComponent(bad)}`, { key: club.admin }), "to");
		}
		assert.equal((await http.get(`/audit?from=2028-02-29&to=${encodeURIComponent("2031-02-28T10:00:00+01:00")}`, { key: club.admin })).status, 200);
	});

	it("when a list cursor carries an impossible time, then it is a 422 on cursor", async () => {
		const forged = Buffer.from(JSON.stringify(["2031-02-30T10:00:00.000Z", crypto.randomUUID()])).toString("base64url");
		for (const path of ["/clients", "/groups", `/wallets/${crypto.randomUUID()}/transactions`, "/api-keys", "/imports"]) {
			const res = await http.get(`${path}?cursor=${forged}`, { key: club.admin });
			if (res.status === 404) continue; // the wallet does not exist: nothing is read
			assert422(res, "cursor");
		}
	});
});
