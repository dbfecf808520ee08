/**
 * Tenants and their API keys. Keys are high-entropy with a recognisable prefix, shown once,
 * stored only as SHA-256 and looked up by that hash; a new club gets its two groups from
 * the `groups` service in the same step.
 */
import { pageOf, ref } from "../../lib/openapi";
import crypto from "node:crypto";
import { defineService, serviceRuns, type AppService } from "../../lib/service";
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { DbMixin, type DbMembers } from "../../mixins/db.mixin";
import { OutboxMixin, diffChanges, type OutboxMembers } from "../../mixins/outbox.mixin";
import { NotFoundError, invalid } from "../../lib/errors";
import { created, noContent, type HttpMeta } from "../../lib/http";
import { listParams, paginate, type Page } from "../../lib/pagination";
import { normalizeCountry } from "../../lib/normalize/country";
import { UUID_RE } from "../../lib/tenant.middleware";
import * as q from "./clubs.queries";
import { ClaimsMixin } from "./clubs.claims";
import { countUnderAdminLock, lastAdminError, lockClubAdmins } from "../../lib/last-admin";
import { tellEveryGateway } from "../../lib/gateways";
import { sameDigest, sha256Hex } from "../../lib/hash";
import { isCurrency } from "../../lib/money";
import type { ApiKeyRevokedEvent, Club, ClubCreatedEvent, CountAdminKeysAnswer, RateLimitHitAnswer, ResolveKeyAnswer, ResolveKeyParams, Role } from "./clubs.contract";
import type { EndKeySessionsParams } from "../staff/staff.contract";

const KEY_PREFIX = "chk_";

export interface ApiKey {
	id: string;
	name: string;
	role: Role;
	prefix: string;
	createdAt: string;
}

export interface CreateClubParams {
	name: string;
	country: string;
	currency: string;
	timezone: string;
}

function generateKey(): string {
	return KEY_PREFIX + crypto.randomBytes(32).toString("base64url");
}

function isTimeZone(tz: string): boolean {
	try {
		new Intl.DateTimeFormat("en-US", { timeZone: tz });
		return true;
	} catch {
		return false;
	}
}

const toClub = (r: q.ClubRow): Club => ({
	id: r.id,
	name: r.name,
	country: r.country,
	currency: r.currency,
	timezone: r.timezone,
	createdAt: r.created_at.toISOString(),
	updatedAt: r.updated_at.toISOString(),
});

const toKey = (r: q.ApiKeyRow): ApiKey => ({
	id: r.id,
	name: r.name,
	role: r.role,
	prefix: r.prefix,
	createdAt: r.created_at.toISOString(),
});

const keyEntity = ref("ApiKey");
const clubEntity = ref("Club");

interface ClubsMethods {
	activeAdminMembers(ctx: Context<unknown, HttpMeta>): Promise<number>;
}
type ClubsThis = AppService & DbMembers & OutboxMembers & ClubsMethods;

const ClubsService = defineService<ClubsThis>({
	name: "clubs",
	mixins: [DbMixin({ schema: "clubs" }), OutboxMixin(), ClaimsMixin],
	settings: { rest: "/" },

	actions: {
		/** Creates a club with its first admin key and its Default and External groups. */
		create: {
			rest: "POST /clubs",
			auth: "platform",
			tenant: false,
			params: {
				$$strict: true,
				name: { type: "string", trim: true, min: 1, max: 200 },
				country: { type: "string", trim: true, min: 2, max: 100 },
				currency: { type: "string", trim: true, length: 3 },
				timezone: { type: "string", trim: true, min: 1, max: 64 },
			},
			openapi: {
				summary: "Create a club (platform key)",
				tags: ["clubs"],
				responses: { "201": { description: "The club and its first admin key (shown once)", schema: ref("ClubCreated") } },
				requestExample: { name: "My Padel Club", country: "ES", currency: "EUR", timezone: "Europe/Madrid" },
			},
			async handler(ctx: Context<CreateClubParams, HttpMeta>) {
				const { name } = ctx.params;
				const country = normalizeCountry(ctx.params.country);
				const currency = ctx.params.currency.toUpperCase();
				const errors = [];
				if (!country) errors.push({ field: "country", type: "country", message: "The 'country' is not a known country." });
				if (!isCurrency(currency)) errors.push({ field: "currency", type: "currency", message: "The 'currency' is not an ISO 4217 code." });
				if (!isTimeZone(ctx.params.timezone)) errors.push({ field: "timezone", type: "timezone", message: "The 'timezone' is not an IANA time zone." });
				if (errors.length) throw invalid(errors);
				const clubId = crypto.randomUUID();
				const key = generateKey();
				// The Default and External groups first: no call while the club's transaction is open
				// (CONTRIBUTING.md). Seeding is idempotent per club; when it fails, the club is not created.
				await ctx.call("groups.seedClub", {}, { meta: { clubId } });
				const result = await this.db.transaction(async trx => {
					const club = await q.insertClub(trx, { id: clubId, name, country: country!, currency, timezone: ctx.params.timezone });
					const keyRow = await q.insertKey(trx, { id: crypto.randomUUID(), club_id: clubId, name: "admin", role: "admin", key_hash: sha256Hex(key), prefix: key.slice(0, 12) });
					await this.recordChange(trx, ctx, [
						{ clubId, action: "clubs.create", target: { type: "club", id: clubId }, changes: diffChanges(null, toClub(club)) },
						{ clubId, action: "clubs.createKey", target: { type: "apiKey", id: keyRow.id }, changes: { name: [null, keyRow.name], role: [null, keyRow.role] } },
					]);
					return { club: toClub(club), apiKey: { id: keyRow.id, name: keyRow.name, role: keyRow.role, key } };
				});
				ctx.emit("clubs.created", { club: result.club } satisfies ClubCreatedEvent);
				return created(ctx, result, "/api/v1/club");
			},
		},

		/** The caller's club. */
		get: {
			rest: "GET /club",
			auth: "viewer",
			params: {},
			openapi: { summary: "The caller's club", tags: ["clubs"], responses: { "200": { description: "The club", schema: clubEntity } } },
			async handler(ctx: Context<unknown, HttpMeta>) {
				const row = await q.findClub(this.db, ctx.meta.clubId);
				if (!row) throw new NotFoundError("Club");
				return toClub(row);
			},
		},

		/** Issues a key for the caller's club; the secret is in this answer only. */
		createKey: {
			rest: "POST /api-keys",
			auth: "admin",
			params: {
				$$strict: true,
				name: { type: "string", trim: true, min: 1, max: 100 },
				role: { type: "enum", values: ["admin", "staff", "viewer"] },
			},
			openapi: {
				summary: "Create an API key (shown once)",
				tags: ["api-keys"],
				responses: { "201": { description: "The key with its secret", schema: ref("ApiKeyCreated") } },
				requestExample: { name: "Booking system", role: "staff" },
			},
			async handler(ctx: Context<{ name: string; role: Role }, HttpMeta>) {
				const key = generateKey();
				const row = await this.db.transaction(async trx => {
					const row = await q.insertKey(trx, {
						id: crypto.randomUUID(),
						club_id: ctx.meta.clubId,
						name: ctx.params.name,
						role: ctx.params.role,
						key_hash: sha256Hex(key),
						prefix: key.slice(0, 12),
					});
					await this.recordChange(trx, ctx, { action: "clubs.createKey", target: { type: "apiKey", id: row.id }, changes: { name: [null, row.name], role: [null, row.role] } });
					return row;
				});
				return created(ctx, { id: row.id, name: row.name, role: row.role, key, createdAt: row.created_at.toISOString() }, `/api/v1/api-keys/${row.id}`);
			},
		},

		/** The club's active keys, without secrets. */
		listKeys: {
			rest: "GET /api-keys",
			auth: "admin",
			params: { $$strict: true, ...listParams },
			openapi: { summary: "List API keys (no secrets)", tags: ["api-keys"], responses: { "200": { description: "A page of keys", schema: pageOf("ApiKey") } } },
			async handler(ctx: Context<{ limit?: number; cursor?: string }, HttpMeta>): Promise<Page<ApiKey>> {
				return paginate(q.activeKeys(this.db, ctx.meta.clubId), { limit: ctx.params.limit, cursor: ctx.params.cursor }, toKey);
			},
		},

		/** Revokes a key: it (and every session opened with it) answers 401 at once on every gateway node. */
		revokeKey: {
			rest: "DELETE /api-keys/:id",
			auth: "admin",
			params: { id: { type: "string", min: 1, max: 64 } },
			openapi: {
				summary: "Revoke an API key",
				tags: ["api-keys"],
				responses: {
					"204": { description: "Revoked" },
					"409": { description: "LAST_ADMIN: the club would keep neither an admin API key nor an active admin staff member", schema: { $ref: "#/components/schemas/Error" } },
				},
			},
			async handler(ctx: Context<{ id: string }, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				if (!UUID_RE.test(ctx.params.id)) throw new NotFoundError("API key");
				const row = await this.db.transaction(async trx => {
					// Serialised with every other admin-removing change of the club (lib/last-admin.ts).
					await lockClubAdmins(trx, clubId);
					const key = await q.findActiveKey(trx, clubId, ctx.params.id);
					if (!key) throw new NotFoundError("API key");
					if (key.role === "admin" && (await q.countAdminKeys(trx, clubId, key.id)) === 0 && (await this.activeAdminMembers(ctx)) === 0) {
						throw lastAdminError();
					}
					const revoked = (await q.revokeKey(trx, clubId, key.id))!; // found active under the club's admin lock
					await this.recordChange(trx, ctx, { action: "clubs.revokeKey", target: { type: "apiKey", id: key.id }, changes: { revoked: [false, true] } });
					return revoked;
				});
				// Every gateway drops it from its cache before we answer, so "401 at once" holds on
				// every node; so do the sessions opened with it (staff).
				const revoked: ApiKeyRevokedEvent = { keyHash: row.key_hash, keyId: row.id, clubId };
				await tellEveryGateway(ctx, "api.forgetKey", { keyHash: row.key_hash }, "clubs.apiKeyRevoked", { ...revoked });
				if (serviceRuns(this.broker, "staff")) {
					await ctx.call<true, EndKeySessionsParams>("staff.endKeySessions", { keyId: row.id }).catch((err: any) => this.logger.warn(`Sessions of revoked key ${row.id} not ended yet: ${err.message}`));
				}
				return noContent(ctx);
			},
		},

		/** Internal (staff, LAST_ADMIN): the club's active admin keys (committed). */
		countAdminKeys: {
			visibility: "public",
			params: {},
			async handler(ctx: Context<unknown, HttpMeta>): Promise<CountAdminKeysAnswer> {
				return q.countAdminKeys(this.db, ctx.meta.clubId);
			},
		},

		/** Internal: counts a request of the caller's key in this minute (shared by every gateway node). */
		rateLimitHit: {
			params: {},
			async handler(ctx: Context<unknown, HttpMeta>): Promise<RateLimitHitAnswer> {
				const { count, resetAt } = await q.hitRateLimit(this.db, ctx.meta.clubId, ctx.meta.keyId!);
				if (Math.random() < 0.001) void q.pruneRateLimits(this.db).catch(() => undefined);
				return { count, resetAt: resetAt.toISOString() };
			},
		},

		/** Internal: the gateway's key lookup by hash. */
		resolveKey: {
			tenant: false,
			params: { keyHash: { type: "string", length: 64 } },
			async handler(ctx: Context<ResolveKeyParams>): Promise<ResolveKeyAnswer> {
				const row = await q.findActiveKeyByHash(this.db, ctx.params.keyHash);
				if (!row) return null;
				// The lookup is by an index on the hash; compare again in constant time.
				if (!sameDigest(row.key_hash, ctx.params.keyHash)) return null;
				return { keyId: row.id, clubId: row.club_id, role: row.role, name: row.name };
			},
		},
	},

	methods: {
		/** Active admin staff members (none when no staff service runs in this deployment), asked under the club's admin lock. */
		async activeAdminMembers(ctx: Context<unknown, HttpMeta>): Promise<number> {
			if (!serviceRuns(this.broker, "staff")) return 0;
			return countUnderAdminLock(ctx, "staff.countActiveAdmins", ctx.meta.clubId);
		},
	},
});

export default ClubsService;
