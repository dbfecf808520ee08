/**
 * Gives a service its own knex, bound to its own Postgres schema, and runs its migrations
 * (migrations/<folder>/) at start under an advisory lock, so replicas starting together
 * never race on the migrations table. No service ever touches another's schema.
 *
 *   mixins: [DbMixin({ schema: "wallets" })]   ->   this.db (Knex), this.dbSchema
 */
import fs from "node:fs";
import path from "node:path";
import knex, { type Knex } from "knex";
import pg from "pg";
import type { ServiceSchema } from "moleculer";
import { readEnv } from "../moleculer.config";

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
	/** Max pooled connections (default: DB_POOL_MAX, 10). At least 2. */
	poolMax?: number;
}

export interface DbMethods {
	db: Knex;
	dbSchema: string;
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
export async function migrate(url: string, schema: string, folder = schema): Promise<string[]> {
	const lockClient = new pg.Client({ connectionString: url });
	await lockClient.connect();
	const db = knex({ client: "pg", connection: url, searchPath: [schema, "public"], pool: { min: 0, max: 2 } });
	try {
		await lockClient.query("SELECT pg_advisory_lock($1)", [lockKey(schema)]);
		await db.raw("CREATE SCHEMA IF NOT EXISTS ??", [schema]);
		const [, applied] = await db.migrate.latest({
			schemaName: schema,
			tableName: "knex_migrations",
			migrationSource: new FolderMigrationSource(path.join(MIGRATIONS_ROOT, folder)),
		});
		return applied as string[];
	} finally {
		await db.destroy();
		await lockClient.query("SELECT pg_advisory_unlock($1)", [lockKey(schema)]).catch(() => undefined);
		await lockClient.end().catch(() => undefined);
	}
}

export function DbMixin(opts: DbMixinOptions): Partial<ServiceSchema> {
	const folder = opts.folder ?? opts.schema;
	return {
		async started(this: any) {
			const url = databaseUrl();
			const applied = await migrate(url, opts.schema, folder);
			if (applied.length) this.logger.info(`Schema '${opts.schema}': applied ${applied.join(", ")}`);
			this.dbSchema = opts.schema;
			this.db = knex({
				client: "pg",
				connection: url,
				searchPath: [opts.schema, "public"],
				pool: { min: 0, max: Math.max(2, opts.poolMax ?? readEnv().dbPoolMax) },
			});
		},
		async stopped(this: any) {
			if (this.db) await this.db.destroy();
			this.db = null;
		},
	};
}
