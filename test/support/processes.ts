/**
 * Runs `npm start`'s command (`node --require tsx/cjs index.ts`) as real child processes, as an
 * operator would. tsx's CommonJS hook, not `--import tsx`: the ESM loader keeps a second V8
 * isolate alive in every node (about 40 MB of RSS each) that this CommonJS project never needs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export interface Proc {
	child: ChildProcess;
	output(): string;
	waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
	kill(signal?: NodeJS.Signals): Promise<number | null>;
}

const ROOT = path.resolve(__dirname, "..", "..");

export function startProcess(env: Record<string, string | undefined>): Proc {
	const clean: Record<string, string> = {};
	for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) clean[k] = v;
	const child = spawn(process.execPath, ["--require", "tsx/cjs", "index.ts"], { cwd: ROOT, env: clean, stdio: ["ignore", "pipe", "pipe"] });
	let out = "";
	child.stdout!.on("data", d => (out += d.toString()));
	child.stderr!.on("data", d => (out += d.toString()));
	return {
		child,
		output: () => out,
		waitFor(re, ms = 30_000) {
			return new Promise((resolve, reject) => {
				const started = Date.now();
				const tick = () => {
					const m = out.match(re);
					if (m) return resolve(m);
					if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`process exited (${child.exitCode}) before ${re}:\n${out}`));
					if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${re}:\n${out}`));
					setTimeout(tick, 50);
				};
				tick();
			});
		},
		kill(signal = "SIGTERM") {
			return new Promise(resolve => {
				if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
				child.once("exit", code => resolve(code));
				child.kill(signal);
			});
		},
	};
}
