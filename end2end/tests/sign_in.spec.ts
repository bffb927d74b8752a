// The pipeline, end to end: a server-rendered page hydrates, calls a server function, and
// shows the workspace's prompts to the owner made by POST /v1/setup.
import { test, expect } from "@playwright/test";
import { hydrated, owner, setUpThroughApi, SignInPage, PromptsPage } from "./pages";

test.describe.configure({ mode: "serial" });

test("the owner made by /v1/setup signs in and sees the workspace's prompts", async ({ page, request }) => {
  const token = await setUpThroughApi(request);
  const auth = { Authorization: `Bearer ${token}` };
  expect((await request.post("/v1/manage/prompts", { headers: auth, data: { name: "support/triage" } })).status()).toBe(201);
  expect((await request.post("/v1/manage/prompts", { headers: auth, data: { name: "onboarding/welcome" } })).status()).toBe(201);
  const path = "/v1/manage/prompts/support%2Ftriage";
  expect((await request.post(`${path}/versions`, { headers: auth, data: { source: "Classify the ticket.", message: "first" } })).status()).toBe(201);
  expect((await request.post(`${path}/versions/1/promote`, { headers: auth })).status()).toBe(200);

  // Signed out, the dashboard sends a visitor to sign in.
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in$/);
  await hydrated(page);

  const signIn = new SignInPage(page);
  await signIn.signIn(owner.email, "wrong password");
  await expect(signIn.error()).toHaveText("the email or password is wrong");
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.screenshot({ path: "screenshots/sign-in-error.png", fullPage: true });

  await signIn.signIn(owner.email, owner.password);
  await expect(page).toHaveURL(/\/prompts$/);
  const prompts = new PromptsPage(page);
  await expect(prompts.row("support/triage")).toContainText("v1");
  await expect(prompts.row("onboarding/welcome")).toBeVisible();
  await page.screenshot({ path: "screenshots/prompts.png", fullPage: true });

  await hydrated(page);
  await prompts.signOut();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto("/prompts");
  await expect(page).toHaveURL(/\/sign-in$/);
});

test("sign-in works without JavaScript too", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const signIn = new SignInPage(page);
  await signIn.open();
  await signIn.signIn(owner.email, owner.password);
  await expect(page).toHaveURL(/\/prompts$/);
  await expect(new PromptsPage(page).row("support/triage")).toBeVisible();
  await context.close();
});

test("a request from another site cannot sign anyone in", async ({ request, baseURL }) => {
  const html = await (await request.get("/sign-in")).text();
  const action = html.match(/<form[^>]*action="([^"]+)"/)?.[1];
  expect(action).toMatch(/^\/api\//);
  const form = { email: owner.email, password: owner.password };
  const forged = await request.post(action!, { headers: { Origin: "http://evil.example" }, form, maxRedirects: 0 });
  expect(forged.status()).toBe(403);
  expect(forged.headers()["set-cookie"]).toBeUndefined();
  // A request that names no site at all (no Sec-Fetch-Site, Origin or Referer) is refused too.
  const bare = await request.post(action!, { form, maxRedirects: 0 });
  expect(bare.status()).toBe(403);
  const genuine = await request.post(action!, { headers: { Origin: baseURL! }, form, maxRedirects: 0 });
  expect(genuine.status()).toBeLessThan(400);
  expect(genuine.headers()["set-cookie"]).toContain("pv_session=");
});
