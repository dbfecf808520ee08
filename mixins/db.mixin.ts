/**
 * Gives a service its own knex, bound to its own Postgres schema, and runs its migrations
 * (migrations/<folder>/) at start under an advisory lock, so replicas starting together
 * never race on the migrations table. No service ever touches another's schema.
 *
 *   mixins: [DbMixin({ schema: "wallets" })]   ->   this.db (Knex), this.dbSchema
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import knex, { type Knex } from "knex";
import pg from "pg";
import type { ServiceSchema } from "moleculer";
import { readEnv } from "../moleculer.config";
import { defineMixin, type AppService } from "../lib/service";
import { advisoryLock, advisoryUnlock, canCreateRoles, createSchema, currentDatabase, grantServiceRole } from "./db.queries";

// pg returns bigint (int8) and numeric as strings; our bigints are money and counts far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, v => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, v => Number(v));
// Dates (no time) stay YYYY-MM-DD strings, as the API speaks them.
pg.types.setTypeParser(pg.types.builtins.DATE, v => v);

export interface DbMixinOptions {
	/** Postgres schema owned by the service (snake_case). */
	schema: string;
	/** Folder under migrations/ (default: the schema name). */
	folder?: string;
	/** An absolute migrations folder instead (tests). */
	dir?: string;
	/** Tables the service's role may only read, lock and append to (no UPDATE of data, DELETE, TRUNCATE): ledgers. Each needs an `id` column. */
	appendOnly?: string[];
	/** Max pooled connections (default: DB_POOL_MAX, 10). At least 2. */
	poolMax?: number;
}

/** What DbMixin gives a service's `this`. */
export interface DbMembers {
	db: Knex;
	dbSchema: string;
	/** Closed before the pool, whichever mixin stops first (the outbox relay adds its stop here). */
	beforeDbClose?: Array<() => Promise<void>>;
}

const MIGRATIONS_ROOT = path.resolve(__dirname, "..", "migrations");

/** Lists migrations/<folder>/*.ts in name order and loads them with the running loader (tsx). */
class FolderMigrationSource implements Knex.MigrationSource<string> {
	constructor(private readonly dir: string) {}
	async getMigrations(): Promise<string[]> {
		if (!fs.existsSync(this.dir)) return [];
		return fs
			.readdirSync(this.dir)
			.filter(f => /\.(ts|js)$/.test(f) && !f.endsWith(".d.ts"))
			.sort();
	}
	getMigrationName(file: string): string {
		return file.replace(/\.(ts|js)$/, "");
	}
	async getMigration(file: string): Promise<Knex.Migration> {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		return require(path.join(this.dir, file));
	}
}

/** A stable 32-bit key per schema for pg_advisory_lock. */
function lockKey(schema: string): number {
	let h = 0x811c9dc5;
	for (const ch of `clubhouse:migrate:${schema}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
	return h | 0;
}

export function databaseUrl(): string {
	const url = readEnv().databaseUrl;
	if (!url) {
		throw Object.assign(new Error("DATABASE_URL is not set (npm start sets it for the embedded PostgreSQL)"), {
			name: "ConfigError",
		});
	}
	return url;
}

/** Creates the schema and runs the folder's migrations while holding a session advisory lock. */
async function migrate(url: string, schema: string, folder = schema, dir = path.join(MIGRATIONS_ROOT, folder)): Promise<string[]> {
	const lockClient = new pg.Client({ connectionString: url });
	await lockClient.connect();
	const db = knex({ client: "pg", connection: url, searchPath: [schema, "public"], pool: { min: 0, max: 2 } });
	try {
		await advisoryLock(lockClient, lockKey(schema));
		await createSchema(db, schema);
		const [, applied] = await db.migrate.latest({
			schemaName: schema,
			tableName: "knex_migrations",
			migrationSource: new FolderMigrationSource(dir),
		});
		return applied as string[];
	} finally {
		await db.destroy();
		await advisoryUnlock(lockClient, lockKey(schema)).catch(() => undefined);
		await lockClient.end().catch(() => undefined);
	}
}

/** The login role a service runs as: it can use its own schema and nothing else. */
export function serviceRoleName(schema: string): string {
	return `clubhouse_svc_${schema}`.slice(0, 63);
}

/**
 * Least privilege: when the configured user may create roles, each service gets its own
 * login role with rights on its own schema only (tables, sequences, functions), and its
 * pool connects as that role; migrations still run as the configured user. Returns the URL
 * the service should use (the configured one when roles cannot be made, or DB_SERVICE_ROLES=off).
 */
async function serviceRoleUrl(url: string, schema: string, appendOnly: string[] = []): Promise<string> {
	if (readEnv().dbServiceRoles === "off") return url;
	const admin = new pg.Client({ connectionString: url });
	await admin.connect();
	try {
		if (!(await canCreateRoles(admin))) return url;
		const role = serviceRoleName(schema);
		const parsed = new URL(url);
		const password = crypto.createHmac("sha256", `${parsed.password}|${parsed.username}`).update(`clubhouse-role:${schema}`).digest("hex");
		const database = await currentDatabase(admin);
		await advisoryLock(admin, lockKey("roles"));
		try {
			await grantServiceRole(admin, { role, password, schema, database, appendOnly });
		} finally {
			await advisoryUnlock(admin, lockKey("roles"));
		}
		parsed.username = role;
		parsed.password = password;
		return parsed.toString();
	} finally {
		await admin.end().catch(() => undefined);
	}
}

export function DbMixin(opts: DbMixinOptions): Partial<ServiceSchema> {
	const folder = opts.folder ?? opts.schema;
	// db is null once stopped (the mixin's members promise a Knex to the running service).
	return defineMixin<AppService & Omit<DbMembers, "db"> & { db: Knex | null }>({
		async started() {
			const url = databaseUrl();
			const applied = await migrate(url, opts.schema, folder, opts.dir);
			if (applied.length) this.logger.info(`Schema '${opts.schema}': applied ${applied.join(", ")}`);
			this.dbSchema = opts.schema;
			this.db = knex({
				client: "pg",
				connection: await serviceRoleUrl(url, opts.schema, opts.appendOnly),
				searchPath: [opts.schema, "public"],
				pool: { min: 0, max: Math.max(2, opts.poolMax ?? readEnv().dbPoolMax) },
			});
		},
		async stopped() {
			// Whatever still uses the pool finishes first (the outbox relay), whichever mixin stops first.
			for (const close of this.beforeDbClose ?? []) await close();
			if (this.db) await this.db.destroy();
			this.db = null;
		},
	});
}
