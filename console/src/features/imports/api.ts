/** CSV imports: upload, the job as it runs (polled), its rejected rows, earlier jobs. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { importErrors, importGet, importList, importUpload } from "../../api/generated/sdk.gen";
import { data, THROW } from "../../lib/api";
import type { ImportJob } from "../../lib/types";

const RUNNING = new Set(["queued", "running"]);
export const isRunning = (job?: ImportJob | null) => !!job && RUNNING.has(job.status);

export function useStartImport() {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: (v: { file: File; onDuplicate: "skip" | "update"; dryRun: boolean }) =>
			data(importUpload({ body: v.file, query: { onDuplicate: v.onDuplicate, dryRun: v.dryRun || undefined, fileName: v.file.name.slice(0, 200) } as any, ...THROW })) as Promise<ImportJob>,
		onSuccess: job => {
			qc.setQueryData(["imports", "one", job.id], job);
			void qc.invalidateQueries({ queryKey: ["imports", "list"] });
		},
	});
}

/** The job, asked again every half second while it runs. */
export function useImportJob(id: string | null) {
	const qc = useQueryClient();
	return useQuery({
		queryKey: ["imports", "one", id],
		enabled: !!id,
		queryFn: async () => {
			const job = (await data(importGet({ path: { id: id! }, ...THROW }))) as ImportJob;
			if (!isRunning(job)) {
				void qc.invalidateQueries({ queryKey: ["imports", "list"] });
				void qc.invalidateQueries({ queryKey: ["clients"] });
			}
			return job;
		},
		refetchInterval: q => (isRunning(q.state.data as ImportJob | undefined) ? 500 : false),
	});
}

export function useImportErrors(id: string | null, enabled: boolean) {
	return useQuery({
		queryKey: ["imports", "errors", id],
		enabled: !!id && enabled,
		queryFn: () => data(importErrors({ path: { id: id! }, query: { limit: 20 }, ...THROW })) as Promise<{ items: Array<{ line: number; field: string | null; code: string; message: string }> }>,
	});
}

export function useImports() {
	return useQuery({
		queryKey: ["imports", "list"],
		queryFn: () => data(importList({ query: { limit: 20 }, ...THROW })) as Promise<{ items: ImportJob[]; nextCursor: string | null }>,
	});
}
