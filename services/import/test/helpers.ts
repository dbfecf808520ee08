/** Test helpers for imports: upload a file through the gateway, wait for its job to end. */
import fs from "node:fs";
import path from "node:path";
import type { Http, HttpResponse } from "../../../test/support/app";

export const FIXTURES = path.join(__dirname, "fixtures");
export const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));

export function upload(http: Http, key: string, body: Buffer | string, query: Record<string, string> = {}, contentType = "text/csv"): Promise<HttpResponse> {
	const qs = new URLSearchParams(query).toString();
	return http.request("POST", `/imports${qs ? `?${qs}` : ""}`, { key, rawBody: body, headers: { "content-type": contentType } });
}

/** Polls the job until it ends; `tolerate503` while a killed node is not yet known to be gone. */
export async function waitForJob(http: Http, key: string, id: string, ms = 30_000, tolerate503 = false): Promise<any> {
	const until = Date.now() + ms;
	let job: any;
	let last = -1;
	for (;;) {
		const res = await http.get(`/imports/${id}`, { key });
		if (res.status === 503 && tolerate503 && Date.now() < until) {
			await new Promise(r => setTimeout(r, 100));
			continue;
		}
		if (res.status !== 200) throw new Error(`GET /imports/${id}: ${res.status} ${res.text}`);
		job = res.body;
		if (job.processedRows < last) throw new Error(`processedRows went back from ${last} to ${job.processedRows}`);
		last = job.processedRows;
		if (["completed", "failed", "cancelled"].includes(job.status)) return job;
		if (Date.now() > until) throw new Error(`job ${id} still ${job.status} after ${ms} ms: ${JSON.stringify(job)}`);
		await new Promise(r => setTimeout(r, 50));
	}
}

/** Uploads and waits for the end; asserts the 202. */
export async function importFile(http: Http, key: string, body: Buffer | string, query: Record<string, string> = {}, contentType = "text/csv"): Promise<any> {
	const res = await upload(http, key, body, query, contentType);
	if (res.status !== 202) throw new Error(`POST /imports: ${res.status} ${res.text}`);
	return waitForJob(http, key, res.body.id);
}

export async function allErrors(http: Http, key: string, id: string): Promise<any[]> {
	const out: any[] = [];
	let cursor: string | null = null;
	do {
		const res: HttpResponse = await http.get(`/imports/${id}/errors?limit=500${cursor ? `&cursor=${cursor}` : ""}`, { key });
		if (res.status !== 200) throw new Error(`errors: ${res.status} ${res.text}`);
		out.push(...res.body.items);
		cursor = res.body.nextCursor;
	} while (cursor);
	return out;
}

/** Every client of the club (GET /clients, all pages). */
export async function allClients(http: Http, key: string): Promise<any[]> {
	const out: any[] = [];
	let cursor: string | null = null;
	do {
		const res: HttpResponse = await http.get(`/clients?limit=500${cursor ? `&cursor=${cursor}` : ""}`, { key });
		if (res.status !== 200) throw new Error(`clients: ${res.status} ${res.text}`);
		out.push(...res.body.items);
		cursor = res.body.nextCursor;
	} while (cursor);
	return out;
}
