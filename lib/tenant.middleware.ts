/**
 * Every domain action refuses to run without the tenant in ctx.meta.clubId.
 * The gateway puts it there from the API key; bus callers pass `meta: { clubId }`.
 * Actions that are not tenant-scoped say so with `tenant: false` (or their service with
 * `settings.tenant: false`).
 */
import type { Middleware } from "moleculer";
import { ClubRequiredError } from "./errors";

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const TenantMiddleware: Middleware = {
	name: "Tenant",
	localAction(next: any, action: any) {
		if (action.tenant === false || action.service?.settings?.tenant === false || String(action.name).startsWith("$")) {
			return next;
		}
		return function tenantGuard(ctx: any) {
			const clubId = ctx.meta?.clubId;
			if (typeof clubId !== "string" || !UUID_RE.test(clubId)) return Promise.reject(new ClubRequiredError(action.name));
			return next(ctx);
		};
	},
} as Middleware;
