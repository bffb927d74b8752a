// Labels in the dashboard: an admin adds a label in Settings → Labels, moves it on a prompt's
// page (a protected label publishes the draft it is moved to), sees it on the version and in
// the deployments timeline (filtered to one label), makes a key that reads it, and the key
// reads the labelled version. Its own server (labelsPort), set up through the API.
import { test, expect } from "@playwright/test";
import { hydrated, owner, setUpThroughApi, SignInPage, PromptPage } from "./pages";
import { labelsPort } from "../playwright.config";

test.use({ baseURL: `http://127.0.0.1:${labelsPort}` });

test("add a label, move it onto a draft, and read it with a key made for it", async ({ page, request }) => {
  const token = await setUpThroughApi(request);
  const headers = { Authorization: `Bearer ${token}` };
  const path = "/v1/manage/prompts/support%2Ftriage";
  expect((await request.post("/v1/manage/prompts", { headers, data: { name: "support/triage" } })).status()).toBe(201);
  for (const source of ["Classify the ticket.", "Classify the ticket, briefly."]) {
    expect((await request.post(`${path}/versions`, { headers, data: { source, message: source } })).status()).toBe(201);
  }
  expect((await request.post(`${path}/versions/1/promote`, { headers })).status()).toBe(200);

  await page.goto("/sign-in");
  await hydrated(page);
  await new SignInPage(page).signIn(owner.email, owner.password);
  await expect(page).toHaveURL(/\/prompts$/);

  // Settings → Labels: live and staging are built in; add "eu", protected.
  await page.goto("/settings/labels");
  await hydrated(page);
  await expect(page.locator('tr.label-row[data-label="live"]')).toContainText("built in");
  await page.getByLabel("Name", { exact: true }).fill("eu");
  await page.getByRole("button", { name: "Add label" }).click();
  const eu = page.locator('tr.label-row[data-label="eu"]');
  await expect(eu).toContainText("protected");
  await page.screenshot({ path: "screenshots/labels.png", fullPage: true });

  // On the prompt's page, move eu onto the draft v2: it is published.
  await page.goto("/prompts/support/triage");
  await hydrated(page);
  const line = page.locator('li.label-line[data-label="eu"]');
  await expect(line).toContainText("points nowhere");
  await line.getByLabel("Move eu to").selectOption("2");
  await line.getByRole("button", { name: "Move", exact: true }).click();
  await expect(line).toContainText("on v2");
  const prompt = new PromptPage(page);
  await expect(prompt.row("v2")).toContainText("eu");
  await expect(prompt.row("v2")).toContainText("published");
  await expect(page.locator("tr.deployment-row").first()).toContainText("eu");
  // The timeline shows one label's moves when asked: live's promote of v1 alone.
  await expect(page.locator("tr.deployment-row")).toHaveCount(2);
  await page.locator('select[name="deployments-label"]').selectOption("live");
  await expect(page.locator("tr.deployment-row:visible")).toHaveCount(1);
  await expect(page.locator("tr.deployment-row:visible")).toContainText("live");

  // A key made for eu reads v2; the live key reads v1.
  await page.goto("/settings");
  await hydrated(page);
  await page.getByLabel("Key name").fill("eu app");
  await page.getByLabel("Reads").selectOption("eu");
  await page.getByRole("button", { name: "Create key" }).click();
  const key = ((await page.locator(".secret code").textContent()) ?? "").trim();
  expect(key).toMatch(/^pv_live_/);
  await expect(page.locator("tr.key-row", { hasText: "eu app" })).toContainText("eu");
  const read = await request.get("/v1/prompts/support%2Ftriage", { headers: { Authorization: `Bearer ${key}` } });
  expect(read.status()).toBe(200);
  expect(await read.json()).toMatchObject({ version: "v2", label: "eu" });
});
