/**
 * Groups: the list with client counts, External locked, the default marked; add, edit (maximum
 * future bookings, online payment methods, VAT rate), delete moving the clients, choose the
 * default group.
 */
import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { applyFieldErrors } from "../../lib/errors";
import { useFormat } from "../../lib/format";
import { useGroups, useSetDefaultGroup } from "../../lib/queries";
import { useCan } from "../../lib/session";
import { PAYMENT_METHODS, type Group, type PaymentMethod } from "../../lib/types";
import { ActionsMenu } from "../../components/menu";
import { Badge, Button, LockIcon, Checkbox, ErrorAlert, FormText, Loading, ModalDialog, Notice, PageHeader, SelectInput, DialogActions } from "../../components/ui";
import { useDeleteGroup, useSaveGroup, type GroupBody } from "./api";

type Dialog = { kind: "add" } | { kind: "edit"; group: Group } | { kind: "delete"; group: Group } | null;

export function GroupsPage() {
	const { t } = useTranslation();
	const f = useFormat();
	const groups = useGroups();
	const isAdmin = useCan("admin");
	const [dialog, setDialog] = useState<Dialog>(null);
	const setDefault = useSetDefaultGroup();
	const [notice, setNotice] = useState<string | null>(null);
	useEffect(() => {
		document.title = `${t("nav.groups")} · Clubhouse`;
	}, [t]);
	const close = () => setDialog(null);

	return (
		<div>
			<PageHeader title={t("nav.groups")}>
				{isAdmin && (
					<Button variant="primary" onPress={() => setDialog({ kind: "add" })}>
						<span aria-hidden="true">+ </span>
						{t("groups.add")}
					</Button>
				)}
			</PageHeader>
			<p className="muted">{t("groups.defaultExplain")}</p>
			{notice && <Notice>{notice}</Notice>}
			<ErrorAlert error={groups.error ?? setDefault.error ?? undefined} />
			{groups.isPending ? (
				<Loading />
			) : (
				<div className="card">
					<table className="data-table">
						<thead>
							<tr>
								<th scope="col">{t("groups.name")}</th>
								<th scope="col" className="num">
									{t("groups.clients")}
								</th>
								<th scope="col">{t("groups.maxFutureBookings")}</th>
								<th scope="col">{t("groups.vatRate")}</th>
								<th scope="col">{t("groups.paymentMethods")}</th>
								{isAdmin && (
									<th scope="col">
										<span className="visually-hidden">{t("common.actions")}</span>
									</th>
								)}
							</tr>
						</thead>
						<tbody>
							{(groups.data ?? []).map(g => (
								<tr key={g.id}>
									<th scope="row" className="row-head">
										{g.system && <LockIcon label={t("groups.locked")} />}
										{g.name}
										{g.isDefault && <Badge tone="info">{t("groups.default")}</Badge>}
										{g.system && <Badge>{t("groups.system")}</Badge>}
									</th>
									<td className="num">{f.number(g.clientCount ?? 0)}</td>
									<td>{g.maxFutureBookings == null ? <span className="muted">{t("groups.noLimit")}</span> : f.number(g.maxFutureBookings)}</td>
									<td>{g.vatRate == null ? <span className="muted">{t("groups.noVat")}</span> : f.percent(g.vatRate / 100)}</td>
									<td className="methods">{(g.paymentMethods ?? []).length === PAYMENT_METHODS.length ? t("clients.verifiedAny") : (g.paymentMethods ?? []).map(m => t(`payment.${m}`)).join(", ") || "—"}</td>
									{isAdmin && (
										<td>
											<ActionsMenu
												label={t("groups.moreActions")}
												actions={[
													{ id: "edit", label: t("groups.edit") },
													{ id: "default", label: t("groups.makeDefault"), isDisabled: g.isDefault || g.system },
													{ id: "delete", label: t("groups.delete"), isDisabled: g.system || g.isDefault, danger: true },
												]}
												onAction={id => {
													if (id === "edit") setDialog({ kind: "edit", group: g });
													if (id === "delete") setDialog({ kind: "delete", group: g });
													if (id === "default") setDefault.mutate(g.id, { onSuccess: () => setNotice(t("groups.defaultChanged", { name: g.name })) });
												}}
											/>
										</td>
									)}
								</tr>
							))}
						</tbody>
					</table>
				</div>
			)}
			{dialog && (dialog.kind === "add" || dialog.kind === "edit") && (
				<ModalDialog title={dialog.kind === "add" ? t("groups.addTitle") : t("groups.editTitle", { name: dialog.group.name })} isOpen onOpenChange={open => !open && close()}>
					{() => <GroupForm group={dialog.kind === "edit" ? dialog.group : undefined} close={close} />}
				</ModalDialog>
			)}
			{dialog?.kind === "delete" && (
				<ModalDialog title={t("groups.deleteTitle", { name: dialog.group.name })} isOpen onOpenChange={open => !open && close()}>
					{() => <DeleteGroup group={dialog.group} others={(groups.data ?? []).filter(x => x.id !== dialog.group.id)} close={close} />}
				</ModalDialog>
			)}
		</div>
	);
}

interface GroupValues {
	name: string;
	maxFutureBookings: string;
	vatRate: string;
	methods: PaymentMethod[];
}

function GroupForm({ group, close }: { group?: Group; close: () => void }) {
	const { t } = useTranslation();
	const save = useSaveGroup(group?.id);
	const form = useForm<GroupValues>({
		defaultValues: {
			name: group?.name ?? "",
			maxFutureBookings: group?.maxFutureBookings == null ? "" : String(group.maxFutureBookings),
			vatRate: group?.vatRate == null ? "" : String(group.vatRate / 100),
			methods: group?.paymentMethods ?? [...PAYMENT_METHODS],
		},
	});
	const { errors } = form.formState;
	const onSubmit = form.handleSubmit(v => {
		let bad = false;
		if (!v.name.trim()) (form.setError("name", { message: t("validation.required") }), (bad = true));
		const max = v.maxFutureBookings.trim() === "" ? null : Number(v.maxFutureBookings);
		if (max !== null && (!Number.isInteger(max) || max < 0)) (form.setError("maxFutureBookings", { message: t("validation.numberInteger") }), (bad = true));
		const vatText = v.vatRate.trim().replace(",", ".");
		const vat = vatText === "" ? null : Math.round(Number(vatText) * 100);
		if (vat !== null && (!Number.isFinite(vat) || vat < 0 || vat > 10000)) (form.setError("vatRate", { message: t("validation.percent") }), (bad = true));
		if (bad) return;
		const body: GroupBody = { maxFutureBookings: max, vatRate: vat, paymentMethods: v.methods, ...(group?.system ? {} : { name: v.name.trim() }) } as GroupBody;
		save.mutate(body, {
			onSuccess: close,
			onError: err => {
				const map = applyFieldErrors(t, err, form.setError, ["name", "maxFutureBookings", "vatRate"]);
				if (!map && (err as any)?.type === "NAME_TAKEN") form.setError("name", { message: t("errors.NAME_TAKEN") });
			},
		});
	});
	const methods = form.watch("methods");
	const taken = (save.error as any)?.type === "NAME_TAKEN";
	return (
		<form className="form" onSubmit={onSubmit} noValidate>
			{group?.system && (
				<Notice>
					<LockIcon /> {t("groups.locked")}
				</Notice>
			)}
			<FormText control={form.control} name="name" label={t("groups.name")} isRequired isReadOnly={group?.system} error={errors.name?.message} autoFocus={!group?.system} />
			<FormText control={form.control} name="maxFutureBookings" label={t("groups.maxFutureBookings")} inputMode="numeric" description={t("groups.maxHint")} error={errors.maxFutureBookings?.message} />
			<FormText control={form.control} name="vatRate" label={t("groups.vatRate")} inputMode="decimal" description={t("groups.vatHint")} error={errors.vatRate?.message} />
			<fieldset className="checkbox-grid">
				<legend>{t("groups.paymentMethods")}</legend>
				{PAYMENT_METHODS.map(m => (
					<Checkbox
						key={m}
						label={t(`payment.${m}`)}
						checked={methods.includes(m)}
						onChange={e => form.setValue("methods", e.target.checked ? [...methods, m] : methods.filter(x => x !== m))}
					/>
				))}
			</fieldset>
			{save.error && !taken && !(save.error as any)?.fields?.length && <ErrorAlert error={save.error} />}
			<DialogActions close={close} submit={t("common.save")} variant="primary" isDisabled={save.isPending} />
		</form>
	);
}

function DeleteGroup({ group, others, close }: { group: Group; others: Group[]; close: () => void }) {
	const { t } = useTranslation();
	const remove = useDeleteGroup();
	const count = group.clientCount ?? 0;
	const targets = others;
	const [target, setTarget] = useState(targets.find(g => g.isDefault)?.id ?? targets[0]?.id ?? "");
	return (
		<form
			className="form"
			onSubmit={e => {
				e.preventDefault();
				remove.mutate({ id: group.id, moveClientsTo: count > 0 ? target : undefined }, { onSuccess: close });
			}}
		>
			{count === 0 ? (
				<p>{t("groups.deleteEmpty")}</p>
			) : (
				<>
					<p>{t("groups.deleteMove", { count })}</p>
					<SelectInput label={t("groups.moveTo")} value={target} onChange={e => setTarget(e.target.value)}>
						{targets.map(g => (
							<option key={g.id} value={g.id}>
								{g.name}
							</option>
						))}
					</SelectInput>
				</>
			)}
			<ErrorAlert error={remove.error ?? undefined} />
			<DialogActions close={close} submit={t("common.delete")} variant="danger" isDisabled={remove.isPending} />
		</form>
	);
}
