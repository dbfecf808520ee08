/**
 * The front desk at the clients screens, in Chromium against the real gateway: search as you
 * type, a bulk move, a new client with its errors, a taken e-mail, the panel with a top-up
 * that survives a double click, a deletion refused while money is left.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { createClient } from "../support/factories";
import { closeBrowser, consoleApp, expectNoSeriousA11yViolations, screenshot, signedIn, type ConsoleApp, type Desk } from "./support";

describe("console: clients", function () {
	this.timeout(120_000);
	let ca: ConsoleApp;
	let desk: Desk;
	let page: Page;
	before(async function () {
		// The first spec may build the console (npm test builds it beforehand).
		this.timeout(600_000);
		ca = await consoleApp();
		desk = await signedIn(ca, "staff");
		page = desk.page;
		await createClient(ca.running.http, desk.club.admin, { fullName: "Lucía Martín", email: "lucia@example.com", phone: "+34612000001", tags: ["junior"] });
		await createClient(ca.running.http, desk.club.admin, { fullName: "Marta Ruiz", email: "marta@example.com", phone: "+34612000002" });
		await createClient(ca.running.http, desk.club.admin, { fullName: "Pablo Gómez", email: "pablo@example.com", phone: "+34612000003", gender: "male" });
	});
	after(async () => {
		await desk?.context.close();
		await closeBrowser();
	});

	it("when the front desk types in the search box, then the list narrows as they type (name, e-mail or phone)", async () => {
		await page.goto("/clients");
		for (const name of ["Name", "Email", "Phone", "Group"]) await page.getByRole("columnheader", { name, exact: true }).waitFor();
		await page.getByRole("link", { name: "Pablo Gómez" }).waitFor();
		await expectNoSeriousA11yViolations(page, "clients list");
		await screenshot(page, "clients");
		await page.getByRole("searchbox", { name: "Search clients" }).pressSequentially("marti", { delay: 40 });
		await page.getByRole("link", { name: "Pablo Gómez" }).waitFor({ state: "detached" });
		assert.equal(await page.getByRole("link", { name: "Lucía Martín" }).count(), 1);
		await page.getByRole("searchbox", { name: "Search clients" }).fill("612000002");
		await page.getByRole("link", { name: "Marta Ruiz" }).waitFor();
		await page.getByRole("link", { name: "Lucía Martín" }).waitFor({ state: "detached" });
		await page.getByRole("searchbox", { name: "Search clients" }).fill("");
		await page.getByRole("link", { name: "Pablo Gómez" }).waitFor();
	});

	it("when two clients are selected and moved to a group, then both show that group", async () => {
		const res = await ca.running.http.post("/groups", { name: "Juniors" }, { key: desk.club.admin });
		assert.equal(res.status, 201);
		await page.goto("/clients");
		await page.getByRole("checkbox", { name: "Select Lucía Martín" }).check();
		await page.getByRole("checkbox", { name: "Select Marta Ruiz" }).check();
		await page.getByRole("button", { name: "Move to group" }).click();
		const dialog = page.getByRole("dialog");
		await dialog.getByRole("combobox", { name: "Group" }).selectOption({ label: "Juniors" });
		await expectNoSeriousA11yViolations(page, "move dialog");
		await dialog.getByRole("button", { name: "Move" }).click();
		await page.getByRole("status").filter({ hasText: "2 clients moved" }).waitFor();
		const rowOf = (name: string) => page.getByRole("row").filter({ has: page.getByRole("link", { name }) });
		await rowOf("Lucía Martín").getByText("Juniors").waitFor();
		await rowOf("Marta Ruiz").getByText("Juniors").waitFor();
		assert.equal(await rowOf("Pablo Gómez").getByText("Juniors").count(), 0);
	});

	it("when a new client is saved empty, then each required field says what is missing; filled in, the client's panel opens", async () => {
		await page.goto("/clients");
		await page.getByRole("button", { name: "New client" }).click();
		await page.getByRole("button", { name: "Save" }).click();
		const fullName = page.getByRole("textbox", { name: "Full name" });
		await page.waitForFunction(() => document.querySelector('input[aria-invalid="true"]'));
		assert.equal(await fullName.getAttribute("aria-invalid"), "true");
		const described = await fullName.evaluate(el => (el.getAttribute("aria-describedby") ?? "").split(" ").map(id => document.getElementById(id)?.textContent ?? "").join(" "));
		assert.match(described, /required/i);
		await expectNoSeriousA11yViolations(page, "client form with errors");
		await screenshot(page, "client-form");
		await fullName.fill("Nora Vidal");
		await page.getByRole("textbox", { name: "Email" }).fill("  Nora@Example.com ");
		await page.getByRole("textbox", { name: "Phone" }).fill("612 000 004");
		await page.getByRole("combobox", { name: "Gender" }).selectOption("female");
		await page.getByRole("combobox", { name: "Country" }).selectOption("ES");
		await page.getByLabel("Birth date").fill("1990-05-17");
		await page.getByRole("textbox", { name: "Notes" }).fill("Prefers evening courts");
		await page.getByRole("button", { name: "Save" }).click();
		await page.getByRole("heading", { name: "Nora Vidal" }).waitFor();
		await page.getByRole("heading", { name: "Bookings" }).waitFor();
		await page.getByRole("heading", { name: "Wallets" }).waitFor();
		await page.getByText("nora@example.com").waitFor();
		await page.getByText("+34612000004").waitFor();
	});

	it("when a client is added with an e-mail already taken, then the form offers to open that client", async () => {
		await page.goto("/clients/new");
		await page.getByRole("textbox", { name: "Full name" }).fill("Lucia M.");
		await page.getByRole("textbox", { name: "Email" }).fill("lucia@example.com");
		await page.getByRole("textbox", { name: "Phone" }).fill("+34612000009");
		await page.getByRole("combobox", { name: "Gender" }).selectOption("female");
		await page.getByRole("button", { name: "Save" }).click();
		const alert = page.getByRole("alert").filter({ hasText: "already exists" });
		await alert.waitFor();
		await alert.getByRole("link", { name: "Open that client" }).click();
		await page.getByRole("heading", { name: "Lucía Martín" }).waitFor();
	});

	it("when the front desk tops up 20 with a double click, then the wallet holds 20 once; deleting the client is then refused in words", async () => {
		const c = await createClient(ca.running.http, desk.club.admin, { fullName: "Iker Sanz", email: "iker@example.com", phone: "+34612000005", gender: "male" });
		await page.goto(`/clients/${c.id}`);
		await page.getByRole("heading", { name: "Wallets" }).waitFor();
		await page.getByRole("button", { name: "Top up" }).click();
		const dialog = page.getByRole("dialog");
		await dialog.getByRole("textbox", { name: "Amount" }).fill("20");
		await expectNoSeriousA11yViolations(page, "top-up dialog");
		await dialog.getByRole("button", { name: "Top up" }).dblclick();
		await dialog.waitFor({ state: "detached" });
		await page.getByLabel("Balance in EUR").filter({ hasText: "€20.00" }).waitFor();
		const wallets = (await ca.running.http.get(`/clients/${c.id}/wallets`, { key: desk.club.admin })).body;
		const list = Array.isArray(wallets) ? wallets : wallets.items;
		assert.equal(list.length, 1);
		assert.equal(list[0].balance, 2000);
		const txs = (await ca.running.http.get(`/wallets/${list[0].id}/transactions`, { key: desk.club.admin })).body.items;
		assert.equal(txs.length, 1, "one top-up, not two");
		await expectNoSeriousA11yViolations(page, "client panel");
		await screenshot(page, "client-panel");

		await page.getByRole("button", { name: "Delete client" }).click();
		const del = page.getByRole("dialog");
		await del.getByText("still has €20.00").waitFor();
		await del.getByRole("button", { name: "Delete", exact: true }).click();
		await del.getByRole("alert").filter({ hasText: "still has money" }).waitFor();
		assert.equal((await ca.running.http.get(`/clients/${c.id}`, { key: desk.club.admin })).status, 200);
	});

	it("when a client without money is deleted, then it is gone from the list", async () => {
		const c = await createClient(ca.running.http, desk.club.admin, { fullName: "Olga Peña", email: "olga@example.com", phone: "+34612000006" });
		await page.goto(`/clients/${c.id}`);
		await page.getByRole("button", { name: "Delete client" }).click();
		await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
		await page.getByRole("searchbox", { name: "Search clients" }).waitFor();
		assert.equal((await ca.running.http.get(`/clients/${c.id}`, { key: desk.club.admin })).status, 404);
		assert.equal(await page.getByRole("link", { name: "Olga Peña" }).count(), 0);
	});

	it("when the desk books a weekly series of three, then three upcoming bookings show; cancelling the series cancels them all", async () => {
		const c = await createClient(ca.running.http, desk.club.admin, { fullName: "Teo Vidal", email: "teo@example.com", phone: "+34612000007", gender: "male" });
		await page.goto(`/clients/${c.id}`);
		await page.getByRole("button", { name: "New booking" }).click();
		const dialog = page.getByRole("dialog");
		await dialog.getByRole("textbox", { name: "Product ID" }).fill("court-1");
		const start = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10) + "T19:00";
		await dialog.getByLabel("Starts at").fill(start);
		await dialog.getByRole("combobox", { name: "Repeat" }).selectOption("weekly");
		await dialog.getByRole("textbox", { name: "Occurrences" }).fill("3");
		await expectNoSeriousA11yViolations(page, "booking dialog");
		await dialog.getByRole("button", { name: "Book" }).click();
		await dialog.waitFor({ state: "detached" });
		const bookings = page.getByRole("region", { name: "Bookings" }).or(page.locator("section.bookings"));
		await bookings.getByText("Recurring").nth(2).waitFor();
		const list = (await ca.running.http.get(`/clients/${c.id}/bookings?scope=future`, { key: desk.club.admin })).body.items;
		assert.equal(list.length, 3);
		assert.equal(new Set(list.map((b: any) => b.seriesId)).size, 1);
		await bookings.getByRole("button", { name: "Cancel the series" }).first().click();
		await bookings.getByText("Cancelled").nth(2).waitFor();
		const after = (await ca.running.http.get(`/clients/${c.id}/bookings?scope=future`, { key: desk.club.admin })).body.items;
		assert.deepEqual(after.map((b: any) => b.status), ["cancelled", "cancelled", "cancelled"]);
	});

	it("when a client has a likely duplicate, then the panel lists it and merging erases the duplicate into the client kept", async () => {
		const kept = await createClient(ca.running.http, desk.club.admin, { fullName: "Rosa Prieto", email: "rosa@example.com", phone: "+34612000008", tags: ["vip"] });
		const dup = await createClient(ca.running.http, desk.club.admin, { fullName: "Rosa Prieto", email: "rosa.p@example.com", phone: "+34612000008", tags: ["league"] });
		await page.goto(`/clients/${kept.id}`);
		const section = page.locator("section.duplicates");
		await section.getByRole("heading", { name: "Possible duplicates" }).waitFor();
		await section.getByText("same phone").waitFor();
		await section.getByRole("button", { name: "Merge Rosa Prieto into this client" }).click();
		const dialog = page.getByRole("dialog");
		await dialog.getByText("Will move:").waitFor();
		await dialog.getByRole("button", { name: "Merge" }).click();
		await dialog.waitFor({ state: "detached" });
		assert.equal((await ca.running.http.get(`/clients/${dup.id}`, { key: desk.club.admin })).status, 404);
		assert.deepEqual((await ca.running.http.get(`/clients/${kept.id}`, { key: desk.club.admin })).body.tags.sort(), ["league", "vip"]);
	});

	it("when a payment is refunded in part, then the wallet gets that amount back once", async () => {
		const c = await createClient(ca.running.http, desk.club.admin, { fullName: "Sara Ortiz", email: "sara@example.com", phone: "+34612000010" });
		const w = await ca.running.http.post(`/clients/${c.id}/wallets`, { currency: "EUR" }, { key: desk.club.admin });
		await ca.running.http.post(`/wallets/${w.body.id}/top-up`, { amount: 3000 }, { key: desk.club.admin, idempotencyKey: "t1" });
		await ca.running.http.post(`/wallets/${w.body.id}/debit`, { amount: 1200, reference: "court 3" }, { key: desk.club.admin, idempotencyKey: "d1" });
		await page.goto(`/clients/${c.id}`);
		await page.getByLabel("Balance in EUR").filter({ hasText: "€18.00" }).waitFor();
		await page.getByRole("button", { name: "Refund" }).click();
		const dialog = page.getByRole("dialog");
		await dialog.getByRole("textbox", { name: "Amount" }).fill("5");
		await dialog.getByRole("button", { name: "Refund" }).dblclick();
		await dialog.waitFor({ state: "detached" });
		await page.getByLabel("Balance in EUR").filter({ hasText: "€23.00" }).waitFor();
		const txs = (await ca.running.http.get(`/wallets/${w.body.id}/transactions`, { key: desk.club.admin })).body.items;
		assert.deepEqual(txs.map((x: any) => x.type), ["refund", "debit", "top_up"]);
	});
});
