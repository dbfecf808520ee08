/** The clients screens' server state (TanStack Query hooks named for what they fetch). */
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
	bookingGuardCancel,
	bookingGuardCancelSeries,
	bookingGuardHistory,
	bookingGuardReserve,
	clientsBulk,
	clientsCreate,
	clientsDuplicates,
	clientsGet,
	clientsMerge,
	clientsList,
	clientsPutCategory,
	clientsRemove,
	clientsRemoveCategory,
	clientsUpdate,
	walletsCreate,
	walletsOfClient,
	walletsRefund,
	walletsTopUp,
} from "../../api/generated/sdk.gen";
import type { BookingGuardReserveData, ClientsCreateData, ClientsUpdateData } from "../../api/generated/types.gen";
import { client, data, THROW } from "../../lib/api";
import type { Booking, Client, Wallet } from "../../lib/types";

export interface ClientFilters {
	q?: string;
	groupId?: string;
	tag?: string;
	categoryId?: string;
	verified?: "true" | "false";
}

export const PAGE_SIZE = 100;

export function toQuery(f: ClientFilters) {
	return {
		q: f.q?.trim() || undefined,
		groupId: f.groupId,
		tag: f.tag,
		categoryId: f.categoryId,
		verified: f.verified === undefined ? undefined : f.verified === "true",
	};
}

export function useClients(filters: ClientFilters) {
	return useInfiniteQuery({
		queryKey: ["clients", "list", toQuery(filters)],
		queryFn: ({ pageParam, signal }) => data(clientsList({ query: { ...toQuery(filters), limit: PAGE_SIZE, cursor: pageParam }, signal, ...THROW })),
		initialPageParam: undefined as string | undefined,
		getNextPageParam: last => last.nextCursor ?? undefined,
		placeholderData: keepPreviousData,
	});
}

export function useClient(id: string) {
	return useQuery({ queryKey: ["clients", "one", id], queryFn: () => data(clientsGet({ path: { id }, ...THROW })) as Promise<Client> });
}

function useInvalidateClients() {
	const qc = useQueryClient();
	return () => {
		void qc.invalidateQueries({ queryKey: ["clients"] });
		void qc.invalidateQueries({ queryKey: ["tags"] });
		void qc.invalidateQueries({ queryKey: ["groups"] });
	};
}

export type NewClient = ClientsCreateData["body"];
export type ClientChanges = ClientsUpdateData["body"];

export function useCreateClient() {
	const invalidate = useInvalidateClients();
	return useMutation({
		mutationFn: ({ body, key }: { body: NewClient; key: string }) => data(clientsCreate({ body, headers: { "Idempotency-Key": key }, ...THROW })) as Promise<Client>,
		onSuccess: invalidate,
	});
}

export function useUpdateClient(id: string) {
	const invalidate = useInvalidateClients();
	return useMutation({
		mutationFn: (body: ClientChanges) => data(clientsUpdate({ path: { id }, body, ...THROW })) as Promise<Client>,
		onSuccess: invalidate,
	});
}

export function useDeleteClient() {
	const invalidate = useInvalidateClients();
	return useMutation({ mutationFn: (id: string) => clientsRemove({ path: { id }, ...THROW }), onSuccess: invalidate });
}

export function useBulkUpdate() {
	const invalidate = useInvalidateClients();
	return useMutation({
		mutationFn: (body: { clientIds: string[]; groupId?: string; addTags?: string[]; removeTags?: string[] }) => data(clientsBulk({ body, ...THROW })),
		onSuccess: invalidate,
	});
}

export function useClientCategory(id: string) {
	const invalidate = useInvalidateClients();
	const put = useMutation({
		mutationFn: (v: { categoryId: string; validFrom?: string | null; validUntil?: string | null }) =>
			clientsPutCategory({ path: { id, categoryId: v.categoryId }, body: { validFrom: v.validFrom || undefined, validUntil: v.validUntil || undefined } as any, ...THROW }),
		onSuccess: invalidate,
	});
	const remove = useMutation({ mutationFn: (categoryId: string) => clientsRemoveCategory({ path: { id, categoryId }, ...THROW }), onSuccess: invalidate });
	return { put, remove };
}

export function useWallets(clientId: string) {
	return useQuery({
		queryKey: ["clients", "wallets", clientId],
		queryFn: async () => {
			const res: any = await data(walletsOfClient({ path: { id: clientId }, ...THROW }));
			return (Array.isArray(res) ? res : (res?.items ?? [])) as Wallet[];
		},
	});
}

/** Tops up the client's wallet in `currency`, opening that wallet first when the client has none. */
export function useTopUp(clientId: string) {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: async (v: { walletId?: string; currency: string; amount: number; key: string }) => {
			let walletId = v.walletId;
			if (!walletId) {
				try {
					walletId = ((await data(walletsCreate({ path: { id: clientId }, body: { currency: v.currency }, ...THROW }))) as Wallet).id;
				} catch (err: any) {
					if (err?.type !== "WALLET_EXISTS") throw err;
					const wallets = (await qc.fetchQuery({ queryKey: ["clients", "wallets", clientId, "fresh"], queryFn: () => data(walletsOfClient({ path: { id: clientId }, ...THROW })) })) as any;
					walletId = ((Array.isArray(wallets) ? wallets : wallets.items) as Wallet[]).find(w => w.currency === v.currency)?.id;
					if (!walletId) throw err;
				}
			}
			return data(walletsTopUp({ path: { id: walletId }, body: { amount: v.amount }, headers: { "Idempotency-Key": v.key }, ...THROW }));
		},
		onSettled: () => qc.invalidateQueries({ queryKey: ["clients", "wallets", clientId] }),
	});
}

export function useRefund(clientId: string) {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: (v: { walletId: string; transactionId: string; amount?: number; key: string }) =>
			data(walletsRefund({ path: { id: v.walletId }, body: { transactionId: v.transactionId, ...(v.amount ? { amount: v.amount } : {}) }, headers: { "Idempotency-Key": v.key }, ...THROW })),
		onSettled: () => qc.invalidateQueries({ queryKey: ["clients", "wallets", clientId] }),
	});
}

export function useBookings(clientId: string, scope: "future" | "past") {
	return useInfiniteQuery({
		queryKey: ["clients", "bookings", clientId, scope],
		queryFn: ({ pageParam }) => data(bookingGuardHistory({ path: { id: clientId }, query: { scope, limit: 20, cursor: pageParam } as any, ...THROW })),
		initialPageParam: undefined as string | undefined,
		getNextPageParam: last => last.nextCursor ?? undefined,
	});
}

export function useCancelBooking(clientId: string) {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: (id: string) => data(bookingGuardCancel({ path: { id }, ...THROW })) as Promise<Booking>,
		onSettled: () => qc.invalidateQueries({ queryKey: ["clients", "bookings", clientId] }),
	});
}

export function useCancelSeries(clientId: string) {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: (seriesId: string) => data(bookingGuardCancelSeries({ path: { seriesId }, ...THROW })),
		onSettled: () => qc.invalidateQueries({ queryKey: ["clients", "bookings", clientId] }),
	});
}

/** A booking or a recurring series for the client (staff channel), once per Idempotency-Key. */
export function useReserve(clientId: string) {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: (v: { body: BookingGuardReserveData["body"]; key: string }) => data(bookingGuardReserve({ body: v.body, headers: { "Idempotency-Key": v.key }, ...THROW })),
		onSuccess: () => qc.invalidateQueries({ queryKey: ["clients", "bookings", clientId] }),
	});
}

export function useDuplicates(clientId: string) {
	return useQuery({
		queryKey: ["clients", "duplicates", clientId],
		queryFn: async () => ((await data(clientsDuplicates({ path: { id: clientId }, ...THROW }))).items ?? []) as Array<{ client: Client; reasons: string[]; score: number }>,
	});
}

export function useMerge(targetId: string) {
	const invalidate = useInvalidateClients();
	return useMutation({
		mutationFn: (v: { sourceId: string; dryRun?: boolean }) => data(clientsMerge({ path: { id: targetId }, body: v, ...THROW })),
		onSuccess: (_r, v) => {
			if (!v.dryRun) invalidate();
		},
	});
}

export interface HistoryEntry {
	id: string;
	at: string;
	actor: { type: string; id: string; name: string | null };
	action: string;
	changes?: Record<string, [unknown, unknown]> | null;
}

/** The client's audit trail (GET /clients/:id/history); null where this server has no trail. */
export function useClientHistory(clientId: string) {
	return useQuery({
		queryKey: ["clients", "history", clientId],
		queryFn: async () => {
			try {
				return await data(client.get<{ 200: { items: HistoryEntry[]; nextCursor: string | null } }, unknown, true>({ url: `/api/v1/clients/${encodeURIComponent(clientId)}/history`, query: { limit: 50 }, ...THROW }));
			} catch (err: any) {
				// The client was just read: a 404 here means this server has no history route.
				if (err?.status === 404) return null;
				throw err;
			}
		},
	});
}
