/**
 * An integrator's upload is read whole at disk speed, whatever the pace of the import workers:
 * a 200k-row CSV sent with Node's fetch (undici) failed with `write EPIPE` while the server
 * read the body only as fast as chunks were written, and ended the exchange before the client
 * had sent it all. Here the workers are held (a transaction locks the rows of the first
 * chunks) while the client sends: the whole body must still be taken.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { request as httpRequest } from "node:http";
import { app, newClub } from "../../../test/support/app";
import { waitForJob } from "./helpers";

describe("Imports: the upload is read whole while the workers are busy", function () {
	this.timeout(120_000);

	it("when the workers are held and a 200k-row CSV with a Content-Length is posted, then the server takes every byte at once and answers 202", async () => {
		const running = await app();
		const http = running.http;
		const broker = running.brokers[0];
		const chunkRows: number = (broker.getLocalService("import") as any).chunkRows;
		const clientsDb: any = (broker.getLocalService("clients") as any).db;
		const c = await newClub(http);
		const n = crypto.randomBytes(3).toString("hex");
		const blockers = [0, 1, 2, 3].map(k => `block${k}.${n}@example.com`);
		const lines = ["full name,email,phone,gender,country"];
		for (let i = 0; i < 200_000; i++) {
			const k = i / chunkRows;
			lines.push(Number.isInteger(k) && k < 4 ? `Blocker,${blockers[k]},+34 612 345 678,f,ES` : `Row ${i},row${i}.${n}@example.com,+34 612 345 678,f,ES`);
		}
		const body = Buffer.from(lines.join("\n") + "\n");
		const defaultGroup = (await http.get("/groups", { key: c.viewer })).body.items.find((g: any) => g.isDefault);
		const stall = await clientsDb.transaction();
		let sent = 0;
		let answer: Promise<number> | undefined;
		try {
			await stall("clients").insert(blockers.map(email => ({ club_id: c.club.id, id: crypto.randomUUID(), full_name: "Blocker", email, phone: "+34612345678", gender: "female", country: "ES", group_id: defaultGroup.id, source: "staff" })));
			answer = new Promise<number>((resolve, reject) => {
				const req = httpRequest(`${running.baseUrl}/api/v1/imports`, { method: "POST", agent: false, headers: { authorization: `Bearer ${c.staff}`, "content-type": "text/csv", "content-length": String(body.length) } }, r => {
					r.resume();
					r.on("end", () => resolve(r.statusCode ?? 0));
				});
				req.on("error", reject);
				const PIECE = 64 * 1024;
				const next = () => {
					while (sent < body.length) {
						const piece = body.subarray(sent, sent + PIECE);
						sent += piece.length;
						if (!req.write(piece)) return void req.once("drain", next);
					}
					req.end();
				};
				next();
			});
			// While the first chunks wait for the lock, the whole body is taken (not only what socket buffers hold).
			const held = async () => Number((await clientsDb.raw("SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'")).rows[0].n) >= 1;
			const until = Date.now() + 20_000;
			while (!(sent === body.length && (await held())) && Date.now() < until) await new Promise(r => setTimeout(r, 50));
			assert.ok(await held(), "the workers are held meanwhile");
			assert.equal(sent, body.length, `the server took ${sent} of ${body.length} bytes while the workers were held`);
			await stall.commit();
		} finally {
			if (!stall.isCompleted()) await stall.rollback();
		}
		const [job] = (await http.get("/imports", { key: c.viewer })).body.items;
		const cancelled = await http.post(`/imports/${job.id}/cancel`, undefined, { key: c.staff });
		assert.equal(cancelled.status, 200, cancelled.text);
		assert.equal(await answer, 202);
		assert.equal((await waitForJob(http, c.viewer, job.id)).status, "cancelled");
	});
});
