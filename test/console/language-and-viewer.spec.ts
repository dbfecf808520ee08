/**
 * The console in another language (messages, errors, dates and money through Intl), kept across
 * reloads; and a viewer's read-only view: every screen, no write button.
 */
import assert from "node:assert/strict";
import { closeBrowser, consoleApp, expectNoSeriousA11yViolations, screenshot, signedIn, type ConsoleApp } from "./support";

describe("console: language switch and a viewer's view", function () {
	this.timeout(120_000);
	let ca: ConsoleApp;
	before(async function () {
		// The first spec may build the console (npm test builds it beforehand).
		this.timeout(600_000);
		ca = await consoleApp();
	});
	after(closeBrowser);

	it("when the language is switched to Français, then the screens and their errors speak French, even after a reload", async () => {
		const desk = await signedIn(ca, "admin");
		const { page } = desk;
		const c = await ca.running.http.post("/clients", { fullName: "Amélie Durand", email: "amelie@example.com", phone: "+33612345678", gender: "female", country: "FR" }, { key: desk.club.admin });
		await page.goto("/clients");
		await page.getByRole("combobox", { name: "Language" }).selectOption({ label: "Français" });
		await page.getByRole("searchbox", { name: "Rechercher des clients" }).waitFor();
		for (const name of ["Clients", "Groupes", "Catégories", "Imports", "Paramètres"]) await page.getByRole("navigation").getByRole("link", { name, exact: true }).waitFor();
		await page.getByRole("columnheader", { name: "Téléphone" }).waitFor();
		await page.reload();
		await page.getByRole("button", { name: "Nouveau client" }).click();
		await page.getByRole("button", { name: "Enregistrer" }).click();
		await page.getByText("Ce champ est obligatoire.").first().waitFor();
		await expectNoSeriousA11yViolations(page, "client form in French");
		await page.goto(`/clients/${c.body.id}`);
		await page.getByRole("heading", { name: "Réservations" }).waitFor();
		await page.getByRole("heading", { name: "Portefeuilles" }).waitFor();
		await page.getByRole("button", { name: "Recharger" }).click();
		await page.getByRole("dialog").getByRole("textbox", { name: "Montant" }).fill("12,50");
		await page.getByRole("dialog").getByRole("button", { name: "Recharger" }).click();
		await page.getByLabel("Solde en EUR").filter({ hasText: "12,50 €" }).waitFor();
		await screenshot(page, "client-panel-fr");
		// The way back is named "Language" in every language.
		await page.getByRole("combobox", { name: "Language" }).selectOption({ label: "Deutsch" });
		await page.getByRole("heading", { name: "Buchungen" }).waitFor();
		await page.getByRole("combobox", { name: "Language" }).selectOption({ label: "English" });
		await page.getByRole("heading", { name: "Bookings" }).waitFor();
		await desk.context.close();
	});

	it("when a viewer signs in, then every screen reads and none offers a write button", async () => {
		const desk = await signedIn(ca, "viewer");
		const { page } = desk;
		const c = await ca.running.http.post("/clients", { fullName: "Vera Lopez", email: "vera@example.com", phone: "+34612000201", gender: "female", country: "ES" }, { key: desk.club.admin });
		await page.goto("/clients");
		await page.getByRole("link", { name: "Vera Lopez" }).waitFor();
		for (const name of ["New client", "Move to group"]) assert.equal(await page.getByRole("link", { name }).or(page.getByRole("button", { name })).count(), 0, name);
		assert.equal(await page.getByRole("checkbox", { name: "Select Vera Lopez" }).count(), 0);
		await page.getByRole("link", { name: "Vera Lopez" }).click();
		await page.getByRole("heading", { name: "Wallets" }).waitFor();
		await page.getByRole("heading", { name: "Bookings" }).waitFor();
		for (const name of ["Top up", "Delete client", "Edit", "Add tag"]) assert.equal(await page.getByRole("button", { name }).or(page.getByRole("link", { name, exact: true })).count(), 0, name);
		await expectNoSeriousA11yViolations(page, "viewer panel");
		await page.getByRole("navigation").getByRole("link", { name: "Groups" }).click();
		await page.getByRole("rowheader", { name: /External/ }).waitFor();
		assert.equal(await page.getByRole("button", { name: "Add group" }).count(), 0);
		assert.equal(await page.getByRole("button", { name: "More actions" }).count(), 0);
		await page.getByRole("navigation").getByRole("link", { name: "Imports" }).click();
		await page.getByRole("heading", { name: "Earlier imports" }).waitFor();
		assert.equal(await page.getByRole("button", { name: "Start import" }).count(), 0);
		await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
		await page.getByRole("heading", { name: "The club" }).waitFor();
		assert.equal(await page.getByRole("heading", { name: "API keys" }).count(), 0);
		assert.equal(await page.getByRole("button", { name: "Save" }).count(), 0);
		assert.equal(c.status, 201);
		await desk.context.close();
	});
});
