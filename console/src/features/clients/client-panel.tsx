/**
 * The client panel: details, tags, categories with their validity, bookings (upcoming and
 * past, cancel), wallets (balance, recent transactions, top up, refund), notes, the client's
 * history, and delete (explained when money is left).
 */
import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { ApiError, apiUrl, idempotencyKey } from "../../lib/api";
import { toMinor, useFormat } from "../../lib/format";
import { useCategories, useGroupMap } from "../../lib/queries";
import { useCan, useClub } from "../../lib/session";
import type { Booking, Client, Transaction, Wallet } from "../../lib/types";
import { Badge, Button, LockIcon, DialogButton, ErrorAlert, Loading, Notice, SelectInput, TextInput, DialogActions } from "../../components/ui";
import { NewBooking } from "./new-booking";
import { Duplicates } from "./duplicates";
import {
	useBookings,
	useCancelBooking,
	useCancelSeries,
	useClient,
	useClientCategory,
	useClientHistory,
	useDeleteClient,
	useRefund,
	useTopUp,
	useUpdateClient,
	useWallets,
} from "./api";

export function ClientPanelPage() {
	const { clientId } = useParams({ from: "/clients/$clientId" });
	const { t } = useTranslation();
	const client = useClient(clientId);
	useEffect(() => {
		if (client.data) document.title = `${client.data.fullName} · Clubhouse`;
	}, [client.data]);
	if (client.isPending) return <Loading />;
	if (client.isError) {
		return (
			<div>
				<ErrorAlert error={client.error} />
				<Link to="/clients">{t("panel.back")}</Link>
			</div>
		);
	}
	return <Panel client={client.data} />;
}

function Panel({ client }: { client: Client }) {
	const { t } = useTranslation();
	const f = useFormat();
	const groups = useGroupMap();
	const canWrite = useCan("staff");
	const isAdmin = useCan("admin");
	return (
		<article className="panel" aria-labelledby="client-name">
			<Link to="/clients" className="back-link">
				← {t("panel.back")}
			</Link>
			<header className="page-header">
				<h1 id="client-name">
					{client.fullName} {client.verified && (
						<Badge tone="success">
							<LockIcon /> {t("clients.verified")}
						</Badge>
					)}
				</h1>
				{canWrite && (
					<div className="page-actions">
						<Link to="/clients/$clientId/edit" params={{ clientId: client.id }} className="btn btn-secondary">
							{t("panel.edit")}
						</Link>
						{isAdmin && (
							<a className="btn btn-secondary" href={apiUrl(`/clients/${client.id}/export`)} download>
								{t("panel.exportData")}
							</a>
						)}
						<DeleteClient client={client} />
					</div>
				)}
			</header>
			<div className="panel-grid">
				<section className="card" aria-labelledby="details-h">
					<h2 id="details-h">{t("panel.details")}</h2>
					<dl className="details">
						<dt>{t("clientForm.email")}</dt>
						<dd>{client.email}</dd>
						<dt>{t("clientForm.phone")}</dt>
						<dd>{client.phone}</dd>
						<dt>{t("clientForm.gender")}</dt>
						<dd>{t(`gender.${client.gender}`)}</dd>
						<dt>{t("clientForm.country")}</dt>
						<dd>{f.country(client.country)}</dd>
						<dt>{t("clientForm.birthDate")}</dt>
						<dd>{f.date(client.birthDate) || "—"}</dd>
						<dt>{t("clientForm.group")}</dt>
						<dd>{groups.get(client.groupId)?.name ?? "—"}</dd>
						<dt>{t("panel.source")}</dt>
						<dd>{t(`source.${client.source}`, { defaultValue: client.source })}</dd>
						<dt>{t("panel.created")}</dt>
						<dd>{f.dateTime(client.createdAt)}</dd>
					</dl>
					<h3>{t("clientForm.notes")}</h3>
					<p className="notes">{client.notes || <span className="muted">{t("panel.noNotes")}</span>}</p>
				</section>
				<Tags client={client} canWrite={canWrite} />
				<Categories client={client} canWrite={canWrite} />
				<Wallets client={client} canWrite={canWrite} />
				<Bookings client={client} canWrite={canWrite} />
				<History client={client} />
				<Duplicates client={client} canWrite={canWrite} />
			</div>
		</article>
	);
}

function Tags({ client, canWrite }: { client: Client; canWrite: boolean }) {
	const { t } = useTranslation();
	const update = useUpdateClient(client.id);
	const [tag, setTag] = useState("");
	const tags = client.tags ?? [];
	const add = () => {
		const v = tag.trim().toLowerCase();
		if (!v || tags.includes(v)) return setTag("");
		update.mutate({ tags: [...tags, v] }, { onSuccess: () => setTag("") });
	};
	return (
		<section className="card" aria-labelledby="tags-h">
			<h2 id="tags-h">{t("panel.tags")}</h2>
			<ul className="chips">
				{tags.length === 0 && <li className="muted">{t("panel.noTags")}</li>}
				{tags.map(x => (
					<li key={x} className="chip">
						{x}
						{canWrite && (
							<Button variant="quiet" className="chip-remove" aria-label={t("panel.removeTag", { tag: x })} onPress={() => update.mutate({ tags: tags.filter(y => y !== x) })}>
								×
							</Button>
						)}
					</li>
				))}
			</ul>
			{canWrite && (
				<form
					className="inline-form"
					onSubmit={e => {
						e.preventDefault();
						add();
					}}
				>
					<TextInput label={t("panel.newTag")} value={tag} onChange={setTag} maxLength={40} />
					<Button type="submit" isDisabled={update.isPending || !tag.trim()}>
						{t("panel.addTag")}
					</Button>
				</form>
			)}
			<ErrorAlert error={update.error ?? undefined} />
		</section>
	);
}

function Categories({ client, canWrite }: { client: Client; canWrite: boolean }) {
	const { t } = useTranslation();
	const f = useFormat();
	const all = useCategories().data ?? [];
	const byId = new Map(all.map(c => [c.id, c]));
	const { put, remove } = useClientCategory(client.id);
	const [categoryId, setCategoryId] = useState("");
	const [from, setFrom] = useState("");
	const [until, setUntil] = useState("");
	const held = client.categories ?? [];
	const available = all.filter(c => !held.some(h => h.categoryId === c.id));
	return (
		<section className="card" aria-labelledby="cat-h">
			<h2 id="cat-h">{t("panel.categories")}</h2>
			<ul className="list">
				{held.length === 0 && <li className="muted">{t("panel.noCategories")}</li>}
				{held.map(h => {
					const c = byId.get(h.categoryId ?? "");
					return (
						<li key={h.categoryId}>
							<strong>{c?.name ?? h.categoryId}</strong> {c && <span className="muted">−{f.percent(c.discountPercent)}</span>}{" "}
							<span className="muted">
								{h.validFrom || h.validUntil ? t("panel.validity", { from: h.validFrom ? f.date(h.validFrom) : "…", until: h.validUntil ? f.date(h.validUntil) : "…" }) : t("panel.always")}
							</span>
							{canWrite && (
								<Button variant="quiet" aria-label={t("panel.removeCategory", { name: c?.name ?? "" })} onPress={() => remove.mutate(h.categoryId!)}>
									{t("common.remove")}
								</Button>
							)}
						</li>
					);
				})}
			</ul>
			{canWrite && available.length > 0 && (
				<form
					className="inline-form wrap"
					onSubmit={e => {
						e.preventDefault();
						if (!categoryId) return;
						put.mutate({ categoryId, validFrom: from || null, validUntil: until || null }, { onSuccess: () => (setCategoryId(""), setFrom(""), setUntil("")) });
					}}
				>
					<SelectInput label={t("panel.category")} value={categoryId} onChange={e => setCategoryId(e.target.value)}>
						<option value="">{t("clientForm.choose")}</option>
						{available.map(c => (
							<option key={c.id} value={c.id}>
								{c.name}
							</option>
						))}
					</SelectInput>
					<TextInput label={t("panel.validFrom")} type="date" value={from} onChange={setFrom} />
					<TextInput label={t("panel.validUntil")} type="date" value={until} onChange={setUntil} />
					<Button type="submit" isDisabled={!categoryId || put.isPending}>
						{t("panel.addCategory")}
					</Button>
				</form>
			)}
			<ErrorAlert error={put.error ?? remove.error ?? undefined} />
		</section>
	);
}

function Wallets({ client, canWrite }: { client: Client; canWrite: boolean }) {
	const { t } = useTranslation();
	const club = useClub();
	const wallets = useWallets(client.id);
	const currency = club?.currency ?? "EUR";
	const list = wallets.data ?? [];
	const hasClubWallet = list.some(w => w.currency === currency);
	return (
		<section className="card wallets" aria-labelledby="wallets-h">
			<h2 id="wallets-h">{t("panel.wallets")}</h2>
			{wallets.isPending && <Loading />}
			<ErrorAlert error={wallets.error ?? undefined} />
			{list.map(w => (
				<WalletView key={w.id} client={client} wallet={w} canWrite={canWrite} />
			))}
			{!wallets.isPending && !hasClubWallet && (
				<div className="wallet">
					<p className="muted">{t("panel.noWallet", { currency })}</p>
					{canWrite && <TopUp client={client} currency={currency} />}
				</div>
			)}
		</section>
	);
}

function WalletView({ client, wallet, canWrite }: { client: Client; wallet: Wallet; canWrite: boolean }) {
	const { t } = useTranslation();
	const f = useFormat();
	const txs = (wallet.recentTransactions ?? []) as Transaction[];
	return (
		<div className="wallet">
			<div className="wallet-head">
				<div>
					<span className="muted">{t("panel.balance", { currency: wallet.currency })}</span>
					<p className="balance" aria-label={t("panel.balanceLabel", { currency: wallet.currency })}>
						{f.money(wallet.balance, wallet.currency)}
					</p>
				</div>
				{canWrite && <TopUp client={client} currency={wallet.currency} walletId={wallet.id} />}
			</div>
			<h3>{t("panel.recentTransactions")}</h3>
			{txs.length === 0 ? (
				<p className="muted">{t("panel.noTransactions")}</p>
			) : (
				<table className="data-table compact">
					<thead>
						<tr>
							<th scope="col">{t("panel.when")}</th>
							<th scope="col">{t("panel.type")}</th>
							<th scope="col" className="num">
								{t("panel.amount")}
							</th>
							<th scope="col" className="num">
								{t("panel.balanceAfter")}
							</th>
							<th scope="col">
								<span className="visually-hidden">{t("common.actions")}</span>
							</th>
						</tr>
					</thead>
					<tbody>
						{txs.map(tx => (
							<tr key={tx.id}>
								<td>{f.dateTime(tx.createdAt)}</td>
								<td>
									{t(`tx.${tx.type}`, { defaultValue: tx.type })}
									{tx.reference ? <span className="muted"> · {tx.reference}</span> : null}
								</td>
								<td className="num">{(tx.type === "debit" || (tx.type as string) === "transfer_out" ? "−" : "+") + f.money(tx.amount, wallet.currency)}</td>
								<td className="num">{f.money(tx.balanceAfter, wallet.currency)}</td>
								<td>{canWrite && tx.type === "debit" && <Refund client={client} wallet={wallet} tx={tx} />}</td>
							</tr>
						))}
					</tbody>
				</table>
			)}
		</div>
	);
}

/** Money moves once per intent: one Idempotency-Key per opened dialog, the button off while it runs. */
function TopUp({ client, currency, walletId }: { client: Client; currency: string; walletId?: string }) {
	const { t } = useTranslation();
	return (
		<DialogButton label={t("panel.topUp")} title={t("panel.topUpTitle", { currency })} variant="primary">
			{close => <TopUpForm client={client} currency={currency} walletId={walletId} close={close} />}
		</DialogButton>
	);
}

function TopUpForm({ client, currency, walletId, close }: { client: Client; currency: string; walletId?: string; close: () => void }) {
	const { t } = useTranslation();
	const topUp = useTopUp(client.id);
	const key = useRef(idempotencyKey());
	const [amount, setAmount] = useState("");
	const [invalid, setInvalid] = useState<string | null>(null);
	const inFlight = useRef(false);
	const submit = () => {
		if (inFlight.current) return;
		const minor = toMinor(amount, currency);
		if (minor === null || minor < 1) return setInvalid(t("validation.amount"));
		setInvalid(null);
		inFlight.current = true;
		topUp.mutate(
			{ walletId, currency, amount: minor, key: key.current },
			{
				onSuccess: () => close(),
				onError: () => {
					key.current = idempotencyKey();
				},
				onSettled: () => {
					inFlight.current = false;
				},
			},
		);
	};
	return (
		<form
			className="form"
			onSubmit={e => {
				e.preventDefault();
				submit();
			}}
		>
			<TextInput label={t("panel.amount")} value={amount} onChange={setAmount} inputMode="decimal" autoFocus isRequired error={invalid ?? undefined} description={t("panel.amountHint", { currency })} />
			<ErrorAlert error={topUp.error ?? undefined} />
			<DialogActions close={close} submit={t("panel.topUp")} variant="primary" isDisabled={topUp.isPending} />
		</form>
	);
}

function Refund({ client, wallet, tx }: { client: Client; wallet: Wallet; tx: Transaction }) {
	const { t } = useTranslation();
	const f = useFormat();
	return (
		<DialogButton label={t("panel.refund")} title={t("panel.refundTitle", { amount: f.money(tx.amount, wallet.currency) })} variant="quiet">
			{close => <RefundForm client={client} wallet={wallet} tx={tx} close={close} />}
		</DialogButton>
	);
}

function RefundForm({ client, wallet, tx, close }: { client: Client; wallet: Wallet; tx: Transaction; close: () => void }) {
	const { t } = useTranslation();
	const refund = useRefund(client.id);
	const key = useRef(idempotencyKey());
	const [amount, setAmount] = useState("");
	const [invalid, setInvalid] = useState<string | null>(null);
	const inFlight = useRef(false);
	const submit = () => {
		if (inFlight.current) return;
		const minor = amount.trim() ? toMinor(amount, wallet.currency) : undefined;
		if (minor === null || (minor !== undefined && minor < 1)) return setInvalid(t("validation.amount"));
		setInvalid(null);
		inFlight.current = true;
		refund.mutate(
			{ walletId: wallet.id, transactionId: tx.id, amount: minor, key: key.current },
			{ onSuccess: () => close(), onError: () => (key.current = idempotencyKey()), onSettled: () => (inFlight.current = false) },
		);
	};
	return (
		<form
			className="form"
			onSubmit={e => {
				e.preventDefault();
				submit();
			}}
		>
			<TextInput label={t("panel.amount")} value={amount} onChange={setAmount} inputMode="decimal" autoFocus error={invalid ?? undefined} description={t("panel.refundHint")} />
			<ErrorAlert error={refund.error ?? undefined} />
			<DialogActions close={close} submit={t("panel.refund")} variant="primary" isDisabled={refund.isPending} />
		</form>
	);
}

function Bookings({ client, canWrite }: { client: Client; canWrite: boolean }) {
	const { t } = useTranslation();
	const f = useFormat();
	const [scope, setScope] = useState<"future" | "past">("future");
	const bookings = useBookings(client.id, scope);
	const cancel = useCancelBooking(client.id);
	const cancelSeries = useCancelSeries(client.id);
	const rows = (bookings.data?.pages.flatMap(p => p.items ?? []) ?? []) as Booking[];
	return (
		<section className="card bookings" aria-labelledby="bookings-h">
			<div className="section-head">
				<h2 id="bookings-h">{t("panel.bookings")}</h2>
				{canWrite && <NewBooking client={client} />}
			</div>
			<div className="segmented" role="group" aria-label={t("panel.bookingScope")}>
				<Button variant={scope === "future" ? "primary" : "secondary"} aria-pressed={scope === "future"} onPress={() => setScope("future")}>
					{t("panel.upcoming")}
				</Button>
				<Button variant={scope === "past" ? "primary" : "secondary"} aria-pressed={scope === "past"} onPress={() => setScope("past")}>
					{t("panel.past")}
				</Button>
			</div>
			<ErrorAlert error={bookings.error ?? cancel.error ?? cancelSeries.error ?? undefined} />
			{bookings.isPending ? (
				<Loading />
			) : rows.length === 0 ? (
				<p className="muted">{scope === "future" ? t("panel.noUpcoming") : t("panel.noPast")}</p>
			) : (
				<table className="data-table compact">
					<thead>
						<tr>
							<th scope="col">{t("panel.when")}</th>
							<th scope="col">{t("panel.product")}</th>
							<th scope="col">{t("panel.status")}</th>
							<th scope="col">
								<span className="visually-hidden">{t("common.actions")}</span>
							</th>
						</tr>
					</thead>
					<tbody>
						{rows.map(b => (
							<tr key={b.id}>
								<td>{f.dateTime(b.startsAt)}</td>
								<td>
									{b.productId}
									{b.seriesId && <Badge tone="info">{t("panel.recurring")}</Badge>}
								</td>
								<td>{t(`bookingStatus.${b.status}`)}</td>
								<td>
									{canWrite && scope === "future" && b.status === "confirmed" && (
										<Button variant="quiet" isDisabled={cancel.isPending} onPress={() => cancel.mutate(b.id)} aria-label={t("panel.cancelBookingOf", { when: f.dateTime(b.startsAt) })}>
											{t("panel.cancelBooking")}
										</Button>
									)}
									{canWrite && scope === "future" && b.status === "confirmed" && b.seriesId && (
										<Button variant="quiet" isDisabled={cancelSeries.isPending} onPress={() => cancelSeries.mutate(b.seriesId!)}>
											{t("panel.cancelSeries")}
										</Button>
									)}
								</td>
							</tr>
						))}
					</tbody>
				</table>
			)}
			{bookings.hasNextPage && (
				<Button onPress={() => void bookings.fetchNextPage()} isDisabled={bookings.isFetchingNextPage}>
					{t("common.more")}
				</Button>
			)}
		</section>
	);
}

function History({ client }: { client: Client }) {
	const { t } = useTranslation();
	const f = useFormat();
	const history = useClientHistory(client.id);
	return (
		<section className="card history" aria-labelledby="history-h">
			<h2 id="history-h">{t("panel.history")}</h2>
			{history.isPending && <Loading />}
			<ErrorAlert error={history.error ?? undefined} />
			{history.data === null && <p className="muted">{t("panel.noHistoryHere")}</p>}
			{history.data && history.data.items.length === 0 && <p className="muted">{t("panel.noHistory")}</p>}
			{history.data && history.data.items.length > 0 && (
				<ol className="timeline">
					{history.data.items.map(e => (
						<li key={e.id}>
							<span className="muted">{f.dateTime(e.at)}</span> <strong>{t(`audit.${e.action.replace(/\./g, "_")}`, { defaultValue: e.action })}</strong>{" "}
							<span className="muted">{t("panel.by", { name: e.actor?.name ?? t(`actor.${e.actor?.type}`, { defaultValue: e.actor?.type ?? "" }) })}</span>
							{e.changes && Object.keys(e.changes).length > 0 && <span className="muted"> · {Object.keys(e.changes).map(k => t(`clientForm.${k}`, { defaultValue: k })).join(", ")}</span>}
						</li>
					))}
				</ol>
			)}
		</section>
	);
}

function DeleteClient({ client }: { client: Client }) {
	const { t } = useTranslation();
	const f = useFormat();
	const navigate = useNavigate();
	const wallets = useWallets(client.id);
	const remove = useDeleteClient();
	const money = (wallets.data ?? []).filter(w => w.balance > 0);
	const err = remove.error;
	return (
		<DialogButton label={t("panel.delete")} title={t("panel.deleteTitle", { name: client.fullName })} variant="danger">
			{close => (
				<div className="form">
					<p>{t("panel.deleteExplain")}</p>
					{money.length > 0 && <Notice>{t("panel.deleteMoneyLeft", { amount: money.map(w => f.money(w.balance, w.currency)).join(", ") })}</Notice>}
					{err instanceof ApiError && err.type === "WALLET_NOT_EMPTY" ? <ErrorAlert>{t("errors.WALLET_NOT_EMPTY")}</ErrorAlert> : <ErrorAlert error={err ?? undefined} />}
					<div className="dialog-actions">
						<Button onPress={close}>{t("common.cancel")}</Button>
						<Button variant="danger" isDisabled={remove.isPending} onPress={() => remove.mutate(client.id, { onSuccess: () => (close(), void navigate({ to: "/clients" })) })}>
							{t("common.delete")}
						</Button>
					</div>
				</div>
			)}
		</DialogButton>
	);
}
