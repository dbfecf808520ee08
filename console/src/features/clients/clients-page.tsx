/**
 * Clients: one search box (name, e-mail, phone, as you type), filters, the list (virtualised,
 * pages of 100 fetched as it scrolls), selection for bulk moves and tags, CSV export.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { SearchField, Input, Label } from "react-aria-components";
import { apiUrl } from "../../lib/api";
import { useCan } from "../../lib/session";
import { useCategories, useGroupMap, useGroups, useTags } from "../../lib/queries";
import type { Client } from "../../lib/types";
import { Badge, Button, ErrorAlert, PageHeader } from "../../components/ui";
import { toQuery, useClients, type ClientFilters } from "./api";
import { BulkActions } from "./bulk-actions";

const ROW_HEIGHT = 44;
/**
 * Rows rendered beyond the visible ones, each side. 50 made every page of results render
 * about 70 rows before the first could show (a search with 100+ hits: 532-948 ms from the
 * last keystroke at 200k clients, against 165-190 ms for a search with a few hits).
 */
const OVERSCAN_ROWS = 10;
const col = createColumnHelper<Client>();

export function ClientsPage() {
	const { t } = useTranslation();
	const search = useSearch({ from: "/clients" }) as ClientFilters;
	const navigate = useNavigate({ from: "/clients" });
	const canWrite = useCan("staff");
	const [selected, setSelected] = useState<Map<string, string>>(new Map());
	useEffect(() => {
		document.title = `${t("nav.clients")} · Clubhouse`;
	}, [t]);

	// As you type: the list follows the box SEARCH_DEBOUNCE_MS after the last keystroke (the
	// query starts at once; the URL follows, so that the search can be shared and survives a reload).
	const [q, setQ] = useState(search.q ?? "");
	const onSearch = useCallback(
		(typed: string) => {
			setQ(typed);
			void navigate({ search: prev => ({ ...prev, q: typed || undefined }), replace: true });
		},
		[navigate],
	);

	const setFilter = (patch: Partial<ClientFilters>) => void navigate({ search: prev => ({ ...prev, ...patch }), replace: true });
	const filters = useMemo(() => ({ ...search, q: q || undefined }), [search, q]);
	const list = useClients(filters);
	// The filters' choices (tags and categories counted over the whole club) load once the first page shows.
	const listed = list.isSuccess;
	const rows = useMemo(() => list.data?.pages.flatMap(p => (p.items ?? []) as Client[]) ?? [], [list.data]);
	const groups = useGroupMap();

	const columns = useMemo(
		() => [
			...(canWrite ? [col.display({
				id: "select",
				header: () => (
					<input
						type="checkbox"
						aria-label={t("clients.selectAll")}
						checked={rows.length > 0 && rows.every(r => selected.has(r.id))}
						onChange={e => setSelected(e.target.checked ? new Map(rows.map(r => [r.id, r.fullName])) : new Map())}
					/>
				),
				cell: ({ row }) => (
					<input
						type="checkbox"
						aria-label={t("clients.selectOne", { name: row.original.fullName })}
						checked={selected.has(row.original.id)}
						onChange={e =>
							setSelected(prev => {
								const next = new Map(prev);
								if (e.target.checked) next.set(row.original.id, row.original.fullName);
								else next.delete(row.original.id);
								return next;
							})
						}
					/>
				),
			})] : []),
			col.accessor("fullName", {
				header: () => t("clients.name"),
				cell: info => (
					<Link to="/clients/$clientId" params={{ clientId: info.row.original.id }} className="client-link">
						{info.getValue()}
					</Link>
				),
			}),
			col.accessor("email", { header: () => t("clients.email") }),
			col.accessor("phone", { header: () => t("clients.phone"), cell: info => <span className="nowrap">{info.getValue()}</span> }),
			col.accessor("groupId", {
				header: () => t("clients.group"),
				cell: info => (
					<span className="group-cell">
						<span>{groups.get(info.getValue())?.name ?? ""}</span>
						{info.row.original.verified && <Badge tone="success">{t("clients.verified")}</Badge>}
						{(info.row.original.tags ?? []).map(tag => (
							<Badge key={tag}>{tag}</Badge>
						))}
					</span>
				),
			}),
		],
		[t, rows, selected, groups, canWrite],
	);
	const table = useReactTable({ data: rows, columns, getCoreRowModel: getCoreRowModel(), getRowId: r => r.id });

	const scrollRef = useRef<HTMLDivElement>(null);
	const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: OVERSCAN_ROWS });
	const items = virtualizer.getVirtualItems();
	const lastIndex = items.length ? items[items.length - 1].index : 0;
	useEffect(() => {
		if (lastIndex >= rows.length - 30 && list.hasNextPage && !list.isFetchingNextPage) void list.fetchNextPage();
	}, [lastIndex, rows.length, list.hasNextPage, list.isFetchingNextPage, list.fetchNextPage]);
	const padTop = items.length ? items[0].start : 0;
	const padBottom = items.length ? virtualizer.getTotalSize() - items[items.length - 1].end : 0;

	return (
		<div className="clients-page">
			<PageHeader title={t("nav.clients")}>
				<a className="btn btn-secondary" href={apiUrl("/clients/export", toQuery(filters))} download>
					{t("clients.export")}
				</a>
				{canWrite && (
					<Button variant="primary" onPress={() => void navigate({ to: "/clients/new" })}>
						<span aria-hidden="true">+ </span>
						{t("clients.new")}
					</Button>
				)}
			</PageHeader>
			<div className="toolbar" role="search">
				<SearchBox initial={search.q ?? ""} onSearch={onSearch} />
				<Filters search={search} setFilter={setFilter} enabled={listed} />
			</div>
			{canWrite && <BulkActions selected={selected} onDone={() => setSelected(new Map())} />}
			<ErrorAlert error={list.error ?? undefined} />
			<div className="table-scroll" ref={scrollRef} aria-busy={list.isFetching}>
				<table className="data-table clients-table" aria-label={t("nav.clients")}>
					<thead>
						{table.getHeaderGroups().map(hg => (
							<tr key={hg.id}>
								{hg.headers.map(h => (
									<th key={h.id} scope="col" className={`col-${h.column.id}`}>
										{flexRender(h.column.columnDef.header, h.getContext())}
									</th>
								))}
							</tr>
						))}
					</thead>
					<tbody>
						{padTop > 0 && (
							<tr aria-hidden="true" style={{ height: padTop }}>
								<td colSpan={columns.length} />
							</tr>
						)}
						{items.map(v => {
							const row = table.getRowModel().rows[v.index];
							return (
								<tr key={row.id} style={{ height: ROW_HEIGHT }} className={selected.has(row.id) ? "selected" : undefined}>
									{row.getVisibleCells().map(cell => (
										<td key={cell.id} className={`col-${cell.column.id}`}>
											{flexRender(cell.column.columnDef.cell, cell.getContext())}
										</td>
									))}
								</tr>
							);
						})}
						{padBottom > 0 && (
							<tr aria-hidden="true" style={{ height: padBottom }}>
								<td colSpan={columns.length} />
							</tr>
						)}
					</tbody>
				</table>
				{!list.isPending && rows.length === 0 && <p className="empty">{t("clients.empty")}</p>}
				{list.isPending && <p className="empty">{t("common.loading")}</p>}
			</div>
			<p className="muted list-footer" aria-live="polite">
				{list.isPending ? "" : list.hasNextPage ? t("clients.shownMore", { count: rows.length }) : t("clients.shown", { count: rows.length })}
			</p>
		</div>
	);
}

const SEARCH_DEBOUNCE_MS = 100;

/**
 * The search box keeps what is typed to itself: a keystroke re-renders the box only, never
 * the list's rows (at a 60 ms typing pace, re-rendering the page's rows on every key kept the
 * main thread busy when the answer arrived). `onSearch` gets the text once typing pauses.
 */
function SearchBox({ initial, onSearch }: { initial: string; onSearch: (typed: string) => void }) {
	const { t } = useTranslation();
	const [typed, setTyped] = useState(initial);
	const sent = useRef(initial);
	useEffect(() => {
		if (typed === sent.current) return;
		const timer = setTimeout(() => {
			sent.current = typed;
			onSearch(typed);
		}, SEARCH_DEBOUNCE_MS);
		return () => clearTimeout(timer);
	}, [typed, onSearch]);
	return (
		<SearchField className="search" value={typed} onChange={setTyped} aria-label={t("clients.search")}>
			<Label className="visually-hidden">{t("clients.search")}</Label>
			<Input placeholder={t("clients.searchPlaceholder")} />
		</SearchField>
	);
}

function Filters({ search, setFilter, enabled }: { search: ClientFilters; setFilter: (p: Partial<ClientFilters>) => void; enabled: boolean }) {
	const { t } = useTranslation();
	const groups = useGroups().data ?? [];
	const tags = useTags(enabled).data ?? [];
	const categories = useCategories(enabled).data ?? [];
	const any = search.groupId || search.tag || search.categoryId || search.verified;
	return (
		<div className="filters">
			<label>
				<span>{t("clients.filterGroup")}</span>
				<select value={search.groupId ?? ""} onChange={e => setFilter({ groupId: e.target.value || undefined })}>
					<option value="">{t("clients.allGroups")}</option>
					{groups.map(g => (
						<option key={g.id} value={g.id}>
							{g.name}
						</option>
					))}
				</select>
			</label>
			<label>
				<span>{t("clients.filterTag")}</span>
				<select value={search.tag ?? ""} onChange={e => setFilter({ tag: e.target.value || undefined })}>
					<option value="">{t("clients.allTags")}</option>
					{tags.map(tag => (
						<option key={tag.tag} value={tag.tag}>
							{tag.tag} ({tag.clientCount})
						</option>
					))}
				</select>
			</label>
			<label>
				<span>{t("clients.filterCategory")}</span>
				<select value={search.categoryId ?? ""} onChange={e => setFilter({ categoryId: e.target.value || undefined })}>
					<option value="">{t("clients.allCategories")}</option>
					{categories.map(c => (
						<option key={c.id} value={c.id}>
							{c.name}
						</option>
					))}
				</select>
			</label>
			<label>
				<span>{t("clients.filterVerified")}</span>
				<select value={search.verified ?? ""} onChange={e => setFilter({ verified: (e.target.value || undefined) as ClientFilters["verified"] })}>
					<option value="">{t("clients.verifiedAny")}</option>
					<option value="true">{t("clients.verifiedYes")}</option>
					<option value="false">{t("clients.verifiedNo")}</option>
				</select>
			</label>
			{any && (
				<Button variant="quiet" onPress={() => setFilter({ groupId: undefined, tag: undefined, categoryId: undefined, verified: undefined })}>
					{t("clients.clearFilters")}
				</Button>
			)}
		</div>
	);
}
