// A person's whole journey through the dashboard, from first-run setup to sign-out, on a
// server that starts empty. Screenshots of the main pages are saved to screenshots/.
import { test, expect, type Browser, type Page } from "@playwright/test";
import { hydrated, PromptPage, PromptsPage, SettingsPage, SignInPage } from "./pages";
import { setupPort } from "../playwright.config";

test.use({ baseURL: `http://127.0.0.1:${setupPort}` });
test.describe.configure({ mode: "serial" });

const grace = { email: "grace@example.com", password: "a long enough password" };

/** A new browser context with Grace signed in, on the prompts page. */
async function signedIn(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/sign-in");
  await hydrated(page);
  await new SignInPage(page).signIn(grace.email, grace.password);
  await expect(page).toHaveURL(/\/prompts$/);
  return { context, page };
}

async function openPrompt(page: Page, name: string) {
  await page.goto(`/prompts/${name}`);
  await hydrated(page);
  return new PromptPage(page);
}

test("first-run setup, then every operation on a prompt, then sign-out", async ({ page, request }) => {
  // First run: every visitor is sent to the setup page.
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await hydrated(page);
  await page.screenshot({ path: "screenshots/setup.png", fullPage: true });
  await page.getByLabel("Workspace name").fill("Globex");
  await page.getByLabel("Your name").fill("Grace");
  await page.getByLabel("Email").fill(grace.email);
  await page.getByLabel("Password").fill(grace.password);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/prompts$/);
  await expect(page.getByText("No prompts yet.")).toBeVisible();

  // Setup is closed from now on, in the API as well.
  const again = await request.post("/v1/setup", {
    data: { workspace: "X", email: "x@example.com", password: "long enough", name: "X" },
  });
  expect(again.status()).toBe(409);

  // Sign out and in again.
  await hydrated(page);
  await new PromptsPage(page).signOut();
  await expect(page).toHaveURL(/\/sign-in$/);
  await hydrated(page);
  await new SignInPage(page).signIn(grace.email, grace.password);
  await expect(page).toHaveURL(/\/prompts$/);
  await hydrated(page);

  // A bad name is explained next to the field; a good one opens the new prompt.
  await page.getByLabel("Name", { exact: true }).fill("Support | Triage");
  await page.getByRole("button", { name: "Create prompt" }).click();
  await expect(page.getByRole("alert")).toContainText("not allowed in a prompt name");
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Support | Triage");
  await page.getByLabel("Name", { exact: true }).fill("support/triage");
  await page.getByRole("button", { name: "Create prompt" }).click();
  await expect(page).toHaveURL(/\/prompts\/support\/triage$/);
  await hydrated(page);
  const prompt = new PromptPage(page);
  await expect(page.getByText("No versions yet")).toBeVisible();

  // Save v1 and promote it.
  await prompt.saveNewDraft("Classify the ticket as billing or bug.", "First cut", "v1");
  await prompt.rowAction("v1", "Promote");
  await prompt.confirm("Promote v1", "Live moves from nothing to v1");
  await expect(prompt.row("v1")).toContainText("live");
  await expect(prompt.pointers()).toContainText("live v1");

  // v1 is frozen now: the editor offers a new draft based on it. Save v2, rewrite it in place.
  await expect(prompt.editorNote()).toContainText("New draft, based on v1");
  await prompt.saveNewDraft("Classify the ticket as billing, bug or question.", "Add questions", "v2");
  await prompt.rewrite("v2", "Classify the ticket as billing, bug, question or account.");
  await expect(page).toHaveURL(/edit=2&r=2/);
  await expect(prompt.source()).toHaveValue("Classify the ticket as billing, bug, question or account.");
  await expect(prompt.row("v2")).toContainText("draft");
  await page.screenshot({ path: "screenshots/prompt-editing.png", fullPage: true });

  // Enable staging and point it at the v2 draft.
  const settings = new SettingsPage(page);
  await settings.open();
  await expect(page.getByRole("switch")).toHaveText("Enable staging");
  await settings.setStaging(true);
  await page.screenshot({ path: "screenshots/settings.png", fullPage: true });
  await openPrompt(page, "support/triage");
  await prompt.rowAction("v2", "Stage");
  await expect(prompt.row("v2")).toContainText("staging");
  await expect(prompt.pointers()).toContainText("staging v2");

  // Promote v2: the page updates in place, never showing "Loading…" on the way.
  await page.evaluate(() => {
    (window as any).loadingSeen = false;
    new MutationObserver(() => {
      if (document.querySelector(".loading")) (window as any).loadingSeen = true;
    }).observe(document.body, { childList: true, subtree: true });
  });
  await prompt.rowAction("v2", "Promote");
  await prompt.confirm("Promote v2", "Live moves from v1 to v2");
  await expect(prompt.pointers()).toContainText("live v2");
  await expect(prompt.row("v2").getByRole("link", { name: "Edit" })).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).loadingSeen)).toBe(false);

  // Roll back to v1: the editor holds v1's source, marked as based on it.
  await prompt.rowAction("v1", "Roll back");
  await prompt.confirm("Roll back to v1", "Live moves back from v2 to v1");
  await expect(prompt.pointers()).toContainText("live v1");
  await expect(prompt.editorNote()).toContainText("rolled back to v1");
  await expect(prompt.source()).toHaveValue("Classify the ticket as billing or bug.");
  await expect(prompt.row("v2")).toBeVisible();

  // Save v3 from there, stage it, delete it: staging is cleared with it.
  await prompt.saveNewDraft("Classify the ticket as billing, bug, or other.", "Try 'other'", "v3");
  // Click a version to see what changed: against the version before it, then another.
  await prompt.row("v3").getByRole("link", { name: "v3" }).click();
  const diff = page.locator(".diff-panel");
  await expect(diff).toContainText("from v2 to v3");
  await expect(diff.locator("td.added mark").first()).toContainText("other");
  await diff.getByLabel("Compare v3 with").selectOption("1");
  await diff.getByRole("button", { name: "Compare" }).click();
  await expect(diff).toContainText("from v1 to v3");
  await expect(page).toHaveURL(/diff=3&against=1/);
  // The diff has the page's width, not the history column's; the editor stays reachable.
  const widths = await page.evaluate(() => ({
    diff: document.querySelector(".card.diff")!.getBoundingClientRect().width,
    history: document.querySelector(".card.history")!.getBoundingClientRect().width,
  }));
  expect(widths.diff).toBeGreaterThan(widths.history * 1.5);
  await expect(prompt.source()).toBeVisible();
  await page.screenshot({ path: "screenshots/diff.png", fullPage: true });
  await prompt.row("v3").getByRole("link", { name: "v3" }).click();
  await expect(diff).toHaveCount(0);

  // Acting on a version leaves what is being typed in the editor alone.
  await prompt.source().fill("Unsaved words.");
  await prompt.rowAction("v3", "Stage");
  await expect(prompt.pointers()).toContainText("staging v3");
  await expect(prompt.source()).toHaveValue("Unsaved words.");
  await page.screenshot({ path: "screenshots/prompt.png", fullPage: true });
  await prompt.rowAction("v3", "Delete");
  await prompt.confirm("Delete v3", "Staging points at it and is cleared");
  await expect(prompt.row("v3")).toHaveCount(0);
  await expect(prompt.pointers()).toContainText("staging reads live");

  // Disable staging: every staging control disappears, nothing else changes.
  await expect(page.getByRole("button", { name: /^Stage v\d+$/ })).not.toHaveCount(0);
  await settings.open();
  await settings.setStaging(false);
  await openPrompt(page, "support/triage");
  await expect(prompt.row("v1")).toBeVisible();
  await expect(page.getByRole("button", { name: /^(Stage|Unstage) v\d+$/ })).toHaveCount(0);
  await expect(prompt.pointers()).not.toContainText("staging");
  await expect(prompt.row("v1")).toContainText("live");
  await expect(prompt.row("v2")).toBeVisible();

  // The Activity page tells what happened, newest first, and filters it.
  await page.goto("/activity");
  await hydrated(page);
  const activity = page.locator("tr.activity-row");
  await expect(activity.first()).toContainText("disabled staging");
  await expect(activity.first()).toContainText("Grace");
  await page.getByLabel("Kind").selectOption("version.rolled_back");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/kind=version.rolled_back/);
  await expect(activity).toHaveCount(1);
  await expect(activity.first()).toContainText("rolled live back from v2 to v1");
  await expect(activity.first().getByRole("link", { name: "support/triage" })).toBeVisible();
  await page.screenshot({ path: "screenshots/activity.png", fullPage: true });

  // The list shows the pointers too.
  await page.goto("/prompts");
  await expect(new PromptsPage(page).row("support/triage")).toContainText("v1");
  await page.screenshot({ path: "screenshots/prompts-list.png", fullPage: true });

  await hydrated(page);
  await new PromptsPage(page).signOut();
  await expect(page).toHaveURL(/\/sign-in$/);
});

test("a stale rewrite shows the conflict and keeps the text", async ({ browser }) => {
  const first = await signedIn(browser);
  const firstPrompt = await openPrompt(first.page, "support/triage");
  await firstPrompt.saveNewDraft("Draft for the race.", "race", "v4");
  const second = await signedIn(browser);
  const secondPrompt = await openPrompt(second.page, "support/triage?edit=4");
  await expect(secondPrompt.source()).toHaveValue("Draft for the race.");

  await firstPrompt.rewrite("v4", "The first person's words.");
  await expect(first.page).toHaveURL(/r=2/);

  await secondPrompt.rewrite("v4", "The second person's words.");
  await expect(second.page.getByRole("alert")).toContainText("changed by someone else");
  await expect(secondPrompt.source()).toHaveValue("The second person's words.");
  await second.page.screenshot({ path: "screenshots/stale-rewrite.png", fullPage: true });
  await first.context.close();
  await second.context.close();
});

test("a personal access token is shown once, works, and stops working when revoked", async ({ browser, request }) => {
  const { context, page } = await signedIn(browser);

  const settings = new SettingsPage(page);
  await settings.open();
  await page.getByLabel("Token name").fill("deploy script");
  await page.getByRole("button", { name: "Create token" }).click();
  const secret = (await page.locator(".secret code").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^pv_pat_/);
  const row = page.locator("tr.token-row", { hasText: "deploy script" });
  await expect(row).toContainText(`pv_pat_…${secret.slice(-4)}`);

  const auth = { Authorization: `Bearer ${secret}` };
  expect((await request.get("/v1/manage/prompts", { headers: auth })).status()).toBe(200);
  await row.getByRole("button", { name: "Revoke deploy script" }).click();
  await expect(row).toHaveCount(0);
  expect((await request.get("/v1/manage/prompts", { headers: auth })).status()).toBe(401);

  // Readable at phone width: nothing, the header and the deployments included, scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  await openPrompt(page, "support/triage");
  await expect(page.locator("tr.deployment-row").first()).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: "screenshots/prompt-phone.png", fullPage: true });
  await context.close();
});

test("without WASM the forms still work: save a draft and promote it", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await new SignInPage(page).signIn(grace.email, grace.password);
  await expect(page).toHaveURL(/\/prompts$/);

  await page.getByLabel("Name", { exact: true }).fill("plain/html");
  await page.getByRole("button", { name: "Create prompt" }).click();
  await expect(page).toHaveURL(/\/prompts\/plain\/html$/);
  const prompt = new PromptPage(page);
  await prompt.source().fill("Works without JavaScript.");
  await page.getByRole("button", { name: "Save as new draft" }).click();
  await expect(page).toHaveURL(/edit=1/);
  await prompt.rowAction("v1", "Promote");
  await expect(page).toHaveURL(/confirm=promote:1/);
  await prompt.confirm("Promote v1", "Live moves from nothing to v1");
  await expect(prompt.pointers()).toContainText("live v1");

  // A refused save comes back to the page with the error next to the editor, and the text.
  await page.goto("/prompts/plain/html");
  await prompt.source().fill("   ");
  await prompt.message().fill("Kept although refused.");
  await page.getByRole("button", { name: "Save as new draft" }).click();
  await expect(page.locator(".editor").getByRole("alert")).toContainText("source cannot be empty");
  await expect(prompt.message()).toHaveValue("Kept although refused.");
  await expect(prompt.row("v2")).toHaveCount(0);
  await context.close();
});

test("an admin creates an API key, an application reads with it, and revoking it stops it at once", async ({ browser, request }) => {
  const { context, page } = await signedIn(browser);

  await new SettingsPage(page).open();
  await page.getByLabel("Key name").fill("production web");
  await page.getByLabel("Kind").selectOption("live");
  await page.getByRole("button", { name: "Create key" }).click();
  const token = (await page.locator(".secret code").textContent())?.trim() ?? "";
  expect(token).toMatch(/^pv_live_/);
  const row = page.locator("tr.key-row", { hasText: "production web" });
  await expect(row).toContainText(`pv_live_…${token.slice(-4)}`);
  await page.screenshot({ path: "screenshots/settings-keys.png", fullPage: true });

  const read = () => request.get("/v1/prompts/support%2Ftriage", { headers: { Authorization: `Bearer ${token}` } });
  const served = await read();
  expect(served.status()).toBe(200);
  expect((await served.json()).version).toBe("v1");

  await row.getByRole("button", { name: "Revoke production web" }).click();
  await expect(row).toHaveCount(0);
  expect((await read()).status()).toBe(401);
  await context.close();
});

test("a member renames themselves, changes their password, and other sessions end", async ({ browser }) => {
  const mine = await signedIn(browser);
  const other = await signedIn(browser);
  await new SettingsPage(mine.page).open();
  const page = mine.page;

  await page.getByLabel("Your name").fill("Grace Hopper");
  // Reload only once the rename has answered: a reload cancels a call still in flight.
  const renamed = page.waitForResponse((r) => r.url().includes("rename_self"));
  await page.getByRole("button", { name: "Save name" }).click();
  expect((await renamed).status()).toBeLessThan(400);
  await page.reload();
  await expect(page.locator(".who")).toContainText("Grace Hopper");

  // The current password is required; a wrong one changes nothing.
  await page.getByLabel("Current password").fill("not my password");
  await page.getByLabel("New password").fill("an even longer password");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("alert")).toContainText("current password is not right");
  await other.page.goto("/prompts");
  await expect(other.page).toHaveURL(/\/prompts$/);

  await page.getByLabel("Current password").fill(grace.password);
  await page.getByLabel("New password").fill("an even longer password");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toContainText("Your other sessions have ended");
  await other.page.goto("/prompts");
  await expect(other.page).toHaveURL(/\/sign-in$/);
  await page.goto("/prompts");
  await expect(page).toHaveURL(/\/prompts$/);

  // Signing out everywhere ends this session too.
  await new SettingsPage(page).open();
  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto("/prompts");
  await expect(page).toHaveURL(/\/sign-in$/);
  await mine.context.close();
  await other.context.close();
});
