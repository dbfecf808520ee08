/**
 * The idempotency mixin on real Postgres: replay, reuse with another body, parallel
 * retries, stored client errors, and nothing stored for server errors.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import path from "node:path";
import knex from "knex";
import { ServiceBroker, type Context } from "moleculer";
import { DbMixin } from "../../mixins/db.mixin";
import { IdempotencyMixin } from "../../mixins/idempotency.mixin";
import { ConflictError } from "../../lib/errors";
import { created } from "../../lib/http";
import { TenantMiddleware } from "../../lib/tenant.middleware";
import { ClaimsMixin } from "../../services/clubs/clubs.claims";

describe("Idempotency mixin (real Postgres)", function () {
	const schema = `idem_${crypto.randomBytes(3).toString("hex")}`;
	let broker: ServiceBroker;
	const clubId = crypto.randomUUID();
	const meta = (key?: string) => ({ clubId, ...(key ? { idempotencyKey: key } : {}) });
	let serverFailures = 0;

	before(async () => {
		broker = new ServiceBroker({ logger: false, middlewares: [TenantMiddleware] });
		broker.createService({
			name: "idemtest",
			mixins: [DbMixin({ schema, dir: path.join(__dirname, "fixtures", "idempotency-migrations") }), IdempotencyMixin()],
			actions: {
				bump: {
					params: { amount: "number", idempotencyKey: { type: "string", optional: true } },
					async handler(this: any, ctx: Context<{ amount: number }, any>) {
						return this.idempotent(ctx, async (trx: any) => {
							await new Promise(r => setTimeout(r, 30));
							const [row] = await trx("counter").increment("n", ctx.params.amount).returning("n");
							return created(ctx, { n: row.n, at: Date.now() });
						}, { required: true });
					},
				},
				refuse: {
					params: {},
					async handler(this: any, ctx: Context<unknown, any>) {
						return this.idempotent(ctx, async (trx: any) => {
							await trx("counter").increment("n", 1000);
							throw new ConflictError("NOPE", "refused");
						});
					},
				},
				crash: {
					params: {},
					async handler(this: any, ctx: Context<unknown, any>) {
						return this.idempotent(ctx, async () => {
							serverFailures++;
							if (serverFailures === 1) throw new TypeError("boom");
							return { ok: true };
						});
					},
				},
				value: {
					params: {},
					async handler(this: any) {
						return (await this.db("counter").first()).n;
					},
				},
			},
		});
		// The club-wide key claims the mixin makes first (services/clubs/clubs.claims.ts), in a schema of their own.
		broker.createService({ name: "clubs", mixins: [DbMixin({ schema: `${schema}_clubs`, dir: path.join(__dirname, "fixtures", "claims-migrations") }), ClaimsMixin] });
		await broker.start();
	});
	after(async () => {
		await broker.stop();
		const admin = knex({ client: "pg", connection: process.env.DATABASE_URL });
		await admin.raw("DROP SCHEMA ?? CASCADE", [schema]);
		await admin.raw("DROP SCHEMA ?? CASCADE", [`${schema}_clubs`]);
		await admin.destroy();
	});

	it("when the same key and params come twice, then the first answer is replayed and the work done once", async () => {
		const first: any = await broker.call("idemtest.bump", { amount: 5 }, { meta: meta("k1") });
		const again: any = await broker.call("idemtest.bump", { amount: 5 }, { meta: meta("k1") });
		assert.deepEqual(again, first);
		assert.equal(await broker.call("idemtest.value", {}, { meta: meta() }), 5);
	});

	it("when the key comes as a param (bus callers), then it counts the same as the header", async () => {
		const first: any = await broker.call("idemtest.bump", { amount: 1, idempotencyKey: "p1" }, { meta: meta() });
		const again: any = await broker.call("idemtest.bump", { amount: 1 }, { meta: meta("p1") });
		assert.deepEqual(again, first);
	});

	it("when the same key comes with other params, then 422 IDEMPOTENCY_KEY_REUSED", async () => {
		await broker.call("idemtest.bump", { amount: 2 }, { meta: meta("k2") });
		await assert.rejects(broker.call("idemtest.bump", { amount: 3 }, { meta: meta("k2") }), (e: any) => e.code === 422 && e.type === "IDEMPOTENCY_KEY_REUSED");
	});

	it("when 30 retries of one key run in parallel, then the work is done exactly once", async () => {
		const before = (await broker.call("idemtest.value", {}, { meta: meta() })) as number;
		const results: any[] = await Promise.all(Array.from({ length: 30 }, () => broker.call("idemtest.bump", { amount: 7 }, { meta: meta("par") })));
		assert.equal(new Set(results.map(r => JSON.stringify(r))).size, 1);
		assert.equal(await broker.call("idemtest.value", {}, { meta: meta() }), before + 7);
	});

	it("when keys are equal in two clubs, then they do not collide", async () => {
		const other = crypto.randomUUID();
		const a: any = await broker.call("idemtest.bump", { amount: 1 }, { meta: meta("shared") });
		const b: any = await broker.call("idemtest.bump", { amount: 1 }, { meta: { clubId: other, idempotencyKey: "shared" } });
		assert.notEqual(a.n, b.n);
	});

	it("when the key is missing where required, then 400 IDEMPOTENCY_KEY_REQUIRED", async () => {
		await assert.rejects(broker.call("idemtest.bump", { amount: 1 }, { meta: meta() }), (e: any) => e.code === 400 && e.type === "IDEMPOTENCY_KEY_REQUIRED");
	});

	it("when the first answer was a 4xx, then a retry gets the same 4xx and its writes were undone", async () => {
		const before = await broker.call("idemtest.value", {}, { meta: meta() });
		await assert.rejects(broker.call("idemtest.refuse", {}, { meta: meta("r1") }), (e: any) => e.type === "NOPE");
		await assert.rejects(broker.call("idemtest.refuse", {}, { meta: meta("r1") }), (e: any) => e.type === "NOPE" && e.code === 409);
		assert.equal(await broker.call("idemtest.value", {}, { meta: meta() }), before);
	});

	it("when the first run failed with a server error, then nothing is stored and a retry runs again", async () => {
		await assert.rejects(broker.call("idemtest.crash", {}, { meta: meta("c1") }), TypeError);
		assert.deepEqual(await broker.call("idemtest.crash", {}, { meta: meta("c1") }), { ok: true });
	});
});
