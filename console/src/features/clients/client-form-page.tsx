/**
 * New client and edit: the five required fields, the optional ones, per-field errors in words
 * next to each field; a taken e-mail offers the existing client; a verified client's identity
 * is shown locked.
 */
import { useEffect, useMemo, useRef } from "react";
import { Link, useNavigate, useParams } from "@tanstack/react-router";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { z } from "zod";
import { useTranslation } from "react-i18next";
import type { TFunction } from "i18next";
import { zClientsCreateBody } from "../../api/generated/zod.gen";
import { ApiError, idempotencyKey } from "../../lib/api";
import { applyFieldErrors } from "../../lib/errors";
import { countryOptions } from "../../lib/countries";
import { localeOf } from "../../lib/format";
import { useGroups } from "../../lib/queries";
import { useClub } from "../../lib/session";
import type { Client } from "../../lib/types";
import { Button, LockIcon, ErrorAlert, FormText, Loading, Notice, PageHeader, SelectInput } from "../../components/ui";
import { splitTags } from "./bulk-actions";
import { useClient, useCreateClient, useUpdateClient, type ClientChanges, type NewClient } from "./api";

const FIELDS = ["fullName", "email", "phone", "gender", "country", "birthDate", "notes", "groupId", "tags"] as const;
const IDENTITY = ["fullName", "email", "phone", "gender", "country", "birthDate"] as const;

function formSchema(t: TFunction) {
	const required = t("validation.required");
	return z.object({
		fullName: z.string().trim().min(1, required).max(200, t("validation.stringMax")),
		email: z.string().trim().min(1, required).pipe(z.email(t("validation.email"))),
		phone: z.string().trim().min(1, required).max(40, t("validation.stringMax")),
		gender: z.string().min(1, required),
		country: z.string().min(1, required),
		birthDate: z.string(),
		notes: z.string().max(5000, t("validation.stringMax")),
		groupId: z.string(),
		tags: z.string(),
	});
}
type FormValues = z.infer<ReturnType<typeof formSchema>>;

function toValues(c?: Client, defaults?: Partial<FormValues>): FormValues {
	return {
		fullName: c?.fullName ?? "",
		email: c?.email ?? "",
		phone: c?.phone ?? "",
		gender: c?.gender ?? "",
		country: c?.country ?? defaults?.country ?? "",
		birthDate: c?.birthDate ?? "",
		notes: c?.notes ?? "",
		groupId: c?.groupId ?? defaults?.groupId ?? "",
		tags: (c?.tags ?? []).join(", "),
	};
}

export function NewClientPage() {
	const { t } = useTranslation();
	useEffect(() => {
		document.title = `${t("clients.new")} · Clubhouse`;
	}, [t]);
	return <ClientForm />;
}

export function EditClientPage() {
	const { clientId } = useParams({ from: "/clients/$clientId/edit" });
	const client = useClient(clientId);
	if (client.isPending) return <Loading />;
	if (client.isError) return <ErrorAlert error={client.error} />;
	return <ClientForm existing={client.data} />;
}

function ClientForm({ existing }: { existing?: Client }) {
	const { t, i18n } = useTranslation();
	const navigate = useNavigate();
	const club = useClub();
	const groups = useGroups().data ?? [];
	const create = useCreateClient();
	const update = useUpdateClient(existing?.id ?? "");
	const key = useRef(idempotencyKey());
	const schema = useMemo(() => formSchema(t), [t]);
	const locked = !!existing?.verified;
	const defaultGroup = groups.find(g => g.isDefault)?.id;
	const form = useForm<FormValues>({ resolver: zodResolver(schema), defaultValues: toValues(existing, { country: club?.country }) });
	const { errors } = form.formState;
	const countries = useMemo(() => countryOptions(localeOf(i18n.language)), [i18n.language]);
	// The club's country and default group, once known, as a new client's defaults.
	useEffect(() => {
		if (!existing && club?.country && !form.getValues("country")) form.setValue("country", club.country);
	}, [club?.country, existing, form]);
	useEffect(() => {
		if (!existing && defaultGroup && !form.getValues("groupId")) form.setValue("groupId", defaultGroup);
	}, [defaultGroup, existing, form]);

	const mutation = existing ? update : create;
	const err = mutation.error;
	const existsId = err instanceof ApiError && err.type === "CLIENT_EXISTS" ? String((err.data as any)?.clientId ?? "") : null;
	const mismatch = err instanceof ApiError && err.type === "VERIFIED_PROFILE_MISMATCH" ? (((err.data as any)?.fields ?? []) as string[]) : [];

	const onSubmit = form.handleSubmit(v => {
		const body = {
			fullName: v.fullName.trim(),
			email: v.email.trim(),
			phone: v.phone.trim(),
			gender: v.gender,
			country: v.country,
			birthDate: v.birthDate || null,
			notes: v.notes.trim() || null,
			...(v.groupId ? { groupId: v.groupId } : {}),
			tags: splitTags(v.tags),
		};
		const onError = (e: unknown) => {
			// A corrected request is another request: it gets its own key.
			key.current = idempotencyKey();
			applyFieldErrors(t, e, form.setError, FIELDS);
			if (e instanceof ApiError && e.type === "VERIFIED_PROFILE_MISMATCH") {
				for (const f of ((e.data as any)?.fields ?? []) as string[]) if ((FIELDS as readonly string[]).includes(f)) form.setError(f as keyof FormValues, { type: "server", message: t("validation.profileMismatch") });
			}
		};
		if (existing) {
			const changes: Record<string, unknown> = {};
			for (const [k, value] of Object.entries(body)) {
				if (locked && (IDENTITY as readonly string[]).includes(k)) continue;
				const before = k === "tags" ? existing.tags ?? [] : (existing as any)[k] ?? null;
				if (JSON.stringify(before) !== JSON.stringify(value)) changes[k] = value;
			}
			if (Object.keys(changes).length === 0) return void navigate({ to: "/clients/$clientId", params: { clientId: existing.id } });
			update.mutate(changes as ClientChanges, { onSuccess: c => void navigate({ to: "/clients/$clientId", params: { clientId: c.id } }), onError });
		} else {
			const payload: NewClient = zClientsCreateBody.parse({ ...body, birthDate: body.birthDate ?? undefined, notes: body.notes ?? undefined }) as NewClient;
			create.mutate({ body: payload, key: key.current }, { onSuccess: c => void navigate({ to: "/clients/$clientId", params: { clientId: c.id } }), onError });
		}
	});

	const text = (name: keyof FormValues, label: string, extra: Record<string, unknown> = {}) => (
		<FormText control={form.control} name={name} label={label} error={errors[name]?.message} isReadOnly={locked && (IDENTITY as readonly string[]).includes(name)} {...extra} />
	);
	const showGeneralError = err && !existsId && !(err instanceof ApiError && err.status === 422 && err.fields.length);

	return (
		<div className="form-page">
			<PageHeader title={existing ? t("clientForm.editTitle", { name: existing.fullName }) : t("clients.new")} />
			<form className="card form client-form" onSubmit={onSubmit} noValidate>
				{locked && (
					<Notice>
						<LockIcon /> {t("clientForm.verifiedLocked")}
					</Notice>
				)}
				<div className="grid-2">
					{text("fullName", t("clientForm.fullName"), { isRequired: true, autoComplete: "off" })}
					{text("email", t("clientForm.email"), { isRequired: true, type: "email", autoComplete: "off" })}
					{text("phone", t("clientForm.phone"), { isRequired: true, type: "tel", autoComplete: "off", description: t("clientForm.phoneHint") })}
					<SelectInput label={t("clientForm.gender")} isRequired error={errors.gender?.message} isDisabled={locked} {...form.register("gender")}>
						<option value="">{t("clientForm.choose")}</option>
						<option value="female">{t("gender.female")}</option>
						<option value="male">{t("gender.male")}</option>
						<option value="other">{t("gender.other")}</option>
					</SelectInput>
					<SelectInput label={t("clientForm.country")} isRequired error={errors.country?.message} isDisabled={locked} {...form.register("country")}>
						<option value="">{t("clientForm.choose")}</option>
						{countries.map(c => (
							<option key={c.code} value={c.code}>
								{c.name}
							</option>
						))}
					</SelectInput>
					{text("birthDate", t("clientForm.birthDate"), { type: "date" })}
					<SelectInput label={t("clientForm.group")} error={errors.groupId?.message} {...form.register("groupId")}>
						{groups.map(g => (
							<option key={g.id} value={g.id}>
								{g.name}
								{g.isDefault ? ` (${t("groups.default")})` : ""}
							</option>
						))}
					</SelectInput>
					{text("tags", t("clientForm.tags"), { description: t("clients.tagsHint") })}
				</div>
				{text("notes", t("clientForm.notes"), { multiline: true })}
				{existsId && (
					<div role="alert" className="alert alert-error">
						{t("errors.CLIENT_EXISTS")}{" "}
						<Link to="/clients/$clientId" params={{ clientId: existsId }}>
							{t("clientForm.openExisting")}
						</Link>
					</div>
				)}
				{mismatch.length > 0 && <ErrorAlert>{t("errors.VERIFIED_PROFILE_MISMATCH", { fields: mismatch.map(f => t(`clientForm.${f}`, { defaultValue: f })).join(", ") })}</ErrorAlert>}
				{showGeneralError && mismatch.length === 0 && <ErrorAlert error={err} />}
				<div className="form-actions">
					<Button onPress={() => (existing ? void navigate({ to: "/clients/$clientId", params: { clientId: existing.id } }) : void navigate({ to: "/clients" }))}>{t("common.cancel")}</Button>
					<Button type="submit" variant="primary" isDisabled={mutation.isPending}>
						{t("common.save")}
					</Button>
				</div>
			</form>
		</div>
	);
}
