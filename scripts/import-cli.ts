/**
 * Operator CLI: streams a CSV file through the API (POST /imports), then follows the job
 * with a live progress bar and prints the summary (and where to get the row errors).
 *
 *   npm run import -- clients.csv [--url http://localhost:3000] [--key chk_…]
 *                     [--on-duplicate skip|update] [--delimiter auto|,|;|tab]
 *                     [--encoding auto|utf-8|windows-1252] [--group-id ID] [--tags a,b]
 *                     [--dry-run] [--errors errors.csv]
 *
 * The key may also come from CLUBHOUSE_API_KEY. Exit code: 0 completed, 1 failed or cancelled, 2 usage.
 */
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";

interface Args {
	file: string;
	url: string;
	key: string;
	query: Record<string, string>;
	errorsFile: string | null;
}

const USAGE = `Usage: npm run import -- FILE [--url http://localhost:3000] [--key chk_…] [--on-duplicate skip|update]
       [--delimiter auto|,|;|tab] [--encoding auto|utf-8|windows-1252] [--group-id ID] [--tags a,b] [--dry-run] [--errors FILE]`;

function usage(message?: string): never {
	if (message) process.stderr.write(`${message}\n`);
	process.stderr.write(`${USAGE}\n`);
	process.exit(2);
}

function parseArgs(argv: string[]): Args {
	const query: Record<string, string> = {};
	let file: string | null = null;
	let url = "http://localhost:3000";
	let key = process.env.CLUBHOUSE_API_KEY ?? "";
	let errorsFile: string | null = null;
	const options: Record<string, string> = { "--on-duplicate": "onDuplicate", "--delimiter": "delimiter", "--encoding": "encoding", "--group-id": "groupId", "--tags": "tags" };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
		const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
		if (flag === "--url") url = value();
		else if (flag === "--key") key = value();
		else if (flag === "--errors") errorsFile = value();
		else if (flag === "--dry-run") query.dryRun = "true";
		else if (flag === "--help" || flag === "-h") usage();
		else if (options[flag]) query[options[flag]] = value();
		else if (flag.startsWith("-")) usage(`Unknown option ${flag}`);
		else if (!file) file = a;
		else usage(`Only one file, got ${file} and ${a}`);
	}
	if (!file) usage("Which file?");
	if (!key) usage("An API key is needed: --key chk_… (or CLUBHOUSE_API_KEY)");
	return { file, url: url.replace(/\/+$/, ""), key, query, errorsFile };
}

function bar(done: number, total: number, width = 30): string {
	const ratio = total > 0 ? Math.min(1, done / total) : 0;
	const full = Math.round(ratio * width);
	return `[${"#".repeat(full)}${"-".repeat(width - full)}] ${(ratio * 100).toFixed(1).padStart(5)}%`;
}

const fmt = (n: number) => n.toLocaleString("en-US");

async function main(): Promise<void> {
	const args = parseArgs(process.argv.slice(2));
	const stat = fs.statSync(args.file, { throwIfNoEntry: false });
	if (!stat?.isFile()) usage(`No such file: ${args.file}`);
	const headers = { authorization: `Bearer ${args.key}` };
	const query = new URLSearchParams({ ...args.query, fileName: path.basename(args.file) });
	const tty = process.stdout.isTTY;
	process.stdout.write(`Uploading ${args.file} (${fmt(stat.size)} bytes) to ${args.url} ...\n`);
	const started = Date.now();
	const res = await fetch(`${args.url}/api/v1/imports?${query}`, {
		method: "POST",
		headers: { ...headers, "content-type": "text/csv", "content-length": String(stat.size) },
		body: Readable.toWeb(fs.createReadStream(args.file)) as any,
		duplex: "half",
	} as RequestInit);
	const body: any = await res.json().catch(() => ({}));
	if (res.status !== 202) {
		process.stderr.write(`Upload refused: ${res.status} ${body.type ?? ""} ${body.message ?? ""}\n`);
		if (Array.isArray(body.data)) for (const d of body.data) process.stderr.write(`  ${d.field}: ${d.message}\n`);
		process.exit(1);
	}
	process.stdout.write(`Job ${body.id}: file read in ${((Date.now() - started) / 1000).toFixed(1)} s, ${fmt(body.totalRows)} rows.\n`);
	let job = body;
	let lastLine = "";
	while (!["completed", "failed", "cancelled"].includes(job.status)) {
		await new Promise(r => setTimeout(r, 500));
		const poll = await fetch(`${args.url}/api/v1/imports/${job.id}`, { headers });
		if (poll.status === 503) continue;
		if (poll.status !== 200) {
			process.stderr.write(`\nGET /imports/${job.id}: ${poll.status}\n`);
			process.exit(1);
		}
		job = await poll.json();
		const line = `${bar(job.processedRows, job.totalRows)} ${fmt(job.processedRows)}/${fmt(job.totalRows)} rows, ${fmt(job.rowsPerSecond)} rows/s`;
		if (tty) process.stdout.write(`\r${line}`);
		else if (line !== lastLine) process.stdout.write(`${line}\n`);
		lastLine = line;
	}
	if (tty) process.stdout.write(`\r${bar(job.processedRows, job.totalRows)} ${fmt(job.processedRows)}/${fmt(job.totalRows)} rows\n`);
	const seconds = ((Date.now() - started) / 1000).toFixed(1);
	process.stdout.write(
		[
			`Import ${job.status} in ${seconds} s${job.options?.dryRun ? " (dry run: nothing written)" : ""}`,
			`  rows:     ${fmt(job.totalRows)}`,
			`  created:  ${fmt(job.created)}`,
			`  updated:  ${fmt(job.updated)}`,
			`  skipped:  ${fmt(job.skipped)}`,
			`  failed:   ${fmt(job.failed)}`,
			`  speed:    ${fmt(job.rowsPerSecond)} rows/s`,
			...(job.error ? [`  error:    ${job.error}`] : []),
			...job.warnings.map((w: string) => `  warning:  ${w}`),
			"",
		].join("\n"),
	);
	if (job.failed > 0) {
		const errorsUrl = `${args.url}/api/v1/imports/${job.id}/errors?format=csv`;
		if (args.errorsFile) {
			const csv = await fetch(errorsUrl, { headers });
			fs.writeFileSync(args.errorsFile, Buffer.from(await csv.arrayBuffer()));
			process.stdout.write(`Row errors written to ${args.errorsFile}\n`);
		} else {
			process.stdout.write(`Row errors: curl -H 'Authorization: Bearer …' '${errorsUrl}'  (or --errors FILE)\n`);
		}
	}
	process.exit(job.status === "completed" ? 0 : 1);
}

main().catch(err => {
	process.stderr.write(`import: ${err?.cause?.code === "ECONNREFUSED" ? "cannot reach the API (is it running? --url)" : err?.message ?? err}\n`);
	process.exit(1);
});
