/**
 * The groups a worker files rows under: the club's default group and groups named in the file,
 * asked of the groups service once per club (or name) for GROUP_CACHE_MS. The groups' events
 * drop them on EVERY worker (the service has NodeEventsMixin, mixins/node-events.mixin.ts):
 * heard by one worker only, the others would go on filing rows under an old default group or a
 * deleted one.
 */
import { defineMixin } from "../../lib/service";
import type { FindGroupByNameParams, Group, GroupsDefaults } from "../groups/groups.contract";
import type { ImportThis } from "./import.types";

/** Group names and default groups are looked up once per club for this long. */
const GROUP_CACHE_MS = 30_000;
/** Names cached at most (then the cache starts again). */
const MAX_NAMES = 10_000;

/** What the group lookup gives the service's `this`. */
export interface GroupLookupMembers {
	/** The club's default group (groups.defaults), cached. */
	clubDefaults(clubId: string): Promise<GroupsDefaults>;
	/** The id of the club's group of that name (case-insensitive), or null; cached. */
	groupByName(clubId: string, name: string): Promise<string | null>;
	groupCache: Map<string, { id: string | null; until: number }>;
	defaultsCache: Map<string, { value: GroupsDefaults; until: number }>;
}

export const GroupLookupMixin = defineMixin<ImportThis>({
	methods: {
		async clubDefaults(clubId: string): Promise<GroupsDefaults> {
			const hit = this.defaultsCache.get(clubId);
			if (hit && hit.until > Date.now()) return hit.value;
			const value = await this.broker.call<GroupsDefaults, Record<string, never>>("groups.defaults", {}, { meta: { clubId } });
			this.defaultsCache.set(clubId, { value, until: Date.now() + GROUP_CACHE_MS });
			return value;
		},

		async groupByName(clubId: string, name: string): Promise<string | null> {
			const key = `${clubId}\u0000${name.trim().toLowerCase()}`;
			const hit = this.groupCache.get(key);
			if (hit && hit.until > Date.now()) return hit.id;
			const group = await this.broker.call<Group | null, FindGroupByNameParams>("groups.findByName", { name: name.trim().slice(0, 200) }, { meta: { clubId } });
			if (this.groupCache.size > MAX_NAMES) this.groupCache.clear();
			this.groupCache.set(key, { id: group?.id ?? null, until: Date.now() + GROUP_CACHE_MS });
			return group?.id ?? null;
		},
	},

	events: {
		// Group names may have changed: look them up again.
		"groups.updated"() {
			this.groupCache.clear();
		},
		"groups.deleted"() {
			this.groupCache.clear();
		},
		"groups.defaultChanged"() {
			this.defaultsCache.clear();
		},
	},

	created() {
		this.groupCache = new Map();
		this.defaultsCache = new Map();
	},
});
