/**
 * A job's life: found (404 otherwise), started, completed, failed, each end with its audit entry
 * in the same transaction (CONTRIBUTING.md: `imports.start|finish|cancel|fail`) and, after
 * commit, `imports.finished` with the job as GET /imports/:id shows it.
 */
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { NotFoundError } from "../../lib/errors";
import { defineMixin } from "../../lib/service";
import { UUID_RE } from "../../lib/tenant.middleware";
import { serviceContext } from "../../mixins/outbox.mixin";
import type { ImportEvents } from "./import.contract";
import { toJob, type ImportJob } from "./import.entity";
import * as q from "./import.queries";
import { aboutToComplete, refreshClientStatistics } from "./import.statistics";
import type { ImportThis } from "./import.types";

export type JobAction = "imports.start" | "imports.finish" | "imports.cancel" | "imports.fail";

/** What the job's life gives the service's `this`. */
export interface JobMembers {
	/** The club's job, or 404 (also for an id that is not a UUID). */
	jobOr404(clubId: string, id: string): Promise<q.JobRow>;
	/** A job's audit entry: started (no event), or ended (`imports.finished` with the job). */
	recordJob(trx: Knex.Transaction, ctx: Context<any, any>, action: JobAction, row: q.JobRow): Promise<void>;
	/** Completes the job when its last chunk is recorded, with its audit entry (the import service is the actor). */
	completeJob(clubId: string, jobId: string): Promise<q.JobRow | undefined>;
	/** After the file was read to its end: completes the job if every chunk is already recorded. */
	finishIfDone(ctx: Context<any, any>, clubId: string, jobId: string): Promise<void>;
	/** Ends a job that is still going as failed; the job when this call ended it. */
	failJob(clubId: string, jobId: string, message: string): Promise<ImportJob | null>;
}

export const JobsMixin = defineMixin<ImportThis>({
	methods: {
		async jobOr404(clubId: string, id: string): Promise<q.JobRow> {
			const row = UUID_RE.test(id) ? await q.findJob(this.db, clubId, id.toLowerCase()) : undefined;
			if (!row) throw new NotFoundError("Import");
			return row;
		},

		async recordJob(trx: Knex.Transaction, ctx: Context<any, any>, action: JobAction, row: q.JobRow): Promise<void> {
			const job = toJob(row);
			const changes = action === "imports.start" ? { status: [null, job.status] as [unknown, unknown] } : { status: ["running", job.status] as [unknown, unknown] };
			await this.recordChange(trx, ctx, { action, target: { type: "import", id: row.id }, changes, event: action === "imports.start" ? null : { type: "imports.finished", data: job } });
		},

		completeJob(clubId: string, jobId: string): Promise<q.JobRow | undefined> {
			return this.db.transaction(async trx => {
				const done = await q.completeIfDone(trx, jobId);
				if (done) await this.recordJob(trx, serviceContext(this, clubId), "imports.finish", done);
				return done;
			});
		},

		async finishIfDone(ctx: Context<any, any>, clubId: string, jobId: string): Promise<void> {
			const last = await q.findJob(this.db, clubId, jobId);
			if (aboutToComplete(last)) await refreshClientStatistics(this, last);
			const done = await this.completeJob(clubId, jobId);
			if (done) ctx.emit("imports.finished", { clubId, job: toJob(done) } satisfies ImportEvents["imports.finished"]);
		},

		async failJob(clubId: string, jobId: string, message: string): Promise<ImportJob | null> {
			const row = await q.endJob(this.db, clubId, jobId, "failed", message, (trx, ended) => this.recordJob(trx, serviceContext(this, clubId), "imports.fail", ended));
			if (!row) return null;
			const job = toJob(row);
			this.broker.emit("imports.finished", { clubId, job } satisfies ImportEvents["imports.finished"]);
			return job;
		},
	},
});
