/** Settings: the club, its default group, staff members and invitations, API keys. */
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useFormat } from "../../lib/format";
import { useGroups, useSetDefaultGroup } from "../../lib/queries";
import { useCan, useClub } from "../../lib/session";
import type { Role } from "../../lib/types";
import { ActionsMenu } from "../../components/menu";
import { Badge, Button, DialogButton, ErrorAlert, Loading, ModalDialog, Notice, PageHeader, SelectInput, TextInput, DialogActions } from "../../components/ui";
import { useApiKeys, useCreateKey, useInviteStaff, useReinvite, useRevokeKey, useStaff, useUpdateStaff, type StaffMember } from "./api";

const ROLES: Role[] = ["admin", "staff", "viewer"];

export function SettingsPage() {
	const { t } = useTranslation();
	const isAdmin = useCan("admin");
	useEffect(() => {
		document.title = `${t("nav.settings")} · Clubhouse`;
	}, [t]);
	return (
		<div className="stack">
			<PageHeader title={t("nav.settings")} />
			<ClubCard isAdmin={isAdmin} />
			{isAdmin && <StaffCard />}
			{isAdmin && <KeysCard />}
		</div>
	);
}

function ClubCard({ isAdmin }: { isAdmin: boolean }) {
	const { t } = useTranslation();
	const f = useFormat();
	const club = useClub();
	const groups = useGroups().data ?? [];
	const current = groups.find(g => g.isDefault)?.id ?? "";
	const [choice, setChoice] = useState("");
	const setDefault = useSetDefaultGroup();
	const [saved, setSaved] = useState(false);
	return (
		<section className="card" aria-labelledby="club-h">
			<h2 id="club-h">{t("settings.club")}</h2>
			{!club ? (
				<Loading />
			) : (
				<dl className="details">
					<dt>{t("settings.clubName")}</dt>
					<dd>{club.name}</dd>
					<dt>{t("settings.country")}</dt>
					<dd>{f.country(club.country)}</dd>
					<dt>{t("settings.currency")}</dt>
					<dd>{club.currency}</dd>
					<dt>{t("settings.timezone")}</dt>
					<dd>{club.timezone}</dd>
				</dl>
			)}
			<form
				className="inline-form section-gap"
				onSubmit={e => {
					e.preventDefault();
					if (choice && choice !== current) setDefault.mutate(choice, { onSuccess: () => setSaved(true) });
				}}
			>
				<SelectInput label={t("settings.defaultGroup")} value={choice || current} onChange={e => (setChoice(e.target.value), setSaved(false))} isDisabled={!isAdmin} description={t("groups.defaultExplain")}>
					{groups
						.filter(g => !g.system)
						.map(g => (
							<option key={g.id} value={g.id}>
								{g.name}
							</option>
						))}
				</SelectInput>
				{isAdmin && (
					<Button type="submit" isDisabled={setDefault.isPending || !choice || choice === current}>
						{t("common.save")}
					</Button>
				)}
			</form>
			{saved && <Notice>{t("groups.defaultChanged", { name: groups.find(g => g.id === current)?.name ?? "" })}</Notice>}
			<ErrorAlert error={setDefault.error ?? undefined} />
		</section>
	);
}

function Secret({ text, children }: { text: string; children: string }) {
	const { t } = useTranslation();
	return (
		<div className="form">
			<Notice>{children}</Notice>
			<p className="secret" aria-label={t("settings.invitationToken")}>
				{text}
			</p>
			<Button onPress={() => void navigator.clipboard?.writeText(text)}>{t("common.copy")}</Button>
		</div>
	);
}

function StaffCard() {
	const { t } = useTranslation();
	const f = useFormat();
	const staff = useStaff(true);
	const update = useUpdateStaff();
	const reinvite = useReinvite();
	const [token, setToken] = useState<{ name: string; token: string; until: string } | null>(null);
	const members = staff.data ?? [];
	const unavailable = (staff.error as any)?.status === 404;
	return (
		<section className="card" aria-labelledby="staff-h">
			<div className="page-header">
				<h2 id="staff-h">{t("settings.staff")}</h2>
				<div className="page-actions">
					<DialogButton label={t("settings.invite")} title={t("settings.inviteTitle")} variant="primary">
						{close => <InviteForm close={close} onInvited={setToken} />}
					</DialogButton>
				</div>
			</div>
			{unavailable ? <p className="muted">{t("settings.staffUnavailable")}</p> : <ErrorAlert error={staff.error ?? update.error ?? reinvite.error ?? undefined} />}
			{staff.isPending ? (
				<Loading />
			) : members.length === 0 ? (
				!unavailable && <p className="muted">{t("settings.noStaff")}</p>
			) : (
				<table className="data-table compact">
					<thead>
						<tr>
							<th scope="col">{t("settings.name")}</th>
							<th scope="col">{t("settings.email")}</th>
							<th scope="col">{t("settings.role")}</th>
							<th scope="col">{t("settings.status")}</th>
							<th scope="col">{t("settings.lastSignIn")}</th>
							<th scope="col">
								<span className="visually-hidden">{t("common.actions")}</span>
							</th>
						</tr>
					</thead>
					<tbody>
						{members.map((m: StaffMember) => (
							<tr key={m.id}>
								<th scope="row" className="row-head">
									{m.name}
								</th>
								<td>{m.email}</td>
								<td>
									<select aria-label={t("settings.role") + " · " + m.name} value={m.role} onChange={e => update.mutate({ id: m.id, body: { role: e.target.value as Role } })}>
										{ROLES.map(r => (
											<option key={r} value={r}>
												{t(`roles.${r}`)}
											</option>
										))}
									</select>
								</td>
								<td>
									<Badge tone={m.status === "active" ? "success" : m.status === "invited" ? "info" : "warning"}>{t(`memberStatus.${m.status}`)}</Badge>
								</td>
								<td>{m.lastSignInAt ? f.dateTime(m.lastSignInAt) : t("settings.never")}</td>
								<td>
									<ActionsMenu
										label={`${t("groups.moreActions")} · ${m.name}`}
										actions={[
											{ id: "reinvite", label: t("settings.reinvite") },
											m.status === "disabled" ? { id: "enable", label: t("settings.enable"), isDisabled: m.status === "disabled" && false } : { id: "disable", label: t("settings.disable"), danger: true, isDisabled: m.status === "invited" },
										]}
										onAction={id => {
											if (id === "reinvite")
												reinvite.mutate(m.id, {
													onSuccess: r => {
														const inv = r.invitation ?? (r as any);
														setToken({ name: m.name, token: inv.token, until: f.dateTime(inv.expiresAt) });
													},
												});
											if (id === "disable") update.mutate({ id: m.id, body: { status: "disabled" } });
											if (id === "enable") update.mutate({ id: m.id, body: { status: "active" } });
										}}
									/>
								</td>
							</tr>
						))}
					</tbody>
				</table>
			)}
			{token && (
				<ModalDialog title={t("settings.invitationToken")} isOpen onOpenChange={o => !o && setToken(null)}>
					{close => (
						<>
							<Secret text={token.token}>{t("settings.tokenOnce", { name: token.name, until: token.until })}</Secret>
							<div className="dialog-actions">
								<Button variant="primary" onPress={close}>
									{t("common.close")}
								</Button>
							</div>
						</>
					)}
				</ModalDialog>
			)}
		</section>
	);
}

function InviteForm({ close, onInvited }: { close: () => void; onInvited: (v: { name: string; token: string; until: string }) => void }) {
	const { t } = useTranslation();
	const f = useFormat();
	const invite = useInviteStaff();
	const [name, setName] = useState("");
	const [email, setEmail] = useState("");
	const [role, setRole] = useState<Role>("staff");
	const fieldError = (field: string) => {
		const p = (invite.error as any)?.fields?.find((x: any) => x.field === field);
		return p ? t(`validation.${p.type}`, { defaultValue: t("validation.invalid") }) : undefined;
	};
	return (
		<form
			className="form"
			onSubmit={e => {
				e.preventDefault();
				invite.mutate({ name: name.trim(), email: email.trim(), role }, { onSuccess: m => (close(), onInvited({ name: m.name, token: m.invitation.token, until: f.dateTime(m.invitation.expiresAt) })) });
			}}
			noValidate
		>
			<TextInput label={t("settings.name")} value={name} onChange={setName} isRequired autoFocus error={fieldError("name")} />
			<TextInput label={t("settings.email")} value={email} onChange={setEmail} type="email" isRequired error={fieldError("email")} />
			<SelectInput label={t("settings.role")} value={role} onChange={e => setRole(e.target.value as Role)}>
				{ROLES.map(r => (
					<option key={r} value={r}>
						{t(`roles.${r}`)}
					</option>
				))}
			</SelectInput>
			{invite.error && !(invite.error as any)?.fields?.length && <ErrorAlert error={invite.error} />}
			<DialogActions close={close} submit={t("settings.invite")} variant="primary" isDisabled={invite.isPending} />
		</form>
	);
}

function KeysCard() {
	const { t } = useTranslation();
	const f = useFormat();
	const keys = useApiKeys(true);
	const revoke = useRevokeKey();
	const [created, setCreated] = useState<string | null>(null);
	const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
	return (
		<section className="card" aria-labelledby="keys-h">
			<div className="page-header">
				<h2 id="keys-h">{t("settings.apiKeys")}</h2>
				<div className="page-actions">
					<DialogButton label={t("settings.newKey")} title={t("settings.newKeyTitle")}>
						{close => <KeyForm close={close} onCreated={setCreated} />}
					</DialogButton>
				</div>
			</div>
			<ErrorAlert error={keys.error ?? undefined} />
			{keys.isPending ? (
				<Loading />
			) : (
				<table className="data-table compact">
					<thead>
						<tr>
							<th scope="col">{t("settings.name")}</th>
							<th scope="col">{t("settings.role")}</th>
							<th scope="col">{t("settings.created")}</th>
							<th scope="col">
								<span className="visually-hidden">{t("common.actions")}</span>
							</th>
						</tr>
					</thead>
					<tbody>
						{(keys.data ?? []).map(k => (
							<tr key={k.id}>
								<th scope="row" className="row-head">
									{k.name} {(k as any).prefix && <span className="muted">{(k as any).prefix}…</span>}
								</th>
								<td>{t(`roles.${k.role}`, { defaultValue: k.role })}</td>
								<td>{f.dateTime(k.createdAt)}</td>
								<td>
									<Button variant="quiet" onPress={() => setRevoking({ id: k.id, name: k.name })} aria-label={`${t("settings.revoke")} ${k.name}`}>
										{t("settings.revoke")}
									</Button>
								</td>
							</tr>
						))}
					</tbody>
				</table>
			)}
			{created && (
				<ModalDialog title={t("settings.newKey")} isOpen onOpenChange={o => !o && setCreated(null)}>
					{close => (
						<>
							<Secret text={created}>{t("settings.keyOnce")}</Secret>
							<div className="dialog-actions">
								<Button variant="primary" onPress={close}>
									{t("common.close")}
								</Button>
							</div>
						</>
					)}
				</ModalDialog>
			)}
			{revoking && (
				<ModalDialog title={t("settings.revokeTitle", { name: revoking.name })} isOpen onOpenChange={o => !o && (setRevoking(null), revoke.reset())}>
					{close => (
						<div className="form">
							<p>{t("settings.revokeExplain")}</p>
							<ErrorAlert error={revoke.error ?? undefined} />
							<div className="dialog-actions">
								<Button onPress={close}>{t("common.cancel")}</Button>
								<Button variant="danger" isDisabled={revoke.isPending} onPress={() => revoke.mutate(revoking.id, { onSuccess: close })}>
									{t("settings.revoke")}
								</Button>
							</div>
						</div>
					)}
				</ModalDialog>
			)}
		</section>
	);
}

function KeyForm({ close, onCreated }: { close: () => void; onCreated: (key: string) => void }) {
	const { t } = useTranslation();
	const create = useCreateKey();
	const [name, setName] = useState("");
	const [role, setRole] = useState<Role>("staff");
	return (
		<form
			className="form"
			onSubmit={e => {
				e.preventDefault();
				if (name.trim()) create.mutate({ name: name.trim(), role }, { onSuccess: k => (close(), onCreated(k.key)) });
			}}
			noValidate
		>
			<TextInput label={t("settings.name")} value={name} onChange={setName} isRequired autoFocus />
			<SelectInput label={t("settings.role")} value={role} onChange={e => setRole(e.target.value as Role)}>
				{ROLES.map(r => (
					<option key={r} value={r}>
						{t(`roles.${r}`)}
					</option>
				))}
			</SelectInput>
			<ErrorAlert error={create.error ?? undefined} />
			<DialogActions close={close} submit={t("settings.newKey")} variant="primary" isDisabled={create.isPending || !name.trim()} />
		</form>
	);
}
