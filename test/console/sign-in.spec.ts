/**
 * Signing in, in Chromium against the real gateway: with an API key (sent once, never stored by
 * the page) or as a staff member with e-mail and password; errors in words; signing out.
 */
import assert from "node:assert/strict";
import { newClub } from "../support/app";
import { closeBrowser, consoleApp, expectNoSeriousA11yViolations, newContext, screenshot, type ConsoleApp } from "./support";

describe("console: sign-in", function () {
	this.timeout(120_000);
	let ca: ConsoleApp;
	before(async function () {
		// The first spec may build the console (npm test builds it beforehand).
		this.timeout(600_000);
		ca = await consoleApp();
	});
	after(closeBrowser);

	it("when someone opens the console, then it asks for e-mail and password or an API key, accessibly", async () => {
		const context = await newContext(ca);
		const page = await context.newPage();
		await page.goto("/");
		await page.getByRole("textbox", { name: "Email" }).waitFor();
		await page.getByLabel("Password").waitFor();
		await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
		await page.getByLabel("API key").waitFor();
		await page.getByRole("button", { name: "Sign in with API key" }).waitFor();
		await page.getByRole("combobox", { name: "Language" }).waitFor();
		await expectNoSeriousA11yViolations(page, "sign-in");
		await screenshot(page, "sign-in");
		await context.close();
	});

	it("when the front desk signs in with an API key, then the clients screen opens and the key is kept nowhere in the page", async () => {
		const club = await newClub(ca.running.http);
		const context = await newContext(ca);
		const page = await context.newPage();
		await page.goto("/clients");
		await page.getByLabel("API key").fill("chk_not_a_key");
		await page.getByRole("button", { name: "Sign in with API key" }).click();
		await page.getByRole("alert").filter({ hasText: "Wrong" }).or(page.getByRole("alert").filter({ hasText: "unknown" })).first().waitFor();
		await page.getByLabel("API key").fill(club.staff);
		await page.getByRole("button", { name: "Sign in with API key" }).click();
		await page.getByRole("searchbox", { name: "Search clients" }).waitFor();
		for (const name of ["Clients", "Groups", "Categories", "Imports", "Settings"]) await page.getByRole("navigation").getByRole("link", { name, exact: true }).waitFor();
		const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
		assert.ok(!stored.includes(club.staff), "the key is not in storage nor in a script-readable cookie");
		const cookie = (await context.cookies()).find(c => c.name === "clubhouse_session");
		assert.ok(cookie?.httpOnly, "the session is an HttpOnly cookie");
		await page.reload();
		await page.getByRole("searchbox", { name: "Search clients" }).waitFor();
		await page.getByRole("button", { name: "Sign out" }).click();
		await page.getByRole("button", { name: "Sign in with API key" }).waitFor();
		assert.equal((await page.request.get("/api/v1/clients")).status(), 401, "the session ended on the server");
		await context.close();
	});

	it("when a staff member signs in with e-mail and password, then their name shows; a wrong password is said in words", async () => {
		const club = await newClub(ca.running.http);
		const invited = await ca.running.http.post("/staff", { name: "Ana Front", email: "ana@example.com", role: "staff" }, { key: club.admin });
		assert.equal(invited.status, 201, invited.text);
		const password = "correct horse battery staple 42";
		const accepted = await ca.running.http.post("/staff/accept", { token: invited.body.invitation.token, password });
		assert.equal(accepted.status, 200, accepted.text);
		const context = await newContext(ca);
		const page = await context.newPage();
		await page.goto("/");
		await page.getByRole("textbox", { name: "Email" }).fill("ana@example.com");
		await page.getByLabel("Password").fill("not the password at all");
		await page.getByRole("button", { name: "Sign in", exact: true }).click();
		await page.getByRole("alert").filter({ hasText: "Wrong e-mail or password" }).waitFor();
		await page.getByLabel("Password").fill(password);
		await page.getByRole("button", { name: "Sign in", exact: true }).click();
		await page.getByText("Ana Front").waitFor();
		await page.getByRole("searchbox", { name: "Search clients" }).waitFor();
		await context.close();
	});
});
