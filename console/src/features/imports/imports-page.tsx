/**
 * Imports: pick a CSV, choose skip/update and dry run, watch live progress, then the summary and
 * the rejected rows (downloadable); earlier imports listed.
 */
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { TFunction } from "i18next";
import { Label, ProgressBar } from "react-aria-components";
import { apiUrl } from "../../lib/api";
import { useFormat } from "../../lib/format";
import { useCan } from "../../lib/session";
import type { ImportJob } from "../../lib/types";
import { Badge, Button, Checkbox, ErrorAlert, Loading, Notice, PageHeader } from "../../components/ui";
import { isRunning, useImportErrors, useImportJob, useImports, useStartImport } from "./api";

/** A rejected row's reason in the user's language, by its code; the server's English words otherwise. */
function importReason(t: TFunction, e: { code: string; message: string }): string {
	return t(`importReasons.${e.code}`, { defaultValue: "" }) || e.message;
}

export function ImportsPage() {
	const { t } = useTranslation();
	const canWrite = useCan("staff");
	const [jobId, setJobId] = useState<string | null>(null);
	useEffect(() => {
		document.title = `${t("nav.imports")} · Clubhouse`;
	}, [t]);
	return (
		<div className="stack">
			<PageHeader title={t("nav.imports")} />
			{canWrite && <ImportForm onStarted={setJobId} />}
			{jobId && <JobView id={jobId} />}
			<EarlierImports onOpen={setJobId} current={jobId} />
		</div>
	);
}

function ImportForm({ onStarted }: { onStarted: (id: string) => void }) {
	const { t } = useTranslation();
	const start = useStartImport();
	const fileRef = useRef<HTMLInputElement>(null);
	const [onDuplicate, setOnDuplicate] = useState<"skip" | "update">("skip");
	const [dryRun, setDryRun] = useState(false);
	const [missing, setMissing] = useState(false);
	return (
		<form
			className="card form"
			onSubmit={e => {
				e.preventDefault();
				const file = fileRef.current?.files?.[0];
				setMissing(!file);
				if (file) start.mutate({ file, onDuplicate, dryRun }, { onSuccess: job => onStarted(job.id) });
			}}
			noValidate
		>
			<h2>{t("imports.title")}</h2>
			<p className="muted">{t("imports.intro")}</p>
			<div className="field">
				<label htmlFor="import-file">{t("imports.file")}</label>
				<input id="import-file" ref={fileRef} type="file" accept=".csv,.tsv,.txt,text/csv" aria-invalid={missing || undefined} aria-describedby={missing ? "import-file-error" : undefined} onChange={() => setMissing(false)} />
				{missing && (
					<span id="import-file-error" className="field-error">
						{t("imports.pickFile")}
					</span>
				)}
			</div>
			<fieldset className="checkbox-grid">
				<legend>{t("imports.onDuplicate")}</legend>
				<label className="checkbox">
					<input type="radio" name="onDuplicate" value="skip" checked={onDuplicate === "skip"} onChange={() => setOnDuplicate("skip")} />
					<span>{t("imports.skip")}</span>
				</label>
				<label className="checkbox">
					<input type="radio" name="onDuplicate" value="update" checked={onDuplicate === "update"} onChange={() => setOnDuplicate("update")} />
					<span>{t("imports.update")}</span>
				</label>
			</fieldset>
			<div>
				<Checkbox label={t("imports.dryRun")} checked={dryRun} onChange={e => setDryRun(e.target.checked)} aria-describedby="dry-run-hint" />
				<p id="dry-run-hint" className="muted field-description">
					{t("imports.dryRunHint")}
				</p>
			</div>
			<ErrorAlert error={start.error ?? undefined} />
			<div className="form-actions">
				<Button type="submit" variant="primary" isDisabled={start.isPending}>
					{t("imports.start")}
				</Button>
			</div>
		</form>
	);
}

function JobView({ id }: { id: string }) {
	const { t } = useTranslation();
	const f = useFormat();
	const job = useImportJob(id);
	const j = job.data;
	const running = isRunning(j);
	const finished = !!j && !running;
	const errors = useImportErrors(id, finished && (j?.failed ?? 0) > 0);
	if (job.isPending) return <Loading />;
	if (job.isError || !j) return <ErrorAlert error={job.error} />;
	const total = j.totalRows || 0;
	return (
		<section className="card" aria-labelledby="job-h" aria-live="polite">
			<h2 id="job-h">
				{j.fileName ?? t("imports.title")} <Badge tone={j.status === "completed" ? "success" : j.status === "failed" ? "warning" : "info"}>{t(`importStatus.${j.status}`)}</Badge>
				{j.options?.dryRun && <Badge>{t("imports.dryRun")}</Badge>}
			</h2>
			{running && (
				<ProgressBar className="progress" value={j.processedRows} maxValue={Math.max(total, j.processedRows, 1)} isIndeterminate={total === 0}>
					{({ percentage }) => (
						<>
							<Label>{t("imports.progress")}</Label>
							<div className="progress-track">
								<div className="progress-fill" style={{ width: `${total === 0 ? 5 : percentage}%` }} />
							</div>
							<span className="muted">
								{t("imports.rows", { processed: f.number(j.processedRows), total: total ? f.number(total) : "…" })}
								{j.rowsPerSecond ? ` · ${t("imports.rate", { rate: f.number(Math.round(j.rowsPerSecond)) })}` : ""}
							</span>
						</>
					)}
				</ProgressBar>
			)}
			<h3>{t("imports.summary")}</h3>
			<dl className="stats">
				{(["created", "updated", "skipped", "failed"] as const).map(k => (
					<div key={k} className="stat">
						<dt>{t(`imports.${k}`)}</dt>
						<dd>{f.number(j[k] ?? 0)}</dd>
					</div>
				))}
			</dl>
			{j.error && <ErrorAlert>{j.error}</ErrorAlert>}
			{finished && j.options?.dryRun && <Notice>{t("imports.dryRunDone")}</Notice>}
			{(j.warnings ?? []).length > 0 && (
				<>
					<h3>{t("imports.warnings")}</h3>
					<ul>
						{j.warnings.map(w => (
							<li key={w}>{w}</li>
						))}
					</ul>
				</>
			)}
			{finished && (
				<p>
					<a className="btn btn-secondary" href={apiUrl(`/imports/${j.id}/errors`, { format: "csv" })} download={`rejected-${j.id}.csv`}>
						{t("imports.downloadRejected")}
					</a>
				</p>
			)}
			{finished && (errors.data?.items ?? []).length > 0 && (
				<>
					<h3>{t("imports.rejected")}</h3>
					<table className="data-table compact">
						<thead>
							<tr>
								<th scope="col">{t("imports.line")}</th>
								<th scope="col">{t("imports.field")}</th>
								<th scope="col">{t("imports.reason")}</th>
							</tr>
						</thead>
						<tbody>
							{errors.data!.items.map((e, i) => (
								<tr key={`${e.line}-${e.field}-${i}`}>
									<td>{e.line}</td>
									<td>{e.field ? t(`clientForm.${e.field}`, { defaultValue: e.field }) : "—"}</td>
									<td>{importReason(t, e)}</td>
								</tr>
							))}
						</tbody>
					</table>
				</>
			)}
		</section>
	);
}

function EarlierImports({ onOpen, current }: { onOpen: (id: string) => void; current: string | null }) {
	const { t } = useTranslation();
	const f = useFormat();
	const list = useImports();
	const items = (list.data?.items ?? []) as ImportJob[];
	return (
		<section className="card" aria-labelledby="earlier-h">
			<h2 id="earlier-h">{t("imports.earlier")}</h2>
			<ErrorAlert error={list.error ?? undefined} />
			{list.isPending ? (
				<Loading />
			) : items.length === 0 ? (
				<p className="muted">{t("imports.noEarlier")}</p>
			) : (
				<table className="data-table compact">
					<thead>
						<tr>
							<th scope="col">{t("imports.fileName")}</th>
							<th scope="col">{t("imports.status")}</th>
							<th scope="col">{t("imports.started")}</th>
							<th scope="col" className="num">
								{t("imports.created")}
							</th>
							<th scope="col" className="num">
								{t("imports.updated")}
							</th>
							<th scope="col" className="num">
								{t("imports.skipped")}
							</th>
							<th scope="col" className="num">
								{t("imports.failed")}
							</th>
						</tr>
					</thead>
					<tbody>
						{items.map(j => (
							<tr key={j.id} className={j.id === current ? "selected" : undefined}>
								<td>
									<Button variant="quiet" onPress={() => onOpen(j.id)}>
										{j.fileName ?? j.id.slice(0, 8)}
									</Button>
								</td>
								<td>{t(`importStatus.${j.status}`)}</td>
								<td>{f.dateTime(j.startedAt ?? (j as any).createdAt)}</td>
								<td className="num">{f.number(j.created ?? 0)}</td>
								<td className="num">{f.number(j.updated ?? 0)}</td>
								<td className="num">{f.number(j.skipped ?? 0)}</td>
								<td className="num">{f.number(j.failed ?? 0)}</td>
							</tr>
						))}
					</tbody>
				</table>
			)}
		</section>
	);
}
