/**
 * A manager at the groups and categories screens: the list with client counts, External locked
 * and the default marked; add and edit a group's policies; delete one moving its clients;
 * choose the default; categories and product access. Partly by keyboard only.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { closeBrowser, consoleApp, expectNoSeriousA11yViolations, screenshot, signedIn, type ConsoleApp, type Desk } from "./support";

describe("console: groups, categories and product access", function () {
	this.timeout(120_000);
	let ca: ConsoleApp;
	let desk: Desk;
	let page: Page;
	const api = () => ca.running.http;
	const groupNamed = async (name: string) => ((await api().get("/groups", { key: desk.club.admin })).body.items as any[]).find(g => g.name === name);
	const rowOf = (name: string) => page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: new RegExp(name) }) });

	before(async function () {
		// The first spec may build the console (npm test builds it beforehand).
		this.timeout(600_000);
		ca = await consoleApp();
		desk = await signedIn(ca, "admin");
		page = desk.page;
	});
	after(async () => {
		await desk?.context.close();
		await closeBrowser();
	});

	it("when a manager adds a group with a limit, a VAT rate and fewer payment methods, then the list and the API show them", async () => {
		await page.goto("/groups");
		await rowOf("External").waitFor();
		await rowOf("Default").getByText("Default", { exact: true }).first().waitFor();
		await expectNoSeriousA11yViolations(page, "groups list");
		await page.getByRole("button", { name: "Add group" }).click();
		const dialog = page.getByRole("dialog");
		await dialog.getByRole("textbox", { name: "Name" }).fill("Juniors");
		await dialog.getByRole("textbox", { name: "Maximum future bookings" }).fill("3");
		await dialog.getByRole("textbox", { name: "VAT rate (%)" }).fill("21");
		await dialog.getByRole("checkbox", { name: "PayPal" }).uncheck();
		await expectNoSeriousA11yViolations(page, "group form");
		await screenshot(page, "group-form");
		await dialog.getByRole("button", { name: "Save" }).click();
		await dialog.waitFor({ state: "detached" });
		await rowOf("Juniors").getByText("21%").waitFor();
		const g = await groupNamed("Juniors");
		assert.equal(g.maxFutureBookings, 3);
		assert.equal(g.vatRate, 2100);
		assert.ok(!g.paymentMethods.includes("paypal") && g.paymentMethods.includes("card"));
		await screenshot(page, "groups");
	});

	it("when a taken name is saved, then the Name field says so", async () => {
		await page.getByRole("button", { name: "Add group" }).click();
		const dialog = page.getByRole("dialog");
		await dialog.getByRole("textbox", { name: "Name" }).fill("juniors");
		await dialog.getByRole("button", { name: "Save" }).click();
		await dialog.getByText("This name is already taken.").waitFor();
		assert.equal(await dialog.getByRole("textbox", { name: "Name" }).getAttribute("aria-invalid"), "true");
		await dialog.getByRole("button", { name: "Cancel" }).click();
	});

	it("when the manager edits a group by keyboard alone (menu, form, save), then the new limit is kept", async () => {
		await rowOf("Juniors").getByRole("button", { name: "More actions" }).focus();
		await page.keyboard.press("Enter");
		await page.getByRole("menuitem", { name: "Edit" }).waitFor();
		await page.getByRole("menuitem", { name: "Delete" }).waitFor();
		await page.keyboard.press("Enter"); // the first item, Edit, has the focus
		const dialog = page.getByRole("dialog");
		const max = dialog.getByRole("textbox", { name: "Maximum future bookings" });
		await max.focus();
		await max.fill("5");
		await page.keyboard.press("Enter");
		await dialog.waitFor({ state: "detached" });
		assert.equal((await groupNamed("Juniors")).maxFutureBookings, 5);
	});

	it("when External is opened, then its name is locked and it cannot be deleted", async () => {
		await rowOf("External").getByRole("button", { name: "More actions" }).click();
		assert.equal(await page.getByRole("menuitem", { name: "Delete" }).getAttribute("aria-disabled"), "true");
		await page.getByRole("menuitem", { name: "Edit" }).click();
		const dialog = page.getByRole("dialog");
		assert.equal(await dialog.getByRole("textbox", { name: "Name" }).getAttribute("readonly"), "");
		await page.keyboard.press("Escape");
		await dialog.waitFor({ state: "detached" });
	});

	it("when a group with clients is deleted, then its clients move to the group chosen", async () => {
		const juniors = await groupNamed("Juniors");
		const c = await api().post("/clients", { fullName: "Leo Pardo", email: "leo@example.com", phone: "+34612000101", gender: "male", country: "ES", groupId: juniors.id }, { key: desk.club.admin });
		assert.equal(c.status, 201);
		await page.reload();
		await rowOf("Juniors").getByRole("cell", { name: "1", exact: true }).waitFor();
		await rowOf("Juniors").getByRole("button", { name: "More actions" }).click();
		await page.getByRole("menuitem", { name: "Delete" }).click();
		const dialog = page.getByRole("dialog");
		await dialog.getByRole("combobox", { name: "Move clients to" }).selectOption({ label: "External" });
		await dialog.getByRole("button", { name: "Delete" }).click();
		await dialog.waitFor({ state: "detached" });
		await rowOf("Juniors").waitFor({ state: "detached" });
		const external = await groupNamed("External");
		assert.equal((await api().get(`/clients/${c.body.id}`, { key: desk.club.admin })).body.groupId, external.id);
	});

	it("when another group is made the default, then it is marked as the default", async () => {
		assert.equal((await api().post("/groups", { name: "Members" }, { key: desk.club.admin })).status, 201);
		await page.reload();
		await rowOf("Members").getByRole("button", { name: "More actions" }).click();
		await page.getByRole("menuitem", { name: "Make default" }).click();
		await page.getByRole("status").filter({ hasText: "Members is now the default group" }).waitFor();
		assert.equal((await groupNamed("Members")).isDefault, true);
	});

	it("when a category is added and a product restricted to a group, then both are kept", async () => {
		await page.getByRole("navigation").getByRole("link", { name: "Categories" }).click();
		await page.getByRole("button", { name: "Add category" }).click();
		const dialog = page.getByRole("dialog");
		await dialog.getByRole("textbox", { name: "Name" }).fill("Junior");
		await dialog.getByRole("textbox", { name: "Discount (%)" }).fill("15");
		await dialog.getByRole("button", { name: "Save" }).click();
		await page.getByRole("rowheader", { name: "Junior" }).waitFor();
		await page.getByText("15%").waitFor();
		await page.getByRole("textbox", { name: "Product ID" }).fill("court-7");
		await page.getByRole("button", { name: "Look up" }).click();
		await page.getByText("No rule: open to everyone.").waitFor();
		await page.getByRole("combobox", { name: "Kind" }).selectOption("activity");
		await page.getByRole("checkbox", { name: "Members" }).check();
		await page.getByRole("button", { name: "Save rule" }).click();
		await page.getByRole("status").filter({ hasText: "Rule saved." }).waitFor();
		await expectNoSeriousA11yViolations(page, "categories");
		await screenshot(page, "categories");
		const rule = (await api().get("/products/court-7/access", { key: desk.club.admin })).body;
		assert.equal(rule.kind, "activity");
		assert.deepEqual(rule.groupIds, [(await groupNamed("Members")).id]);
	});
});
