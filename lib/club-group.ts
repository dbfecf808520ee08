/**
 * A `groupId` given by a caller (a client's group, an import's groupId option): the id of a
 * group of the caller's club, or a 422 on that field. Another club's group is "not a group
 * of this club", never a hint that it exists.
 */
import type { Context } from "moleculer";
import { invalid } from "./errors";
import { UUID_RE } from "./tenant.middleware";

export async function clubGroupId(ctx: Context<unknown, { clubId: string }>, groupId: string, field = "groupId"): Promise<string> {
	const bad = invalid({ field, type: "groupNotFound", message: `The '${field}' is not a group of this club.` });
	if (!UUID_RE.test(groupId)) throw bad;
	try {
		const group: { id: string } = await ctx.call("groups.get", { id: groupId.toLowerCase() });
		return group.id;
	} catch (err: any) {
		if (err?.type === "NOT_FOUND") throw bad;
		throw err;
	}
}
