/**
 * `clients.importBatch`: the import workers' one write path into the clients schema.
 *
 * Takes one chunk of rows already normalised by lib/normalize/client.ts (the import worker
 * runs `normalizeClientInput`, the same code behind POST /clients) and applies it in one
 * transaction: new e-mails are inserted (one multi-row INSERT … ON CONFLICT on the
 * club's unique e-mail), existing ones skipped or updated (`onDuplicate`), verified
 * clients never updated, e-mails of verified profiles checked like POST /clients does.
 *
 * Exactly once: the first statement records (club, job, chunk) in `import_batches`; a
 * redelivered chunk (a worker died after the commit, or two workers got it at once) waits
 * on that row and gets the stored outcome back instead of writing anything again.
 * `dryRun` reads only and answers what would happen.
 */
import crypto from "node:crypto";
import type { Context, ServiceSchema } from "moleculer";
import type { Knex } from "knex";
import type { HttpMeta } from "../../lib/http";
import type { IdentityField, NormalizedClient } from "../../lib/normalize/client";
import type { ClientRow, VerifiedProfileRow } from "./clients.queries";
import { diffChanges, type ChangeEntry } from "../../mixins/outbox.mixin";
import { candidatesOfRows, type CandidateRow } from "./clients.duplicates.queries";
import { rank } from "./clients.duplicates";
import type { ImportBatchClient, ImportBatchOutcome, ImportBatchParams } from "./clients.contract";

import { releaseProfileAttempts, reserveProfileAttempts } from "./clients.profile-throttle";

const NOW = "date_trunc('milliseconds', clock_timestamp())";
const IDENTITY: IdentityField[] = ["fullName", "phone", "gender", "country", "birthDate"];

function profileIdentity(p: VerifiedProfileRow): Record<string, string | null> {
	return { fullName: p.full_name, email: p.email, phone: p.phone, gender: p.gender, country: p.country, birthDate: p.birth_date };
}

/** A row's fields an import may set, as the API names them (the audit's changes). */
const importedFields = (r: Record<string, any>) => ({
	fullName: r.full_name,
	phone: r.phone,
	gender: r.gender,
	country: r.country,
	birthDate: r.birth_date,
	notes: r.notes,
	groupId: r.group_id,
	tags: r.tags,
	verified: r.verified,
});

const sameTags = (a: string[], b: string[]) => a.length === b.length && a.every((t, i) => t === b[i]);

export const ImportBatchMixin: Partial<ServiceSchema> = {
	actions: {
		/** Internal (import workers): applies one normalised chunk exactly once; see the file's header. */
		importBatch: {
			params: {
				jobId: { type: "uuid" },
				chunkIndex: { type: "number", integer: true, min: 0 },
				onDuplicate: { type: "enum", values: ["skip", "update"] },
				dryRun: { type: "boolean", optional: true },
				existingBefore: { type: "string", optional: true, max: 40 },
				rows: { type: "array", max: 20_000, items: { type: "object", props: { line: { type: "number", integer: true, min: 1 }, client: { type: "object" } } } },
			},
			timeout: 120_000,
			async handler(this: any, ctx: Context<ImportBatchParams, HttpMeta>): Promise<ImportBatchOutcome> {
				const { jobId, chunkIndex, onDuplicate, dryRun, rows } = ctx.params;
				const clubId = ctx.meta.clubId;
				const run = async (trx: Knex.Transaction | Knex): Promise<ImportBatchOutcome> => {
					if (!dryRun) {
						const mark = await trx.raw(
							`INSERT INTO import_batches (club_id, job_id, chunk_index, outcome) VALUES (?, ?, ?, '{}'::jsonb)
							 ON CONFLICT DO NOTHING RETURNING 1`,
							[clubId, jobId, chunkIndex],
						);
						if (!mark.rowCount) {
							const prev = await trx("import_batches").where({ club_id: clubId, job_id: jobId, chunk_index: chunkIndex }).first();
							return { ...(prev.outcome as ImportBatchOutcome), updatedIds: [], replayed: true };
						}
					}
					const outcome = await this.applyImportRows(trx, clubId, rows, onDuplicate, !!dryRun, ctx, ctx.params.existingBefore);
					if (!dryRun) {
						const stored = { ...outcome, updatedIds: [] };
						await trx("import_batches").where({ club_id: clubId, job_id: jobId, chunk_index: chunkIndex }).update({ outcome: JSON.stringify(stored) });
					}
					return outcome;
				};
				const outcome: ImportBatchOutcome = dryRun ? await run(this.db) : await this.db.transaction(run);
				if (outcome.updatedIds.length) ctx.emit("clients.updated", { clubId, clientIds: outcome.updatedIds });
				return outcome;
			},
		} as any,
	},

	methods: {
		/**
		 * The new rows that look like clients the club already had (created before `before`):
		 * one POSSIBLE_DUPLICATE entry each, the row imported all the same. Nothing to look at
		 * (and no lookup) when the club had no clients yet, as in a first import.
		 */
		async warnPossibleDuplicates(this: any, trx: Knex.Transaction | Knex, clubId: string, out: ImportBatchOutcome, rows: Record<string, unknown>[], lines: Map<string, number>, before: string) {
			if (!rows.length) return;
			const any = await trx("clients").where({ club_id: clubId }).whereNull("deleted_at").where("created_at", "<", before).first("id");
			if (!any) return;
			const probes = rows.map((r, key) => ({ key, fullName: r.full_name as string, phone: r.phone as string, birthDate: (r.birth_date as string | null) ?? null }));
			const found = await candidatesOfRows(trx, clubId, probes, before);
			const byRow = new Map<number, CandidateRow[]>();
			for (const c of found) byRow.set(c.row_key, [...(byRow.get(c.row_key) ?? []), c]);
			for (const p of probes) {
				const best = rank(p, byRow.get(p.key) ?? [], 1)[0];
				if (!best) continue;
				out.possibleDuplicates = (out.possibleDuplicates ?? 0) + 1;
				out.errors.push({
					line: lines.get(rows[p.key].email as string) ?? 0,
					field: best.reasons.includes("SAME_PHONE") ? "phone" : "fullName",
					code: "POSSIBLE_DUPLICATE",
					message: `Imported, but looks like client ${best.row.id} (${best.reasons.join(", ")}): merge them with POST /clients/${best.row.id}/merge if they are one person.`,
				});
			}
			out.errors.sort((a, b) => a.line - b.line);
		},

		async applyImportRows(
			this: any,
			trx: Knex.Transaction | Knex,
			clubId: string,
			rows: ImportBatchParams["rows"],
			onDuplicate: "skip" | "update",
			dryRun: boolean,
			ctx?: Context,
			existingBefore?: string,
		): Promise<ImportBatchOutcome> {
			// One audit entry per client created or updated (the job itself has its own, in the import service).
			const entries: ChangeEntry[] = [];
			const out: ImportBatchOutcome = { created: 0, updated: 0, skipped: 0, failed: 0, errors: [], updatedIds: [], replayed: false };
			// One row per e-mail (the import already reports later duplicates; this keeps the batch safe alone).
			const byEmail = new Map<string, { line: number; client: ImportBatchClient }>();
			for (const r of rows) {
				if (byEmail.has(r.client.email)) {
					out.failed++;
					out.errors.push({ line: r.line, field: "email", code: "DUPLICATE_IN_FILE", message: "An earlier row of the file has this e-mail." });
				} else byEmail.set(r.client.email, r);
			}
			const emails = [...byEmail.keys()];
			if (!emails.length) return out;
			const profiles = new Map<string, VerifiedProfileRow>(
				((await trx<VerifiedProfileRow>("verified_profiles").whereRaw("email = ANY(?::text[])", [emails])) as VerifiedProfileRow[]).map(p => [p.email, p]),
			);
			// Skip mode writes new clients only, and INSERT … ON CONFLICT DO NOTHING already skips the
			// existing ones: they need looking up first only to update them, to count a dry run, or to
			// skip (rather than fail) an existing client whose verified profile the row contradicts.
			const lookUp = onDuplicate === "update" || dryRun ? emails : emails.filter(e => profiles.has(e));
			let existing = new Map<string, ClientRow>();
			if (lookUp.length) {
				const existingQuery = trx<ClientRow>("clients").where({ club_id: clubId }).whereNull("deleted_at").whereRaw("email = ANY(?::text[])", [lookUp]);
				existing = new Map(((await (dryRun ? existingQuery : existingQuery.forUpdate())) as ClientRow[]).map(c => [c.email, c]));
			}
			// Rows compared with a verified profile are counted attempts, as on POST /clients (clients.profile-throttle.ts).
			const blocked = await reserveProfileAttempts(trx, clubId, [...profiles.keys()]);
			const mismatched = new Set<string>();

			const inserts: Record<string, unknown>[] = [];
			const insertLines = new Map<string, number>();
			const updates: Record<string, unknown>[] = [];
			const newLinks: Array<{ email: string; club_id: string; client_id: string }> = [];
			for (const [email, { line, client }] of byEmail) {
				const current = existing.get(email);
				if (current && (onDuplicate === "skip" || current.verified)) {
					out.skipped++;
					continue;
				}
				// The e-mail of a verified profile: every identity field given must equal it (as POST /clients).
				let identity: Record<string, any> = { ...client };
				let verified = false;
				const profile = profiles.get(email);
				if (profile) {
					const wait = blocked.get(email);
					if (wait) {
						out.failed++;
						out.errors.push({ line, field: "email", code: "TOO_MANY_ATTEMPTS", message: `Too many attempts for this e-mail's verified profile; retry in ${wait} s.` });
						continue;
					}
					const p = profileIdentity(profile);
					// An existing client's own birth date counts as given (as PATCH does); none given stays none.
					const given: Record<string, any> = { ...client, birthDate: client.birthDate ?? current?.birth_date ?? null };
					const mismatches = IDENTITY.filter(f => (f === "birthDate" && given.birthDate === null ? false : (given[f] ?? null) !== (p[f] ?? null)));
					if (mismatches.length) {
						mismatched.add(email);
						out.failed++;
						for (const f of mismatches) {
							out.errors.push({ line, field: f, code: "VERIFIED_PROFILE_MISMATCH", message: `The '${f}' does not match the verified profile of this e-mail.` });
						}
						continue;
					}
					identity = given; // what was given (equal to the profile), never the profile's other values
					verified = true;
				}
				if (!current) {
					const id = crypto.randomUUID();
					insertLines.set(email, line);
					inserts.push({
						id,
						full_name: identity.fullName,
						email,
						phone: identity.phone,
						gender: identity.gender,
						country: identity.country,
						birth_date: identity.birthDate,
						notes: client.notes,
						group_id: client.groupId,
						tags: client.tags,
						verified,
					});
					if (verified) newLinks.push({ email, club_id: clubId, client_id: id });
					continue;
				}
				// Update: the file's identity; blanks never erase; tags are added; the group moves only when named.
				const next = {
					full_name: identity.fullName,
					phone: identity.phone,
					gender: identity.gender,
					country: identity.country,
					birth_date: identity.birthDate ?? current.birth_date,
					notes: client.notes ?? current.notes,
					group_id: client.setGroup ? client.groupId : current.group_id,
					tags: [...new Set([...current.tags, ...client.tags])],
					verified,
				};
				const changed =
					next.full_name !== current.full_name ||
					next.phone !== current.phone ||
					next.gender !== current.gender ||
					next.country !== current.country ||
					next.birth_date !== current.birth_date ||
					next.notes !== current.notes ||
					next.group_id !== current.group_id ||
					next.verified !== current.verified ||
					!sameTags(next.tags, current.tags);
				if (!changed) {
					out.skipped++;
					continue;
				}
				updates.push({ id: current.id, ...next });
				if (verified) newLinks.push({ email, club_id: clubId, client_id: current.id });
			}
			// Only mismatches stay counted.
			await releaseProfileAttempts(trx, clubId, [...profiles.keys()].filter(e => !mismatched.has(e) && !blocked.get(e)));

			const cutoff = existingBefore && !Number.isNaN(Date.parse(existingBefore)) ? new Date(existingBefore).toISOString() : new Date().toISOString();
			if (dryRun) {
				out.created += inserts.length;
				out.updated += updates.length;
				await this.warnPossibleDuplicates(trx, clubId, out, inserts, insertLines, cutoff);
				return out;
			}
			if (inserts.length) {
				const res = await trx.raw(
					`INSERT INTO clients (club_id, id, full_name, email, phone, gender, country, birth_date, notes, group_id, tags, verified, source)
					 SELECT ?, r.id, r.full_name, r.email, r.phone, r.gender, r.country, r.birth_date, r.notes, r.group_id, r.tags, r.verified, 'import'
					   FROM jsonb_to_recordset(?::jsonb) AS r(id uuid, full_name text, email text, phone text, gender text, country text,
					        birth_date date, notes text, group_id uuid, tags text[], verified boolean)
					 ON CONFLICT (club_id, email) WHERE deleted_at IS NULL DO NOTHING
					 RETURNING id, email`,
					[clubId, JSON.stringify(inserts)],
				);
				out.created += res.rowCount;
				for (const r of res.rows as Array<{ id: string }>) entries.push({ action: "clients.import", target: { type: "client", id: r.id } });
				// Created meanwhile by someone else (a concurrent POST /clients or import): skipped.
				out.skipped += inserts.length - res.rowCount;
				const made = new Set<string>(res.rows.map((r: { email: string }) => r.email));
				if (res.rowCount < inserts.length) {
					for (let i = newLinks.length - 1; i >= 0; i--) if (insertLines.has(newLinks[i].email) && !made.has(newLinks[i].email)) newLinks.splice(i, 1);
				}
				await this.warnPossibleDuplicates(trx, clubId, out, inserts.filter(r => made.has(r.email as string)), insertLines, cutoff);
			}
			if (updates.length) {
				const res = await trx.raw(
					`UPDATE clients c SET full_name = u.full_name, phone = u.phone, gender = u.gender, country = u.country,
					        birth_date = u.birth_date, notes = u.notes, group_id = u.group_id, tags = u.tags, verified = u.verified,
					        updated_at = ${NOW}
					   FROM jsonb_to_recordset(?::jsonb) AS u(id uuid, full_name text, phone text, gender text, country text,
					        birth_date date, notes text, group_id uuid, tags text[], verified boolean)
					  WHERE c.club_id = ? AND c.id = u.id AND c.deleted_at IS NULL AND c.verified = false
					 RETURNING c.id`,
					[JSON.stringify(updates), clubId],
				);
				out.updated += res.rowCount;
				out.skipped += updates.length - res.rowCount;
				out.updatedIds = res.rows.map((r: { id: string }) => r.id);
				const before = new Map([...existing.values()].map(c => [c.id, c]));
				const next = new Map(updates.map(u => [u.id as string, u]));
				for (const id of out.updatedIds) {
					entries.push({ action: "clients.import", target: { type: "client", id }, changes: diffChanges(importedFields(before.get(id)!), importedFields(next.get(id)!)) });
				}
			}
			if (newLinks.length) {
				await trx("verified_links").insert(newLinks).onConflict(["email", "club_id", "client_id"]).ignore();
			}
			if (ctx && entries.length) await this.recordChange(trx, ctx, entries);
			return out;
		},
	},
};
