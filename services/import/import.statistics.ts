/**
 * Before a job is marked completed, the clients service refreshes the planner's statistics
 * when the job wrote many rows (services/clients/clients.statistics.ts): a club that polls
 * its job and searches as soon as it reads `completed` gets plans made for the rows it just
 * imported. Best effort: a failure is logged and the job completes all the same.
 */
import type { AppService } from "../../lib/service";
import type { JobRow } from "./import.queries";

export function aboutToComplete(row: JobRow | undefined): row is JobRow {
	return !!row && row.status === "running" && !row.cancel_requested && row.chunks_total !== null && row.chunks_done >= row.chunks_total;
}

export async function refreshClientStatistics(service: Pick<AppService, "broker" | "logger">, row: JobRow): Promise<void> {
	const changed = row.created + row.updated;
	if (changed <= 0 || (row.options as { dryRun?: boolean })?.dryRun) return;
	try {
		await service.broker.call("clients.refreshStatistics", { changed }, { meta: { clubId: row.club_id } });
	} catch (err) {
		service.logger.warn(`Import ${row.id}: the clients' statistics were not refreshed:`, err);
	}
}
