// Rollouts and the fleet in the dashboard: instances of an application (the Rust SDK's
// example, really reading and reporting) serve a prompt; a 10 % rollout of v2 starts from
// the prompt's page; the Fleet page shows both versions served; the rollout is aborted and
// the Fleet page shows v1 alone again. Its own server (rolloutsPort), set up through the API.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { test, expect } from "@playwright/test";
import { hydrated, owner, setUpThroughApi, SignInPage } from "./pages";
import { fleetExample, rolloutsPort } from "../playwright.config";

const base = `http://127.0.0.1:${rolloutsPort}`;
test.use({ baseURL: base });

let fleet: ChildProcess | undefined;
test.afterEach(() => {
  fleet?.kill();
});

test("a 10 % rollout shows on the Fleet page as two versions served, then one after the abort", async ({ page, request }) => {
  test.setTimeout(150_000);
  expect(existsSync(fleetExample), `${fleetExample}: build it with cargo build -p promptvault-sdk --example fleet`).toBe(true);
  const token = await setUpThroughApi(request);
  const headers = { Authorization: `Bearer ${token}` };
  const path = "/v1/manage/prompts/support%2Freply";
  expect((await request.post("/v1/manage/prompts", { headers, data: { name: "support/reply" } })).status()).toBe(201);
  for (const source of ["Hello, {{name}}.", "Hi {{name}}, how can I help?"]) {
    expect((await request.post(`${path}/versions`, { headers, data: { source, message: source } })).status()).toBe(201);
  }
  expect((await request.post(`${path}/versions/1/promote`, { headers })).status()).toBe(200);
  const key = await (await request.post("/v1/manage/keys", { headers, data: { kind: "live", name: "app" } })).json();

  // Four instances of one application, serving 200 users in turn, for two minutes at most.
  fleet = spawn(fleetExample, [base, key.token, "support/reply", "4", "120", "support-bot"], { stdio: "inherit" });

  await page.goto("/sign-in");
  await hydrated(page);
  await new SignInPage(page).signIn(owner.email, owner.password);
  await expect(page).toHaveURL(/\/prompts$/);

  // The fleet before: v1 alone, by the four instances.
  await page.goto("/fleet?prompt=support/reply");
  await hydrated(page);
  const live = page.locator('section.fleet-item[data-label="live"]');
  await expect(live.locator('tr.fleet-version.now[data-version="v1"] td.instances-now')).toHaveText("4", { timeout: 20_000 });
  await expect(live.locator("tr.fleet-version.now")).toHaveCount(1);

  // The rollout starts from the prompt's page: 10 % of users read v2.
  await page.goto("/prompts/support/reply");
  await hydrated(page);
  const line = page.locator('li.rollout-line[data-label="live"]');
  await line.getByLabel("Roll out on live").selectOption("2");
  await line.getByLabel("to % of units").fill("10");
  await line.getByRole("button", { name: "Start the rollout" }).click();
  await expect(line.locator(".rollout-split")).toHaveText("Rolling v2 out: 10 % of units read v2, the rest v1.");
  await page.screenshot({ path: "screenshots/rollout.png", fullPage: true });

  // The Fleet page shows both versions served now, v2 by the instances that gave it to their users.
  await page.getByRole("link", { name: "What the applications serve" }).click();
  await expect(page).toHaveURL(/\/fleet\?prompt=support\/reply$/);
  await expect(live.locator("tr.fleet-version.now")).toHaveCount(2, { timeout: 30_000 });
  await expect(live.locator('tr.fleet-version.now[data-version="v2"] td.instances-now')).toHaveText("4");
  await page.screenshot({ path: "screenshots/fleet.png", fullPage: true });

  // Aborted: everyone reads v1 again, and the Fleet page shows it alone once v2's last uses age out.
  await page.goto("/prompts/support/reply");
  await hydrated(page);
  await line.getByLabel("Why abort").fill("answers too short");
  await line.getByRole("button", { name: "Abort: back to v1" }).click();
  await expect(line.locator(".rollout-ended")).toHaveText("The last rollout, of v2, was aborted: answers too short.");
  const served = await request.get("/v1/prompts/support%2Freply?unit=user-1", { headers: { Authorization: `Bearer ${key.token}` } });
  expect((await served.json()).version).toBe("v1");
  await page.goto("/fleet?prompt=support/reply");
  await hydrated(page);
  await expect(live.locator("tr.fleet-version.now")).toHaveCount(1, { timeout: 40_000 });
  await expect(live.locator('tr.fleet-version.now[data-version="v1"]')).toBeVisible();
});
