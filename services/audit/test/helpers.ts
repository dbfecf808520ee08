/** Reading the audit trail in tests: entries are relayed a moment after the change commits. */
import assert from "node:assert/strict";
import type { Http } from "../../../test/support/app";

export interface Entry {
	id: string;
	at: string;
	actor: { type: string; id: string; name: string | null };
	action: string;
	target: { type: string; id: string };
	changes: Record<string, [unknown, unknown]> | null;
	requestId: string | null;
}

/** Every entry of the query (all pages), newest first. */
export async function allEntries(http: Http, key: string, path: string): Promise<Entry[]> {
	const out: Entry[] = [];
	let cursor: string | null = null;
	do {
		const sep = path.includes("?") ? "&" : "?";
		const res: { status: number; text: string; body: any } = await http.get(`${path}${sep}limit=500${cursor ? `&cursor=${cursor}` : ""}`, { key });
		assert.equal(res.status, 200, `${path}: ${res.text}`);
		out.push(...res.body.items);
		cursor = res.body.nextCursor;
	} while (cursor);
	return out;
}

/**
 * Waits until the query has `n` entries, then checks that no more arrive (exactly one entry per
 * change), and returns them newest first.
 */
export async function exactly(http: Http, key: string, path: string, n: number, settleMs = 250): Promise<Entry[]> {
	const end = Date.now() + 10_000;
	let items: Entry[] = [];
	while (Date.now() < end) {
		items = await allEntries(http, key, path);
		if (items.length >= n) break;
		await new Promise(r => setTimeout(r, 30));
	}
	await new Promise(r => setTimeout(r, settleMs));
	items = await allEntries(http, key, path);
	assert.equal(items.length, n, `${path}: expected ${n} entries, got ${items.length}: ${JSON.stringify(items.map(e => e.action))}`);
	return items;
}

export const ofTarget = (type: string, id: string) => `/audit?targetType=${type}&targetId=${id}`;
