/**
 * The console's end-to-end tests: Debian's Chromium driven by playwright-core against the real
 * gateway (the shared app of test/support/app.ts, real PostgreSQL) serving console/dist.
 *   - consoleApp(): builds the console when stale, starts the app, launches one browser;
 *   - signedIn(role): a browser context whose session cookie was opened with that role's key
 *     (POST /session, as the sign-in form does) on a fresh club;
 *   - expectNoSeriousA11yViolations(page): axe-core, injected, no serious or critical finding.
 */
import fs from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { app, newClub, type Running, type TestClub } from "../support/app";
import { buildConsole } from "../../scripts/console-build";
import { chromiumBinary } from "../support/infra";

export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

let browser: Promise<Browser> | null = null;

export interface ConsoleApp {
	running: Running;
	browser: Browser;
	baseUrl: string;
}

export async function consoleApp(): Promise<ConsoleApp> {
	buildConsole();
	const running = await app();
	browser = browser ?? chromium.launch({ executablePath: chromiumBinary(), args: CHROMIUM_ARGS, headless: true });
	return { running, browser: await browser, baseUrl: running.baseUrl };
}

export async function closeBrowser(): Promise<void> {
	const b = browser;
	browser = null;
	if (b) await (await b).close().catch(() => undefined);
}

export interface Desk {
	club: TestClub;
	context: BrowserContext;
	page: Page;
}

/** A fresh club (unless given) and a page signed in with the key of `role`. */
export async function signedIn(ca: ConsoleApp, role: "admin" | "staff" | "viewer", club?: TestClub, opts: { locale?: string } = {}): Promise<Desk> {
	club = club ?? (await newClub(ca.running.http));
	const context = await ca.browser.newContext({ baseURL: ca.baseUrl, bypassCSP: true, locale: opts.locale ?? "en-GB", viewport: { width: 1280, height: 860 } });
	const res = await context.request.post("/api/v1/session", { data: { apiKey: club[role] } });
	assert.equal(res.status(), 200, `sign-in with the ${role} key: ${res.status()} ${await res.text()}`);
	const page = await context.newPage();
	return { club, context, page };
}

export async function newContext(ca: ConsoleApp, locale = "en-GB"): Promise<BrowserContext> {
	return ca.browser.newContext({ baseURL: ca.baseUrl, bypassCSP: true, locale, viewport: { width: 1280, height: 860 } });
}

const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** axe-core on the page as it is: no serious or critical violation. */
export async function expectNoSeriousA11yViolations(page: Page, what: string): Promise<void> {
	if (!(await page.evaluate(() => typeof (window as any).axe !== "undefined"))) await page.addScriptTag({ content: AXE });
	const violations = await page.evaluate(async () => {
		const r = await (window as any).axe.run(document, { resultTypes: ["violations"] });
		return r.violations.map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n: any) => n.target.join(" ")) }));
	});
	const serious = violations.filter((v: any) => v.impact === "serious" || v.impact === "critical");
	assert.deepEqual(serious, [], `${what}: axe found ${JSON.stringify(serious, null, 1)}`);
}

/** Screenshots for the README when SCREENSHOTS=<dir> is set (never in a normal run). */
export async function screenshot(page: Page, name: string): Promise<void> {
	const dir = process.env.SCREENSHOTS;
	if (!dir) return;
	fs.mkdirSync(dir, { recursive: true });
	await page.screenshot({ path: path.join(dir, `${name}.png`) });
}
