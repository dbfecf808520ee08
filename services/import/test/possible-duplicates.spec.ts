/**
 * The import warns about rows that look like clients the club already had (same phone, same
 * name and birth date, a similar name) and imports them all the same: a count and a warning
 * on the job, one POSSIBLE_DUPLICATE row each on the errors download.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { app, newClub, type Http, type TestClub } from "../../../test/support/app";
import { allErrors, importFile } from "./helpers";

describe("Imports: likely duplicates of existing clients", function () {
	this.timeout(60_000);
	let http: Http;
	let club: TestClub;

	before(async () => {
		http = (await app()).http;
		club = await newClub(http);
	});

	const mail = () => `${crypto.randomBytes(4).toString("hex")}@example.com`;

	it("when rows look like existing clients, then they are imported, counted on the job and listed as POSSIBLE_DUPLICATE; rows alike within the file are not", async () => {
		const ana = (await http.post("/clients", { fullName: "Ana María García", email: mail(), phone: "+34612000111", gender: "F", country: "ES", birthDate: "1991-02-03" }, { key: club.staff })).body;
		const csv = [
			"full_name,email,phone,gender,country,birth_date",
			`Beatriz Otra,${mail()},+34 612 000 111,F,ES,`, // line 2: same phone
			`ana maria garcia,${mail()},+34612999888,F,ES,1991-02-03`, // line 3: same name and birth date
			`Ana Maria Garcis,${mail()},+34612999777,F,ES,`, // line 4: one letter apart
			`Zacarías Nadie,${mail()},+34612999666,M,ES,`, // line 5: nobody like them
			`Zacarias Nadie,${mail()},+34612999555,M,ES,`, // line 6: like line 5, which is in the same file
		].join("\n");
		const dry = await importFile(http, club.staff, csv, { dryRun: "true" });
		assert.deepEqual([dry.status, dry.created, dry.possibleDuplicates], ["completed", 5, 3], JSON.stringify(dry));

		const job = await importFile(http, club.staff, csv);
		assert.deepEqual([job.status, job.created, job.failed, job.possibleDuplicates], ["completed", 5, 0, 3], JSON.stringify(job));
		assert.ok(job.warnings.some((w: string) => w.startsWith("3 row(s) look like clients the club already had")), JSON.stringify(job.warnings));
		const dups = (await allErrors(http, club.staff, job.id)).filter(e => e.code === "POSSIBLE_DUPLICATE");
		assert.deepEqual(dups.map(e => [e.line, e.field]), [[2, "phone"], [3, "fullName"], [4, "fullName"]]);
		assert.ok(dups.every(e => e.message.includes(ana.id)), JSON.stringify(dups));
		assert.match(dups[1].message, /SAME_NAME_AND_BIRTH_DATE/);
		const csvErrors = await http.get(`/imports/${job.id}/errors?format=csv`, { key: club.staff });
		assert.equal((csvErrors.text.match(/POSSIBLE_DUPLICATE/g) ?? []).length, 3);
	});

	it("when a club's first import has rows alike, then none is a possible duplicate (no client existed before)", async () => {
		const fresh = await newClub(http);
		const csv = ["full_name,email,phone,gender,country", `Same Name,${mail()},+34612888111,F,ES`, `Same Name,${mail()},+34612888111,F,ES`].join("\n");
		const job = await importFile(http, fresh.staff, csv);
		assert.deepEqual([job.created, job.possibleDuplicates], [2, 0]);
		assert.equal(job.warnings.length, 0, JSON.stringify(job.warnings));
	});
});
