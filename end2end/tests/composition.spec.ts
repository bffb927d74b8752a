// Composition in the dashboard: a shared piece is included in two prompts (once with the
// editor's picker, its preview marking the included part), both are published, the piece
// changes, "Used by" shows both behind with what an update changes, one release updates
// both, and one of them is rolled back. Its own server (compositionPort), set up through
// the API.
import { test, expect, type APIRequestContext } from "@playwright/test";
import { hydrated, owner, setUpThroughApi, SignInPage, PromptPage } from "./pages";
import { compositionPort } from "../playwright.config";

test.use({ baseURL: `http://127.0.0.1:${compositionPort}` });

const tag = "@@@langfusePrompt:name=shared/tone|label=production@@@";

/** Saves `source` as a new version of `name` and promotes it, through the API. */
async function publish(request: APIRequestContext, headers: Record<string, string>, name: string, source: string) {
  const path = `/v1/manage/prompts/${encodeURIComponent(name)}`;
  const saved = await request.post(`${path}/versions`, { headers, data: { source, message: source } });
  expect(saved.status()).toBe(201);
  const { number } = await saved.json();
  expect((await request.post(`${path}/versions/${number}/promote`, { headers })).status()).toBe(200);
}

test("include a shared piece in two prompts, update both in one release, roll one back", async ({ page, request }) => {
  const token = await setUpThroughApi(request);
  const headers = { Authorization: `Bearer ${token}` };
  for (const name of ["shared/tone", "support/reply", "sales/intro"]) {
    expect((await request.post("/v1/manage/prompts", { headers, data: { name } })).status()).toBe(201);
  }
  await publish(request, headers, "shared/tone", "Be kind.");
  await publish(request, headers, "sales/intro", `Hello. ${tag}`);
  const key = await (await request.post("/v1/manage/keys", { headers, data: { kind: "live", name: "app" } })).json();
  const read = async (name: string) => {
    const served = await request.get(`/v1/prompts/${encodeURIComponent(name)}`, {
      headers: { Authorization: `Bearer ${key.token}` },
    });
    return (await served.json()).source;
  };

  await page.goto("/sign-in");
  await hydrated(page);
  await new SignInPage(page).signIn(owner.email, owner.password);
  await expect(page).toHaveURL(/\/prompts$/);

  // The editor's picker writes the reference where the cursor is; the preview marks it.
  await page.goto("/prompts/support/reply");
  await hydrated(page);
  const prompt = new PromptPage(page);
  await prompt.source().fill("Reply: ");
  await page.getByText("Include another prompt").click();
  await page.locator('select[name="include-prompt"]').selectOption("shared/tone");
  await page.getByRole("button", { name: "Insert" }).click();
  await expect(prompt.source()).toHaveValue(`Reply: ${tag}`);
  await page.getByRole("button", { name: "Show with the included prompts" }).click();
  await expect(page.locator('mark.included[data-from="shared/tone v1"]')).toHaveText("Be kind.");
  await prompt.saveNewDraft(`Reply: ${tag}`, "includes the tone", "v1");
  await prompt.rowAction("v1", "Promote");
  await prompt.confirm("Promote v1", "Live moves from nothing to v1");
  await expect(prompt.row("v1")).toContainText("Includes shared/tone v1");
  expect(await read("support/reply")).toBe("Reply: Be kind.");

  // The piece changes: both dependents are behind, each shows what an update changes.
  await publish(request, headers, "shared/tone", "Be brief.");
  expect(await read("support/reply")).toBe("Reply: Be kind.");
  await page.goto("/prompts/shared/tone");
  await hydrated(page);
  const rows = page.locator("tr.dependent-row");
  await expect(rows).toHaveCount(2);
  const reply = page.locator('tr.dependent-row[data-prompt="support/reply"]');
  await expect(reply).toContainText("live v1 pins v1");
  await reply.getByText("Behind: what an update changes").click();
  await expect(reply.locator("table.diff")).toContainText("Be brief.");
  await page.screenshot({ path: "screenshots/used-by.png", fullPage: true });

  // One release updates both.
  await page.getByLabel("Publish them now, in one release (all or none)").check();
  await page.getByRole("button", { name: "Update 2 prompt(s) to shared/tone v2" }).click();
  await expect(reply).toContainText("live v2 pins v2");
  await expect(page.locator('tr.dependent-row[data-prompt="sales/intro"]')).toContainText("live v2 pins v2");
  expect(await read("support/reply")).toBe("Reply: Be brief.");
  expect(await read("sales/intro")).toBe("Hello. Be brief.");

  // Roll one back: it serves what its v1 pinned, for ever.
  await page.goto("/prompts/support/reply");
  await hydrated(page);
  await prompt.rowAction("v1", "Roll back");
  await prompt.confirm("Roll back to v1", "Live moves back from v2 to v1");
  expect(await read("support/reply")).toBe("Reply: Be kind.");
  await page.goto("/prompts/shared/tone");
  await hydrated(page);
  await expect(reply).toContainText("live v1 pins v1");
});
