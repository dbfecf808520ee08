/** The gateway's only SQL: /ready's database check, on its own one-connection pool (ops-routes.ts). */
import type pg from "pg";

export async function ping(pool: pg.Pool): Promise<void> {
	await pool.query("SELECT 1");
}
