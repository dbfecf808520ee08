/** Settings: the club, the default group, API keys, staff members and invitations. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
	clubsCreateKey,
	clubsListKeys,
	clubsRevokeKey,
	staffCreate,
	staffInvite,
	staffList,
	staffUpdate,
} from "../../api/generated/sdk.gen";
import type { Invitation, StaffMember, StaffUpdateData } from "../../api/generated/types.gen";
import { data, THROW } from "../../lib/api";
import { allPages } from "../../lib/queries";
import type { ApiKey, Role } from "../../lib/types";

export type { StaffMember, Invitation };

export function useApiKeys(enabled: boolean) {
	return useQuery({ queryKey: ["api-keys"], enabled, queryFn: () => allPages(cursor => data(clubsListKeys({ query: { limit: 500, cursor } as any, ...THROW })) as any) as Promise<ApiKey[]> });
}

export function useCreateKey() {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: (body: { name: string; role: Role }) => data(clubsCreateKey({ body, ...THROW })) as Promise<ApiKey & { key: string }>,
		onSuccess: () => qc.invalidateQueries({ queryKey: ["api-keys"] }),
	});
}

export function useRevokeKey() {
	const qc = useQueryClient();
	return useMutation({ mutationFn: (id: string) => clubsRevokeKey({ path: { id }, ...THROW }), onSuccess: () => qc.invalidateQueries({ queryKey: ["api-keys"] }) });
}

export function useStaff(enabled: boolean) {
	return useQuery({ queryKey: ["staff"], enabled, queryFn: () => allPages(cursor => data(staffList({ query: { limit: 500, cursor }, ...THROW })) as any) as Promise<StaffMember[]> });
}

export function useInviteStaff() {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: (body: { name: string; email: string; role: Role }) => data(staffCreate({ body, ...THROW })) as Promise<StaffMember & { invitation: Invitation }>,
		onSuccess: () => qc.invalidateQueries({ queryKey: ["staff"] }),
	});
}

export function useReinvite() {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: (id: string) => data(staffInvite({ path: { id }, ...THROW })) as unknown as Promise<{ invitation?: Invitation; token?: string; expiresAt?: string }>,
		onSuccess: () => qc.invalidateQueries({ queryKey: ["staff"] }),
	});
}

export function useUpdateStaff() {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: (v: { id: string; body: NonNullable<StaffUpdateData["body"]> }) => data(staffUpdate({ path: { id: v.id }, body: v.body, ...THROW })),
		onSuccess: () => qc.invalidateQueries({ queryKey: ["staff"] }),
	});
}
