/** Categories with reduced prices, and product access rules per group. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
	groupsCreateCategory,
	groupsGetProductAccess,
	groupsPutProductAccess,
	groupsRemoveCategory,
	groupsRemoveProductAccess,
	groupsUpdateCategory,
} from "../../api/generated/sdk.gen";
import type { GroupsCreateCategoryData } from "../../api/generated/types.gen";
import { ApiError, data, THROW } from "../../lib/api";

export type CategoryBody = GroupsCreateCategoryData["body"];

export function useSaveCategory(id?: string) {
	const qc = useQueryClient();
	return useMutation({
		mutationFn: (body: CategoryBody) => (id ? data(groupsUpdateCategory({ path: { id }, body, ...THROW })) : data(groupsCreateCategory({ body, ...THROW }))),
		onSuccess: () => qc.invalidateQueries({ queryKey: ["categories"] }),
	});
}

export function useDeleteCategory() {
	const qc = useQueryClient();
	return useMutation({ mutationFn: (id: string) => groupsRemoveCategory({ path: { id }, ...THROW }), onSuccess: () => qc.invalidateQueries({ queryKey: ["categories"] }) });
}

export interface AccessRule {
	productId: string;
	kind: "product" | "activity";
	groupIds: string[];
}

/** The product's rule, or null when it has none (open to everyone). */
export function useProductAccess(productId: string | null) {
	return useQuery({
		queryKey: ["product-access", productId],
		enabled: !!productId,
		queryFn: async () => {
			try {
				return (await data(groupsGetProductAccess({ path: { productId: productId! }, ...THROW }))) as unknown as AccessRule;
			} catch (err) {
				if (err instanceof ApiError && err.status === 404) return null;
				throw err;
			}
		},
	});
}

export function useSaveProductAccess(productId: string) {
	const qc = useQueryClient();
	const save = useMutation({
		mutationFn: (v: { kind: "product" | "activity"; groupIds: string[] }) => data(groupsPutProductAccess({ path: { productId }, body: v, ...THROW })),
		onSuccess: () => qc.invalidateQueries({ queryKey: ["product-access", productId] }),
	});
	const remove = useMutation({
		mutationFn: () => groupsRemoveProductAccess({ path: { productId }, ...THROW }),
		onSuccess: () => qc.invalidateQueries({ queryKey: ["product-access", productId] }),
	});
	return { save, remove };
}
