// A team at work: the owner invites an editor, who joins in another browser with the link
// and saves a draft; under review he requests its promotion and the owner approves it; a
// lower role takes the editor's buttons away; once removed, his next click is refused.
import { test, expect, type Browser, type Page } from "@playwright/test";
import { hydrated, owner, PromptPage, setUpThroughApi, SignInPage } from "./pages";
import { teamPort } from "../playwright.config";

test.use({ baseURL: `http://127.0.0.1:${teamPort}` });

const bob = { name: "Bob", email: "bob@example.com", password: "bob's long password" };

async function ownerSignedIn(browser: Browser) {
  const context = await browser.newContext({ baseURL: `http://127.0.0.1:${teamPort}` });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await hydrated(page);
  await new SignInPage(page).signIn(owner.email, owner.password);
  await expect(page).toHaveURL(/\/prompts$/);
  return page;
}

/** Bob's role as the server has it: the page is loaded afresh until it shows `role`. */
async function expectRole(page: Page, role: string) {
  await expect(async () => {
    await page.reload();
    await hydrated(page);
    await expect(page.locator("tr.member-row", { hasText: bob.email }).getByLabel("Role of Bob")).toHaveValue(role, {
      timeout: 1000,
    });
  }).toPass();
}

test("an owner invites an editor, approves his request, changes his role, then removes him", async ({ browser, request }) => {
  const token = await setUpThroughApi(request);
  const created = await request.post("/v1/manage/prompts", {
    headers: { Authorization: `Bearer ${token}` },
    data: { name: "support/triage" },
  });
  expect(created.status()).toBe(201);

  // The owner invites Bob as an editor: the link is shown once.
  const ada = await ownerSignedIn(browser);
  await ada.goto("/settings/members");
  await hydrated(ada);
  const invite = ada.getByRole("region", { name: "Invite someone" });
  await invite.getByLabel("Email").fill(bob.email);
  await invite.getByRole("combobox").selectOption("editor");
  await ada.getByRole("button", { name: "Create invitation" }).click();
  const link = ada.locator(".invitation-link");
  await expect(link).toContainText("/join/pv_inv_");
  const url = (await link.textContent()) ?? "";
  await expect(ada.locator("tr.invitation-row", { hasText: bob.email })).toBeVisible();
  await ada.screenshot({ path: "screenshots/members.png", fullPage: true });

  // Bob opens it in his own browser, picks a name and password, and is in.
  const bobContext = await browser.newContext();
  const bobPage = await bobContext.newPage();
  await bobPage.goto(url);
  await hydrated(bobPage);
  await expect(bobPage.getByRole("heading", { name: "Join Acme" })).toBeVisible();
  await expect(bobPage.getByText("Ada invited")).toBeVisible();
  await bobPage.getByLabel("Your name").fill(bob.name);
  await bobPage.getByLabel("Password").fill(bob.password);
  await bobPage.getByRole("button", { name: "Join Acme" }).click();
  await expect(bobPage).toHaveURL(/\/prompts$/);

  // The link is used up.
  const again = await browser.newContext();
  const againPage = await again.newPage();
  await againPage.goto(url);
  await expect(againPage.getByRole("alert")).toContainText("already been used");
  await again.close();

  // Bob drafts.
  await bobPage.goto("/prompts/support/triage");
  await hydrated(bobPage);
  const prompt = new PromptPage(bobPage);
  await prompt.saveNewDraft("Classify the ticket.", "Bob's first cut", "v1");
  await expect(prompt.row("v1")).toContainText("Bob");

  // The owner has every change to live reviewed.
  await ada.goto("/settings");
  await hydrated(ada);
  await ada.getByLabel("Every promote and rollback is a request that a second person approves.").check();
  await ada.getByRole("region", { name: "Who can change live" }).getByRole("button", { name: "Save" }).click();
  await expect(ada.getByText("Saved.")).toBeVisible();

  // Bob asks to promote his draft, with a note; nothing is live until someone approves.
  await bobPage.reload();
  await hydrated(bobPage);
  await prompt.rowAction("v1", "Promote");
  const dialog = bobPage.getByRole("alertdialog");
  await expect(dialog).toContainText("another member approves your request");
  await dialog.getByLabel("Note for the reviewer").fill("Ready for customers");
  await dialog.getByRole("button", { name: "Request promotion of v1" }).click();
  const open = bobPage.locator("li.request");
  await expect(open).toContainText("asks to promote v1");
  await expect(open).toContainText("Ready for customers");
  await expect(open.getByRole("button", { name: /^Approve/ })).toHaveCount(0);
  await expect(prompt.pointers()).toContainText("nothing live yet");

  // Ada approves it on the Requests page: live moves at once, both names recorded.
  await ada.goto("/requests");
  await hydrated(ada);
  const asked = ada.locator("li.request", { hasText: "support/triage" });
  await expect(asked).toContainText("Bob asks to promote v1");
  await ada.screenshot({ path: "screenshots/requests.png", fullPage: true });
  await asked.getByRole("button", { name: "Approve: promote v1" }).click();
  await expect(ada.getByText("No open requests.")).toBeVisible();
  await bobPage.reload();
  await hydrated(bobPage);
  await expect(prompt.pointers()).toContainText("live v1");
  await expect(bobPage.locator(".deployments")).toContainText("approving Bob's request");

  // The owner sees him and makes him a viewer: his editor is gone on his next page.
  await ada.goto("/settings/members");
  await hydrated(ada);
  const bobRow = ada.locator("tr.member-row", { hasText: bob.email });
  await expect(bobRow).toContainText("Bob");
  await bobRow.getByLabel("Role of Bob").selectOption("viewer");
  await bobRow.getByRole("button", { name: "Change" }).click();
  await expectRole(ada, "viewer");
  await bobPage.reload();
  await hydrated(bobPage);
  await expect(prompt.row("v1")).toBeVisible();
  await expect(bobPage.getByRole("button", { name: /^Save/ })).toHaveCount(0);
  await expect(prompt.row("v1").getByRole("link", { name: "Promote" })).toHaveCount(0);

  // Back to editor; then removed. His next click is refused.
  await ada.locator("tr.member-row", { hasText: bob.email }).getByLabel("Role of Bob").selectOption("editor");
  await ada.locator("tr.member-row", { hasText: bob.email }).getByRole("button", { name: "Change" }).click();
  await expectRole(ada, "editor");
  await bobPage.reload();
  await hydrated(bobPage);
  await prompt.source().fill("Classify the ticket, politely.");
  await prompt.message().fill("Bob's second cut");

  await ada.getByRole("button", { name: "Remove Bob" }).click();
  await expect(ada.locator("tr.member-row", { hasText: bob.email })).toHaveCount(0);

  await bobPage.getByRole("button", { name: /^Save/ }).click();
  await expect(bobPage.getByRole("alert").first()).toContainText("no longer a member");

  // The activity log tells the story.
  await ada.goto("/activity");
  await hydrated(ada);
  await expect(ada.getByText("removed Bob")).toBeVisible();
  await expect(ada.getByText("joined as editor")).toBeVisible();
  await bobContext.close();
});
