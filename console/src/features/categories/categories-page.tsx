/** Categories with their discount and client count (add, edit, delete), and product access per group. */
import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { ApiError } from "../../lib/api";
import { applyFieldErrors } from "../../lib/errors";
import { useFormat } from "../../lib/format";
import { useCategories, useGroups } from "../../lib/queries";
import { useCan } from "../../lib/session";
import type { Category } from "../../lib/types";
import { ActionsMenu } from "../../components/menu";
import { Button, Checkbox, ErrorAlert, FormText, Loading, ModalDialog, Notice, PageHeader, SelectInput, TextInput, DialogActions } from "../../components/ui";
import { useDeleteCategory, useProductAccess, useSaveCategory, useSaveProductAccess } from "./api";

type Dialog = { kind: "add" } | { kind: "edit"; category: Category } | { kind: "delete"; category: Category } | null;

export function CategoriesPage() {
	const { t } = useTranslation();
	const f = useFormat();
	const categories = useCategories();
	const isAdmin = useCan("admin");
	const [dialog, setDialog] = useState<Dialog>(null);
	const close = () => setDialog(null);
	useEffect(() => {
		document.title = `${t("nav.categories")} · Clubhouse`;
	}, [t]);
	const list = categories.data ?? [];
	return (
		<div className="stack">
			<PageHeader title={t("nav.categories")}>
				{isAdmin && (
					<Button variant="primary" onPress={() => setDialog({ kind: "add" })}>
						<span aria-hidden="true">+ </span>
						{t("categories.add")}
					</Button>
				)}
			</PageHeader>
			<ErrorAlert error={categories.error ?? undefined} />
			{categories.isPending ? (
				<Loading />
			) : (
				<div className="card">
					{list.length === 0 ? (
						<p className="muted">{t("categories.empty")}</p>
					) : (
						<table className="data-table">
							<thead>
								<tr>
									<th scope="col">{t("categories.name")}</th>
									<th scope="col">{t("categories.description")}</th>
									<th scope="col" className="num">
										{t("categories.discount")}
									</th>
									<th scope="col" className="num">
										{t("categories.clients")}
									</th>
									{isAdmin && (
										<th scope="col">
											<span className="visually-hidden">{t("common.actions")}</span>
										</th>
									)}
								</tr>
							</thead>
							<tbody>
								{list.map(c => (
									<tr key={c.id}>
										<th scope="row" className="row-head">
											{c.name}
										</th>
										<td>{c.description ?? ""}</td>
										<td className="num">{f.percent(c.discountPercent)}</td>
										<td className="num">{f.number(c.clientCount ?? 0)}</td>
										{isAdmin && (
											<td>
												<ActionsMenu
													label={t("groups.moreActions")}
													actions={[
														{ id: "edit", label: t("common.edit") },
														{ id: "delete", label: t("common.delete"), danger: true },
													]}
													onAction={id => setDialog(id === "edit" ? { kind: "edit", category: c } : { kind: "delete", category: c })}
												/>
											</td>
										)}
									</tr>
								))}
							</tbody>
						</table>
					)}
				</div>
			)}
			<ProductAccess canWrite={isAdmin} />
			{dialog && dialog.kind !== "delete" && (
				<ModalDialog title={dialog.kind === "add" ? t("categories.addTitle") : t("categories.editTitle", { name: dialog.category.name })} isOpen onOpenChange={o => !o && close()}>
					{() => <CategoryForm category={dialog.kind === "edit" ? dialog.category : undefined} close={close} />}
				</ModalDialog>
			)}
			{dialog?.kind === "delete" && (
				<ModalDialog title={t("categories.deleteTitle", { name: dialog.category.name })} isOpen onOpenChange={o => !o && close()}>
					{() => <DeleteCategory category={dialog.category} close={close} />}
				</ModalDialog>
			)}
		</div>
	);
}

function CategoryForm({ category, close }: { category?: Category; close: () => void }) {
	const { t } = useTranslation();
	const save = useSaveCategory(category?.id);
	const form = useForm({ defaultValues: { name: category?.name ?? "", description: category?.description ?? "", discountPercent: category ? String(category.discountPercent) : "" } });
	const { errors } = form.formState;
	const onSubmit = form.handleSubmit(v => {
		if (!v.name.trim()) return form.setError("name", { message: t("validation.required") });
		const pct = v.discountPercent.trim() === "" ? 0 : Number(v.discountPercent.replace(",", "."));
		if (!Number.isFinite(pct) || pct < 0 || pct > 100) return form.setError("discountPercent", { message: t("validation.percent") });
		save.mutate(
			{ name: v.name.trim(), description: v.description.trim() || null, discountPercent: pct },
			{
				onSuccess: close,
				onError: err => {
					applyFieldErrors(t, err, form.setError, ["name", "description", "discountPercent"]);
					if (err instanceof ApiError && err.type === "NAME_TAKEN") form.setError("name", { message: t("errors.NAME_TAKEN") });
				},
			},
		);
	});
	const handled = save.error instanceof ApiError && (save.error.type === "NAME_TAKEN" || save.error.fields.length > 0);
	return (
		<form className="form" onSubmit={onSubmit} noValidate>
			<FormText control={form.control} name="name" label={t("categories.name")} isRequired autoFocus error={errors.name?.message} />
			<FormText control={form.control} name="description" label={t("categories.description")} error={errors.description?.message} />
			<FormText control={form.control} name="discountPercent" label={t("categories.discount")} inputMode="decimal" error={errors.discountPercent?.message} />
			{save.error && !handled && <ErrorAlert error={save.error} />}
			<DialogActions close={close} submit={t("common.save")} variant="primary" isDisabled={save.isPending} />
		</form>
	);
}

function DeleteCategory({ category, close }: { category: Category; close: () => void }) {
	const { t } = useTranslation();
	const remove = useDeleteCategory();
	return (
		<div className="form">
			<p>{t("categories.deleteExplain")}</p>
			<ErrorAlert error={remove.error ?? undefined} />
			<div className="dialog-actions">
				<Button onPress={close}>{t("common.cancel")}</Button>
				<Button variant="danger" isDisabled={remove.isPending} onPress={() => remove.mutate(category.id, { onSuccess: close })}>
					{t("common.delete")}
				</Button>
			</div>
		</div>
	);
}

function ProductAccess({ canWrite }: { canWrite: boolean }) {
	const { t } = useTranslation();
	const [typed, setTyped] = useState("");
	const [productId, setProductId] = useState<string | null>(null);
	return (
		<section className="card" aria-labelledby="access-h">
			<h2 id="access-h">{t("categories.access")}</h2>
			<p className="muted">{t("categories.accessIntro")}</p>
			<form
				className="inline-form"
				onSubmit={e => {
					e.preventDefault();
					setProductId(typed.trim() || null);
				}}
			>
				<TextInput label={t("categories.productId")} value={typed} onChange={setTyped} maxLength={100} />
				<Button type="submit" isDisabled={!typed.trim()}>
					{t("categories.lookUp")}
				</Button>
			</form>
			{productId && <AccessRuleEditor key={productId} productId={productId} canWrite={canWrite} />}
		</section>
	);
}

function AccessRuleEditor({ productId, canWrite }: { productId: string; canWrite: boolean }) {
	const { t } = useTranslation();
	const rule = useProductAccess(productId);
	const groups = useGroups().data ?? [];
	const { save, remove } = useSaveProductAccess(productId);
	const [kind, setKind] = useState<"product" | "activity">("product");
	const [ids, setIds] = useState<string[]>([]);
	const [done, setDone] = useState<string | null>(null);
	useEffect(() => {
		if (rule.data) {
			setKind(rule.data.kind);
			setIds(rule.data.groupIds);
		}
	}, [rule.data]);
	if (rule.isPending) return <Loading />;
	return (
		<form
			className="form section-gap"
			onSubmit={e => {
				e.preventDefault();
				save.mutate({ kind, groupIds: ids }, { onSuccess: () => setDone(t("categories.ruleSaved")) });
			}}
		>
			<ErrorAlert error={rule.error ?? save.error ?? remove.error ?? undefined} />
			{rule.data === null && <p className="muted">{t("categories.openToAll")}</p>}
			<SelectInput label={t("categories.kind")} value={kind} onChange={e => setKind(e.target.value as "product" | "activity")} isDisabled={!canWrite}>
				<option value="product">{t("categories.kindProduct")}</option>
				<option value="activity">{t("categories.kindActivity")}</option>
			</SelectInput>
			<fieldset className="checkbox-grid">
				<legend>{t("categories.allowedGroups")}</legend>
				{groups.map(g => (
					<Checkbox key={g.id} label={g.name} checked={ids.includes(g.id)} disabled={!canWrite} onChange={e => setIds(e.target.checked ? [...ids, g.id] : ids.filter(x => x !== g.id))} />
				))}
			</fieldset>
			{done && <Notice>{done}</Notice>}
			{canWrite && (
				<div className="form-actions">
					{rule.data && (
						<Button onPress={() => remove.mutate(undefined, { onSuccess: () => (setDone(t("categories.ruleRemoved")), setIds([])) })} isDisabled={remove.isPending}>
							{t("categories.removeRule")}
						</Button>
					)}
					<Button type="submit" variant="primary" isDisabled={save.isPending}>
						{t("categories.saveRule")}
					</Button>
				</div>
			)}
		</form>
	);
}
