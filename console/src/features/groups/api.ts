/** Groups: their policies, the default group, deletion that moves the clients. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { groupsCreate, groupsRemove, groupsUpdate } from "../../api/generated/sdk.gen";
import type { GroupsCreateData, GroupsUpdateData } from "../../api/generated/types.gen";
import { data, THROW } from "../../lib/api";

function useInvalidate() {
	const qc = useQueryClient();
	return () => {
		void qc.invalidateQueries({ queryKey: ["groups"] });
		void qc.invalidateQueries({ queryKey: ["clients"] });
	};
}

export type GroupBody = GroupsCreateData["body"];

export function useSaveGroup(id?: string) {
	const invalidate = useInvalidate();
	return useMutation({
		mutationFn: (body: GroupBody) => (id ? data(groupsUpdate({ path: { id }, body: body as GroupsUpdateData["body"], ...THROW })) : data(groupsCreate({ body, ...THROW }))),
		onSuccess: invalidate,
	});
}

export function useDeleteGroup() {
	const invalidate = useInvalidate();
	return useMutation({
		mutationFn: (v: { id: string; moveClientsTo?: string }) => groupsRemove({ path: { id: v.id }, query: v.moveClientsTo ? { moveClientsTo: v.moveClientsTo } : undefined, ...THROW }),
		onSuccess: invalidate,
	});
}
