// A long history: loading older versions until the first appears, search in the Versions
// tab and across the workspace, with and without WASM. Its own server (historyPort), set up
// here through the API with 120 versions.
import { test, expect, type APIRequestContext } from "@playwright/test";
import { hydrated, owner, setUpThroughApi, SignInPage, PromptPage } from "./pages";
import { historyPort } from "../playwright.config";

test.use({ baseURL: `http://127.0.0.1:${historyPort}` });
test.describe.configure({ mode: "serial" });

const prompt = "long/history";
const versions = 120;
const refund = 37;

/** The 120 versions, all by the owner (Ada); v37 is the one about refunds. */
async function seed(request: APIRequestContext) {
  const token = await setUpThroughApi(request);
  const headers = { Authorization: `Bearer ${token}` };
  expect((await request.post("/v1/manage/prompts", { headers, data: { name: prompt } })).status()).toBe(201);
  for (let i = 1; i <= versions; i++) {
    const message = i === refund ? "Tighten the refund wording" : `Routine change ${i}`;
    const saved = await request.post(`/v1/manage/prompts/long%2Fhistory/versions`, {
      headers,
      data: { source: `Answer politely. (${i})`, message },
    });
    expect(saved.status()).toBe(201);
  }
  // Searchable within a second of the last save.
  await expect
    .poll(async () => (await (await request.get("/v1/manage/search?q=refund", { headers })).json()).items.length, {
      timeout: 1_000,
      intervals: [50],
    })
    .toBe(1);
}

test("load older versions until the first, then search by a message word and by the author", async ({ page, request }) => {
  await seed(request);
  await page.goto("/sign-in");
  await hydrated(page);
  await new SignInPage(page).signIn(owner.email, owner.password);
  await expect(page).toHaveURL(/\/prompts$/);
  await page.goto(`/prompts/${prompt}`);
  await hydrated(page);
  const history = new PromptPage(page);
  const rows = page.locator("tr.version-row");
  await expect(rows).toHaveCount(50);
  await expect(history.row("v120")).toBeVisible();

  // A keyboard user loads the next page; a click loads the last one.
  const loadMore = page.getByRole("button", { name: "Load older versions" });
  await loadMore.focus();
  await page.keyboard.press("Enter");
  await expect(rows).toHaveCount(100);
  await loadMore.click();
  await expect(rows).toHaveCount(versions);
  await expect(history.row("v1")).toBeVisible();
  await expect(loadMore).toHaveCount(0);

  // A word of a message: only that version, the word marked.
  const search = page.getByRole("searchbox", { name: "Search messages and authors" });
  await search.fill("refund");
  await search.press("Enter");
  await expect(page).toHaveURL(/q=refund/);
  await expect(rows).toHaveCount(1);
  await expect(history.row(`v${refund}`).locator("td.message mark")).toHaveText("refund");
  await page.screenshot({ path: "screenshots/versions-search.png", fullPage: true });

  // The author's name: every version, newest first, the name marked, and more to load.
  await search.fill("ada");
  await search.press("Enter");
  await expect(page).toHaveURL(/q=ada/);
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toHaveAttribute("data-version", "v120");
  await expect(history.row("v120").locator("td.author mark").first()).toHaveText("Ada");
  await loadMore.click();
  await expect(rows).toHaveCount(100);

  // Nothing matches: said plainly; a query full of syntax is no error either.
  for (const typed of ["zebra", "\"unclosed ( [ AND"]) {
    await search.fill(typed);
    await search.press("Enter");
    await expect(page.locator(".history .empty")).toContainText("No versions match");
  }
  await page.getByRole("link", { name: "Clear" }).click();
  await expect(rows).toHaveCount(50);
});

test("search across the workspace finds the version and links to it", async ({ page }) => {
  await page.goto("/sign-in");
  await hydrated(page);
  await new SignInPage(page).signIn(owner.email, owner.password);
  await expect(page).toHaveURL(/\/prompts$/);
  await page.getByRole("link", { name: "Search", exact: true }).click();
  await expect(page).toHaveURL(/\/search$/);
  await hydrated(page);
  const search = page.getByRole("searchbox");
  await search.fill("refund wording");
  await search.press("Enter");
  const hit = page.locator(`tr.search-hit[data-prompt="${prompt}"]`);
  await expect(hit).toHaveCount(1);
  await expect(hit).toHaveAttribute("data-version", `v${refund}`);
  await expect(hit.locator("td.message mark")).toHaveText(["refund", "wording"]);
  await page.screenshot({ path: "screenshots/search.png", fullPage: true });
  await hit.getByRole("link", { name: prompt }).click();
  await expect(page).toHaveURL(new RegExp(`/prompts/${prompt}\\?q=refund`));
  await expect(page.locator("tr.version-row")).toHaveCount(1);
});

test("without WASM, older pages and search are plain links and forms", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await new SignInPage(page).signIn(owner.email, owner.password);
  await expect(page).toHaveURL(/\/prompts$/);
  await page.goto(`/prompts/${prompt}`);
  const rows = page.locator("tr.version-row");
  await expect(rows).toHaveCount(50);
  await page.getByRole("button", { name: "Load older versions" }).click();
  await expect(page).toHaveURL(/before=/);
  await expect(rows.first()).toHaveAttribute("data-version", "v70");
  await page.getByRole("button", { name: "Load older versions" }).click();
  await expect(rows.last()).toHaveAttribute("data-version", "v1");
  await page.getByRole("link", { name: "Back to the newest" }).click();
  await expect(rows.first()).toHaveAttribute("data-version", "v120");

  const search = page.getByRole("searchbox", { name: "Search messages and authors" });
  await search.fill("refund");
  await search.press("Enter");
  await expect(rows).toHaveCount(1);
  await expect(rows.locator("td.message mark")).toHaveText("refund");
  await context.close();
});
