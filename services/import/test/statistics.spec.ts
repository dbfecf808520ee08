/**
 * A big import leaves the planner fresh statistics before the job reads `completed`
 * (issue 12: a name search right after importing 200k clients had p95 116 ms on empty-table
 * statistics, 24 ms after ANALYZE; bench/clients measures it).
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { app, newClub } from "../../../test/support/app";
import { importFile } from "./helpers";
import { MIN_CHANGED } from "../../clients/clients.statistics";

describe("Imports: planner statistics", function () {
	this.timeout(120_000);

	it("when an import writes many clients, then the clients table is analyzed before the job is completed", async () => {
		const { http, brokers } = await app();
		const club = await newClub(http);
		const db = (brokers[0].getLocalService("clients") as any).db;
		const tag = crypto.randomBytes(3).toString("hex");
		const n = MIN_CHANGED + 200;
		const lines = ["full_name,email,phone,gender,country"];
		for (let i = 0; i < n; i++) lines.push(`Stat Person ${i},stat-${tag}-${i}@example.com,+3460${String(1000000 + i)},female,ES`);
		const started = new Date();
		const job = await importFile(http, club.staff, lines.join("\n"));
		assert.equal(job.status, "completed", JSON.stringify(job));
		assert.equal(job.created, n);
		const { rows } = await db.raw(`SELECT last_analyze FROM pg_stat_user_tables WHERE schemaname = 'clients' AND relname = 'clients'`);
		assert.ok(rows[0]?.last_analyze, "the clients table was never analyzed");
		assert.ok(new Date(rows[0].last_analyze) >= started, `last analyzed ${rows[0].last_analyze}, before the import started ${started.toISOString()}`);
		assert.ok(new Date(rows[0].last_analyze) <= new Date(job.finishedAt), "analyzed before the job was completed");
		const rel = await db.raw(`SELECT reltuples FROM pg_class WHERE oid = 'clients.clients'::regclass`);
		assert.ok(Number(rel.rows[0].reltuples) >= n, `reltuples ${rel.rows[0].reltuples}`);
	});
});
