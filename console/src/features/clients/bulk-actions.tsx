/** What staff do to many selected clients at once: move them to a group, add or remove tags. */
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useGroups } from "../../lib/queries";
import { Button, DialogButton, ErrorAlert, Notice, SelectInput, TextInput, DialogActions } from "../../components/ui";
import { useBulkUpdate } from "./api";

export function splitTags(text: string): string[] {
	return [...new Set(text.split(/[,;|]/).map(s => s.trim().toLowerCase()).filter(Boolean))];
}

export function BulkActions({ selected, onDone }: { selected: Map<string, string>; onDone: () => void }) {
	const { t } = useTranslation();
	const [done, setDone] = useState<string | null>(null);
	const none = selected.size === 0;
	const ids = [...selected.keys()];
	return (
		<div className="bulk-bar" aria-label={t("clients.bulkLabel")} role="group">
			<span className="muted">{t("clients.selected", { count: selected.size })}</span>
			<DialogButton label={t("clients.moveToGroup")} title={t("clients.moveTitle", { count: selected.size })} isDisabled={none}>
				{close => <MoveForm ids={ids} onDone={n => { setDone(t("clients.moved", { count: n })); onDone(); close(); }} close={close} />}
			</DialogButton>
			<DialogButton label={t("clients.editTags")} title={t("clients.tagsTitle", { count: selected.size })} isDisabled={none}>
				{close => <TagsForm ids={ids} onDone={n => { setDone(t("clients.tagged", { count: n })); onDone(); close(); }} close={close} />}
			</DialogButton>
			{done && <Notice>{done}</Notice>}
		</div>
	);
}

function MoveForm({ ids, onDone, close }: { ids: string[]; onDone: (n: number) => void; close: () => void }) {
	const { t } = useTranslation();
	const groups = useGroups().data ?? [];
	const [groupId, setGroupId] = useState("");
	const bulk = useBulkUpdate();
	return (
		<form
			className="form"
			onSubmit={e => {
				e.preventDefault();
				if (!groupId) return;
				bulk.mutate({ clientIds: ids, groupId }, { onSuccess: r => onDone(r.updated ?? ids.length) });
			}}
		>
			<SelectInput label={t("clients.group")} value={groupId} onChange={e => setGroupId(e.target.value)} isRequired>
				<option value="" disabled>
					{t("clients.chooseGroup")}
				</option>
				{groups.map(g => (
					<option key={g.id} value={g.id}>
						{g.name}
					</option>
				))}
			</SelectInput>
			<ErrorAlert error={bulk.error ?? undefined} />
			<DialogActions close={close} submit={t("clients.move")} variant="primary" isDisabled={!groupId || bulk.isPending} />
		</form>
	);
}

function TagsForm({ ids, onDone, close }: { ids: string[]; onDone: (n: number) => void; close: () => void }) {
	const { t } = useTranslation();
	const [text, setText] = useState("");
	const bulk = useBulkUpdate();
	const tags = splitTags(text);
	const send = (mode: "add" | "remove") => bulk.mutate({ clientIds: ids, ...(mode === "add" ? { addTags: tags } : { removeTags: tags }) }, { onSuccess: r => onDone(r.updated ?? ids.length) });
	return (
		<form
			className="form"
			onSubmit={e => {
				e.preventDefault();
				if (tags.length) send("add");
			}}
		>
			<TextInput label={t("clients.tags")} description={t("clients.tagsHint")} value={text} onChange={setText} />
			<ErrorAlert error={bulk.error ?? undefined} />
			<div className="dialog-actions">
				<Button onPress={close}>{t("common.cancel")}</Button>
				<Button onPress={() => send("remove")} isDisabled={!tags.length || bulk.isPending}>
					{t("clients.removeTags")}
				</Button>
				<Button type="submit" variant="primary" isDisabled={!tags.length || bulk.isPending}>
					{t("clients.addTags")}
				</Button>
			</div>
		</form>
	);
}
