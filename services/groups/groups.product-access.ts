/**
 * The groups service's product access rules: which groups may see (`product`) or book
 * (`activity`) a product of the booking system. The REST routes and the internal
 * `groups.productRules` the booking guard reads. A mixin of groups.service.ts.
 */
import type { Context } from "moleculer";
import type { Knex } from "knex";
import { defineMixin } from "../../lib/service";
import { diffChanges } from "../../mixins/outbox.mixin";
import { NotFoundError, invalid, type FieldError } from "../../lib/errors";
import { noContent, type HttpMeta } from "../../lib/http";
import { PRODUCT_ID_RE, PRODUCT_ID_RULE } from "../../lib/products";
import * as q from "./groups.queries";
import type { ProductRulesAnswer, ProductRulesParams } from "./groups.contract";
import { accessEntity, isUuid, toAccess, type GroupsThis, type ProductAccess, type PutProductAccessParams } from "./groups.entity";

export const ProductAccessMixin = defineMixin<GroupsThis>({
	actions: {
		/** Internal: access rules of the given products; products without a rule are absent (open to all). */
		productRules: {
			params: { productIds: { type: "array", items: "string", max: 1000 } },
			async handler(ctx: Context<ProductRulesParams, HttpMeta>): Promise<ProductRulesAnswer> {
				const ids = [...new Set(ctx.params.productIds.filter(p => PRODUCT_ID_RE.test(p)))];
				const out: ProductRulesAnswer = {};
				if (!ids.length) return out;
				for (const r of await q.productRules(this.db, ctx.meta.clubId, ids)) out[r.product_id] = { kind: r.kind, groupIds: [...r.group_ids].sort() };
				return out;
			},
		},

		/** Sets which groups may see (`product`) or book (`activity`) a product of the booking system. */
		putProductAccess: {
			rest: "PUT /products/:productId/access",
			auth: "admin",
			params: {
				$$strict: true,
				productId: PRODUCT_ID_RULE,
				kind: { type: "enum", values: [...q.PRODUCT_KINDS], description: "`product`: only these groups see and book it; `activity`: everyone sees it, only these groups book it." },
				groupIds: { type: "array", items: { type: "string", min: 1, max: 64 }, max: 1000, description: "Groups of this club (duplicates are dropped). [] = no group: nobody may book it (nor see it, for `product`)." },
			},
			openapi: {
				summary: "Set a product's access rule",
				description: "Creates or replaces the rule (200 either way). Ids in `groupIds` that are not groups of this club: 422 with one entry per id (`groupIds[i]`).",
				tags: ["products"],
				responses: { "200": { description: "The rule", schema: accessEntity } },
			},
			async handler(ctx: Context<PutProductAccessParams, HttpMeta>): Promise<ProductAccess> {
				const { productId, kind } = ctx.params;
				const clubId = ctx.meta.clubId;
				const groupIds = [...new Set(ctx.params.groupIds.map(g => g.toLowerCase()))];
				const unknown = (known: Set<string>): FieldError[] =>
					ctx.params.groupIds
						.map((g, i) => ({ g, i }))
						.filter(({ g }) => !known.has(g.toLowerCase()))
						.map(({ g, i }) => ({ field: `groupIds[${i}]`, type: "group", message: `'${g.slice(0, 64)}' is not a group of this club.` }));
				const uuids = groupIds.filter(isUuid);
				const rule: q.ProductRuleRow = await this.db.transaction(async (trx: Knex.Transaction) => {
					// FOR SHARE: a group cannot be deleted between this check and the insert.
					const found = await q.shareGroups(trx, clubId, uuids);
					const errors = unknown(new Set(found));
					if (errors.length) throw invalid(errors);
					const [before] = await q.productRules(trx, clubId, [productId]);
					try {
						await q.putProductRule(trx, clubId, productId, kind, groupIds);
					} catch (err) {
						if (q.isForeignKeyViolation(err)) throw invalid({ field: "groupIds", type: "group", message: "A group in 'groupIds' was deleted meanwhile." });
						throw err;
					}
					const [r] = await q.productRules(trx, clubId, [productId]);
					await this.recordChange(trx, ctx, { action: "products.putAccess", target: { type: "product", id: productId }, changes: diffChanges(before ? toAccess(before) : null, toAccess(r), ["productId", "createdAt", "updatedAt"]) ?? { kind: [kind, kind] } });
					return r;
				});
				ctx.emit("groups.productAccessUpdated", { clubId, productId });
				return toAccess(rule);
			},
		},

		/** A product's access rule (404 when it has none: open to all). */
		getProductAccess: {
			rest: "GET /products/:productId/access",
			auth: "viewer",
			params: { productId: PRODUCT_ID_RULE },
			openapi: {
				summary: "Get a product's access rule",
				description: "404 when the product has no rule (open to every group).",
				tags: ["products"],
				responses: { "200": { description: "The rule", schema: accessEntity } },
			},
			async handler(ctx: Context<{ productId: string }, HttpMeta>): Promise<ProductAccess> {
				const [rule] = await q.productRules(this.db, ctx.meta.clubId, [ctx.params.productId]);
				if (!rule) throw new NotFoundError("Product access rule");
				return toAccess(rule);
			},
		},

		/** Removes a product's access rule: it is open to every group again. */
		removeProductAccess: {
			rest: "DELETE /products/:productId/access",
			auth: "admin",
			params: { $$strict: true, productId: PRODUCT_ID_RULE },
			openapi: {
				summary: "Remove a product's access rule (open to all again)",
				description: "Idempotent: 204 also when the product had no rule.",
				tags: ["products"],
				responses: { "204": { description: "The product is open to every group" } },
			},
			async handler(ctx: Context<{ productId: string }, HttpMeta>) {
				const clubId = ctx.meta.clubId;
				const deleted = await this.db.transaction(async (trx: Knex.Transaction) => {
					const n = await q.deleteProductRule(trx, clubId, ctx.params.productId);
					if (n) await this.recordChange(trx, ctx, { action: "products.removeAccess", target: { type: "product", id: ctx.params.productId } });
					return n;
				});
				if (deleted) ctx.emit("groups.productAccessUpdated", { clubId, productId: ctx.params.productId });
				return noContent(ctx);
			},
		},
	},
});
