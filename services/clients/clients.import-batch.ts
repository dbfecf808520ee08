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
import type { Context } from "moleculer";
import type { Knex } from "knex";
import type { HttpMeta } from "../../lib/http";
import { defineMixin, type AppService } from "../../lib/service";
import type { DbMembers } from "../../mixins/db.mixin";
import { diffChanges, type ChangeEntry, type OutboxMembers } from "../../mixins/outbox.mixin";
import { clientsByEmail, hasClientsBefore, type ClientRow, type VerifiedProfileRow } from "./clients.queries";
import { candidatesOfRows, type CandidateRow } from "./clients.duplicates.queries";
import { rank } from "./clients.duplicates";
import type { ImportBatchClient, ImportBatchOutcome, ImportBatchParams } from "./clients.contract";
import { releaseProfileAttempts, reserveProfileAttempts } from "./clients.profile-throttle";
import { linkVerifiedMany, profilesByEmail, type VerifiedLink } from "./clients.verified.queries";
import { profileMismatches, type Identity } from "./clients.verified";
import { batchOutcome, insertImportRows, markBatch, storeBatchOutcome, updateImportRows, type ImportRow } from "./clients.import-batch.queries";

type Db = Knex | Knex.Transaction;

export interface ImportBatchMethods {
	/** The new rows that look like clients the club already had: one POSSIBLE_DUPLICATE entry each. */
	warnPossibleDuplicates(trx: Db, clubId: string, out: ImportBatchOutcome, rows: ImportRow[], lines: Map<string, number>, before: string): Promise<void>;
	/** Applies the rows (or, dry, counts what would happen): the outcome. */
	applyImportRows(trx: Db, clubId: string, rows: ImportBatchParams["rows"], onDuplicate: "skip" | "update", dryRun: boolean, ctx?: Context, existingBefore?: string): Promise<ImportBatchOutcome>;
}

type ImportBatchThis = AppService & DbMembers & OutboxMembers & ImportBatchMethods;

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

export const ImportBatchMixin = defineMixin<ImportBatchThis>({
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
			async handler(ctx: Context<ImportBatchParams, HttpMeta>): Promise<ImportBatchOutcome> {
				const { jobId, chunkIndex, onDuplicate, dryRun, rows } = ctx.params;
				const clubId = ctx.meta.clubId;
				const batch = { clubId, jobId, chunkIndex };
				const outcome: ImportBatchOutcome = dryRun
					? await this.applyImportRows(this.db, clubId, rows, onDuplicate, true, ctx, ctx.params.existingBefore)
					: await this.db.transaction(async trx => {
							if (!(await markBatch(trx, batch))) return { ...(await batchOutcome<ImportBatchOutcome>(trx, batch)), updatedIds: [], replayed: true };
							const outcome = await this.applyImportRows(trx, clubId, rows, onDuplicate, false, ctx, ctx.params.existingBefore);
							await storeBatchOutcome(trx, batch, { ...outcome, updatedIds: [] });
							return outcome;
						});
				if (outcome.updatedIds.length) ctx.emit("clients.updated", { clubId, clientIds: outcome.updatedIds });
				return outcome;
			},
		},
	},

	methods: {
		/**
		 * The new rows that look like clients the club already had (created before `before`):
		 * one POSSIBLE_DUPLICATE entry each, the row imported all the same. Nothing to look at
		 * (and no lookup) when the club had no clients yet, as in a first import.
		 */
		async warnPossibleDuplicates(trx: Db, clubId: string, out: ImportBatchOutcome, rows: ImportRow[], lines: Map<string, number>, before: string) {
			if (!rows.length) return;
			if (!(await hasClientsBefore(trx, clubId, before))) return;
			const probes = rows.map((r, key) => ({ key, fullName: r.full_name, phone: r.phone, birthDate: r.birth_date ?? null }));
			const found = await candidatesOfRows(trx, clubId, probes, before);
			const byRow = new Map<number, CandidateRow[]>();
			for (const c of found) byRow.set(c.row_key, [...(byRow.get(c.row_key) ?? []), c]);
			for (const p of probes) {
				const best = rank(p, byRow.get(p.key) ?? [], 1)[0];
				if (!best) continue;
				out.possibleDuplicates = (out.possibleDuplicates ?? 0) + 1;
				out.errors.push({
					line: lines.get(rows[p.key].email!) ?? 0,
					field: best.reasons.includes("SAME_PHONE") ? "phone" : "fullName",
					code: "POSSIBLE_DUPLICATE",
					message: `Imported, but looks like client ${best.row.id} (${best.reasons.join(", ")}): merge them with POST /clients/${best.row.id}/merge if they are one person.`,
				});
			}
			out.errors.sort((a, b) => a.line - b.line);
		},

		async applyImportRows(
			trx: Db,
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
			const profiles = new Map<string, VerifiedProfileRow>((await profilesByEmail(trx, emails)).map(p => [p.email, p]));
			// Skip mode writes new clients only, and INSERT … ON CONFLICT DO NOTHING already skips the
			// existing ones: they need looking up first only to update them, to count a dry run, or to
			// skip (rather than fail) an existing client whose verified profile the row contradicts.
			const lookUp = onDuplicate === "update" || dryRun ? emails : emails.filter(e => profiles.has(e));
			let existing = new Map<string, ClientRow>();
			if (lookUp.length) existing = new Map((await clientsByEmail(trx, clubId, lookUp, !dryRun)).map(c => [c.email, c]));
			// Rows compared with a verified profile are counted attempts, as on POST /clients (clients.profile-throttle.ts).
			const blocked = await reserveProfileAttempts(trx, clubId, [...profiles.keys()]);
			const mismatched = new Set<string>();

			const inserts: ImportRow[] = [];
			const insertLines = new Map<string, number>();
			const updates: ImportRow[] = [];
			const newLinks: VerifiedLink[] = [];
			for (const [email, { line, client }] of byEmail) {
				const current = existing.get(email);
				if (current && (onDuplicate === "skip" || current.verified)) {
					out.skipped++;
					continue;
				}
				// The e-mail of a verified profile: the identity the client will hold must be the profile's (clients.verified.ts).
				let identity: Identity = client;
				let verified = false;
				const profile = profiles.get(email);
				if (profile) {
					const wait = blocked.get(email);
					if (wait) {
						out.failed++;
						out.errors.push({ line, field: "email", code: "TOO_MANY_ATTEMPTS", message: `Too many attempts for this e-mail's verified profile; retry in ${wait} s.` });
						continue;
					}
					// An existing client keeps its own birth date when the row gives none (blanks never erase), as PATCH does.
					const given: Identity = { ...client, birthDate: client.birthDate ?? current?.birth_date ?? null };
					const mismatches = profileMismatches(profile, given);
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
				const written = await insertImportRows(trx, clubId, inserts);
				out.created += written.length;
				for (const r of written) entries.push({ action: "clients.import", target: { type: "client", id: r.id } });
				// Created meanwhile by someone else (a concurrent POST /clients or import): skipped.
				out.skipped += inserts.length - written.length;
				const made = new Set<string>(written.map(r => r.email));
				if (written.length < inserts.length) {
					for (let i = newLinks.length - 1; i >= 0; i--) if (insertLines.has(newLinks[i].email) && !made.has(newLinks[i].email)) newLinks.splice(i, 1);
				}
				await this.warnPossibleDuplicates(trx, clubId, out, inserts.filter(r => made.has(r.email!)), insertLines, cutoff);
			}
			if (updates.length) {
				out.updatedIds = await updateImportRows(trx, clubId, updates);
				out.updated += out.updatedIds.length;
				out.skipped += updates.length - out.updatedIds.length;
				const before = new Map([...existing.values()].map(c => [c.id, c]));
				const next = new Map(updates.map(u => [u.id, u]));
				for (const id of out.updatedIds) {
					entries.push({ action: "clients.import", target: { type: "client", id }, changes: diffChanges(importedFields(before.get(id)!), importedFields(next.get(id)!)) });
				}
			}
			if (newLinks.length) await linkVerifiedMany(trx, newLinks);
			if (ctx && entries.length) await this.recordChange(trx, ctx, entries);
			return out;
		},
	},
});
