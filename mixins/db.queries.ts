/**
 * The statements DbMixin runs as the configured (migrating) user before a service starts: the
 * advisory locks around schema setup, the schema itself and the service's least-privilege role.
 */
import type { Knex } from "knex";
import type pg from "pg";

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Session advisory lock (held on this one connection until unlocked). */
export async function advisoryLock(client: pg.Client, key: number): Promise<void> {
	await client.query("SELECT pg_advisory_lock($1)", [key]);
}

export async function advisoryUnlock(client: pg.Client, key: number): Promise<void> {
	await client.query("SELECT pg_advisory_unlock($1)", [key]);
}

export async function createSchema(db: Knex, schema: string): Promise<void> {
	await db.raw("CREATE SCHEMA IF NOT EXISTS ??", [schema]);
}

/** May the connected user create roles (superuser or CREATEROLE)? */
export async function canCreateRoles(client: pg.Client): Promise<boolean> {
	const me = await client.query("SELECT rolsuper OR rolcreaterole AS can FROM pg_roles WHERE rolname = current_user");
	return !!me.rows[0]?.can;
}

export async function currentDatabase(client: pg.Client): Promise<string> {
	return (await client.query("SELECT current_database() AS db")).rows[0].db as string;
}

/**
 * Creates (or resets) the service's login role with rights on its own schema only: tables,
 * sequences, functions; `appendOnly` tables lose UPDATE/DELETE/TRUNCATE but keep UPDATE (id),
 * which SELECT … FOR UPDATE (row locks) needs and a trigger still guards.
 */
export async function grantServiceRole(client: pg.Client, r: { role: string; password: string; schema: string; database: string; appendOnly: string[] }): Promise<void> {
	const [role, schema] = [ident(r.role), ident(r.schema)];
	const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [r.role]);
	if (!exists.rowCount) await client.query(`CREATE ROLE ${role} LOGIN`);
	await client.query(`ALTER ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${r.password}'`);
	await client.query(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
	await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(r.database)} TO ${role}`);
	await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
	await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${role}`);
	await client.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role}`);
	await client.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${schema} TO ${role}`);
	for (const table of r.appendOnly) {
		await client.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${schema}.${ident(table)} FROM ${role}`);
		await client.query(`GRANT UPDATE (id) ON ${schema}.${ident(table)} TO ${role}`);
	}
}
