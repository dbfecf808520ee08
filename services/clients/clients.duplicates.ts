/**
 * Likely duplicates of a client: the same phone, the same name and birth date, or a similar
 * name (accent- and case-insensitive: the same name, one letter apart, or the words swapped).
 *
 * The database narrows the club to a few candidates by exact key lookups
 * (clients.duplicates.queries.ts); this module checks each candidate exactly, names its
 * reasons and ranks them. Used by POST /clients (`possibleDuplicates`), by
 * GET /clients/:id/duplicates and by the import (POSSIBLE_DUPLICATE warnings).
 */
import type { Context } from "moleculer";
import { defineMixin, type AppService } from "../../lib/service";
import type { DbMembers } from "../../mixins/db.mixin";
import type { Knex } from "knex";
import { NotFoundError } from "../../lib/errors";
import type { HttpMeta } from "../../lib/http";
import { UUID_RE } from "../../lib/tenant.middleware";
import { clientEntity, toClient, type Client } from "./clients.entity";
import * as q from "./clients.queries";
import { duplicateCandidates, type CandidateRow, type DuplicateProbe } from "./clients.duplicates.queries";

export type DuplicateReason = "SAME_PHONE" | "SAME_NAME_AND_BIRTH_DATE" | "SIMILAR_NAME";
export const DUPLICATE_REASONS: readonly DuplicateReason[] = ["SAME_PHONE", "SAME_NAME_AND_BIRTH_DATE", "SIMILAR_NAME"];

/** How many duplicates are answered (best first). */
const MAX_DUPLICATES = 20;

export interface Duplicate {
	row: q.ClientRow;
	reasons: DuplicateReason[];
	/** 1..100: how likely the two are one person. */
	score: number;
}

/** True when a and b are equal or one edit apart: a letter changed, added or dropped, or two neighbours swapped. */
export function withinOneEdit(x: string, y: string): boolean {
	if (x === y) return true;
	const a = Array.from(x);
	const b = Array.from(y);
	if (Math.abs(a.length - b.length) > 1) return false;
	let i = 0;
	while (i < a.length && i < b.length && a[i] === b[i]) i++;
	if (a.length === b.length) {
		let j = a.length - 1;
		while (j > i && a[j] === b[j]) j--;
		if (i === j) return true;
		return j === i + 1 && a[i] === b[j] && a[j] === b[i];
	}
	const [short, long] = a.length < b.length ? [a, b] : [b, a];
	for (let k = i; k < short.length; k++) if (short[k] !== long[k + 1]) return false;
	return true;
}

const sortedWords = (name: string) => name.split(/ +/).filter(Boolean).sort().join(" ");

/** The reasons two clients look alike (names already folded: lower-cased, unaccented), and a score. */
export function compare(
	probe: { name: string; phone: string | null; birthDate: string | null },
	other: { name: string; phone: string | null; birthDate: string | null },
): { reasons: DuplicateReason[]; score: number } {
	const reasons: DuplicateReason[] = [];
	let score = 0;
	if (probe.phone && probe.phone === other.phone) {
		reasons.push("SAME_PHONE");
		score += 50;
	}
	const sameBirth = probe.birthDate !== null && probe.birthDate === other.birthDate;
	if (probe.name && other.name) {
		if (sameBirth && probe.name === other.name) {
			reasons.push("SAME_NAME_AND_BIRTH_DATE");
			score += 60;
		} else if (probe.name === other.name || withinOneEdit(probe.name, other.name) || sortedWords(probe.name) === sortedWords(other.name)) {
			reasons.push("SIMILAR_NAME");
			score += probe.name === other.name ? 40 : sortedWords(probe.name) === sortedWords(other.name) ? 35 : 30;
			if (sameBirth) score += 10;
		}
	}
	return { reasons, score: Math.min(100, score) };
}

/** Checks the candidates exactly, drops the ones that only shared a hash, ranks the rest (best, then newest, first). */
export function rank(probe: { phone: string | null; birthDate: string | null }, candidates: CandidateRow[], limit = MAX_DUPLICATES): Duplicate[] {
	const seen = new Set<string>();
	const out: Duplicate[] = [];
	for (const c of candidates) {
		if (seen.has(c.id)) continue;
		seen.add(c.id);
		const { reasons, score } = compare({ name: c.probe_name, phone: probe.phone, birthDate: probe.birthDate }, { name: c.search_name, phone: c.phone, birthDate: c.birth_date });
		if (reasons.length) out.push({ row: c, reasons, score });
	}
	out.sort((x, y) => y.score - x.score || y.row.created_at.getTime() - x.row.created_at.getTime() || (x.row.id < y.row.id ? 1 : -1));
	return out.slice(0, limit);
}

/** The club's likely duplicates of a client (given by its fields), best first. */
export async function findDuplicates(db: Knex | Knex.Transaction, clubId: string, probe: DuplicateProbe, excludeId: string | null, limit = MAX_DUPLICATES): Promise<Duplicate[]> {
	if (!probe.fullName && !probe.phone) return [];
	return rank(probe, await duplicateCandidates(db, clubId, probe, excludeId), limit);
}

/** `possibleDuplicates` of POST /clients: `[{ clientId, reasons }]`. */
export const possibleDuplicates = (found: Duplicate[]) => found.map(d => ({ clientId: d.row.id, reasons: d.reasons }));

const reasonsSchema = { type: "array", items: { enum: [...DUPLICATE_REASONS] } };

/** What the duplicates action needs of the clients service. */
type DuplicatesThis = AppService & DbMembers;

export const DuplicatesMixin = defineMixin<DuplicatesThis>({
	actions: {
		/** GET /clients/:id/duplicates: the client's likely duplicates, best first. */
		duplicates: {
			rest: "GET /clients/:id/duplicates",
			auth: "viewer",
			params: { id: { type: "string", min: 1, max: 200 } },
			openapi: {
				summary: "A client's likely duplicates",
				description:
					`The club's clients that look like this one, best first (at most ${MAX_DUPLICATES}). Reasons: SAME_PHONE, SAME_NAME_AND_BIRTH_DATE, SIMILAR_NAME ` +
					"(accent- and case-insensitive: the same name, one letter apart — changed, added, dropped or two neighbours swapped — or the words in another order, first and last name swapped). " +
					"`score` 1..100: same name and birth date 60, same phone 50, a similar name 30..40 (the same name 40, swapped 35, one letter apart 30, +10 with the same birth date), summed up to 100. " +
					"Merge one into the other with POST /clients/:id/merge.",
				tags: ["clients"],
				responses: {
					"200": {
						description: "The likely duplicates",
						schema: {
							type: "object",
							properties: {
								items: {
									type: "array",
									items: { type: "object", properties: { client: clientEntity, reasons: reasonsSchema, score: { type: "integer", minimum: 1, maximum: 100 } } },
								},
							},
						},
					},
				},
			},
			async handler(ctx: Context<{ id: string }, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const row: q.ClientRow | undefined = UUID_RE.test(ctx.params.id) ? await q.findClient(this.db, clubId, ctx.params.id.toLowerCase()) : undefined;
				if (!row) throw new NotFoundError("Client");
				const found = await findDuplicates(this.db, clubId, { fullName: row.full_name, phone: row.phone, birthDate: row.birth_date }, row.id);
				const cats = await q.categoriesOf(this.db, clubId, found.map(d => d.row.id));
				const items: Array<{ client: Client; reasons: DuplicateReason[]; score: number }> = found.map(d => ({ client: toClient(d.row, cats.get(d.row.id)), reasons: d.reasons, score: d.score }));
				return { items };
			},
		},
	},
});
