/** The client's likely duplicates (same phone, same name and birth date, a similar name), merged into this one on demand. */
import { useState } from "react";
import { Link, useNavigate } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import type { Client } from "../../lib/types";
import { Badge, Button, DialogButton, ErrorAlert, Notice } from "../../components/ui";
import { useDuplicates, useMerge } from "./api";

export function Duplicates({ client, canWrite }: { client: Client; canWrite: boolean }) {
	const { t } = useTranslation();
	const dups = useDuplicates(client.id);
	const items = dups.data ?? [];
	if (dups.isPending || (items.length === 0 && !dups.error)) return null;
	return (
		<section className="card duplicates" aria-labelledby="dups-h">
			<h2 id="dups-h">{t("duplicates.title")}</h2>
			<ErrorAlert error={dups.error ?? undefined} />
			<ul className="list">
				{items.map(d => (
					<li key={d.client.id}>
						<Link to="/clients/$clientId" params={{ clientId: d.client.id }}>
							{d.client.fullName}
						</Link>{" "}
						<span className="muted">{d.client.email}</span> {d.reasons.map(r => <Badge key={r} tone="warning">{t(`duplicates.${r}`, { defaultValue: r })}</Badge>)}
						{canWrite && !d.client.verified && <MergeButton target={client} source={d.client} />}
					</li>
				))}
			</ul>
		</section>
	);
}

function MergeButton({ target, source }: { target: Client; source: Client }) {
	const { t } = useTranslation();
	return (
		<DialogButton label={t("duplicates.merge")} title={t("duplicates.mergeTitle", { source: source.fullName, target: target.fullName })} variant="quiet" ariaLabel={t("duplicates.mergeInto", { source: source.fullName })}>
			{close => <MergeForm target={target} source={source} close={close} />}
		</DialogButton>
	);
}

function MergeForm({ target, source, close }: { target: Client; source: Client; close: () => void }) {
	const { t } = useTranslation();
	const navigate = useNavigate();
	const preview = useMerge(target.id);
	const merge = useMerge(target.id);
	const [asked, setAsked] = useState(false);
	if (!asked) {
		setAsked(true);
		preview.mutate({ sourceId: source.id, dryRun: true });
	}
	const moved = preview.data?.moved;
	return (
		<div className="form">
			<p>{t("duplicates.explain", { source: source.fullName, target: target.fullName })}</p>
			{moved && <Notice>{t("duplicates.preview", { bookings: moved.bookings ?? 0, tags: moved.tags ?? 0, categories: moved.categories ?? 0, wallets: moved.wallets ?? 0 })}</Notice>}
			<ErrorAlert error={preview.error ?? merge.error ?? undefined} />
			<div className="dialog-actions">
				<Button onPress={close}>{t("common.cancel")}</Button>
				<Button variant="danger" isDisabled={merge.isPending || !!preview.error} onPress={() => merge.mutate({ sourceId: source.id }, { onSuccess: () => (close(), void navigate({ to: "/clients/$clientId", params: { clientId: target.id } })) })}>
					{t("duplicates.merge")}
				</Button>
			</div>
		</div>
	);
}
