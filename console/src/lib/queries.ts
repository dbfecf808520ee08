/** Server state several screens read: the club's groups, categories and tags. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { clientsTags, groupsList, groupsListCategories, groupsSetDefaultGroup } from "../api/generated/sdk.gen";
import { data, THROW } from "./api";
import type { Category, Group } from "./types";

/** Every page of a cursor list (small lists: groups, categories). */
export async function allPages<T>(page: (cursor: string | undefined) => Promise<{ items?: T[]; nextCursor?: string | null }>): Promise<T[]> {
	const out: T[] = [];
	let cursor: string | undefined;
	for (let i = 0; i < 100; i++) {
		const p = await page(cursor);
		out.push(...(p.items ?? []));
		if (!p.nextCursor) break;
		cursor = p.nextCursor;
	}
	return out;
}

export function useGroups() {
	return useQuery({
		queryKey: ["groups"],
		queryFn: () => allPages(cursor => data(groupsList({ query: { limit: 500, cursor }, ...THROW }))) as Promise<Group[]>,
	});
}

export function useCategories(enabled = true) {
	return useQuery({
		queryKey: ["categories"],
		enabled,
		queryFn: () => allPages(cursor => data(groupsListCategories({ query: { limit: 500, cursor }, ...THROW }))) as Promise<Category[]>,
	});
}

export function useTags(enabled = true) {
	return useQuery({
		queryKey: ["tags"],
		enabled,
		queryFn: async () => {
			const res: any = await data(clientsTags(THROW));
			return (Array.isArray(res) ? res : (res?.items ?? [])) as Array<{ tag: string; clientCount: number }>;
		},
	});
}

/** Group id -> group, for showing names. */
export function useGroupMap(): Map<string, Group> {
	const groups = useGroups().data ?? [];
	return new Map(groups.map(g => [g.id, g]));
}

/** Makes a group the club's default (Groups and Settings both offer it). */
export function useSetDefaultGroup() {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: (groupId: string) => data(groupsSetDefaultGroup({ body: { groupId }, ...THROW })),
		onSuccess: () => qc.invalidateQueries({ queryKey: ["groups"] }),
	});
}
