// Integrations: an admin adds a webhook, a promotion reaches a real receiver signed, and
// the delivery shows in the log and in the prompt's Deployments timeline. Its own server
// (integrationsPort), started with --allow-private-webhooks so it may call 127.0.0.1.
import { test, expect } from "@playwright/test";
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { hydrated, owner, setUpThroughApi, SignInPage, PromptPage } from "./pages";
import { integrationsPort } from "../playwright.config";

test.use({ baseURL: `http://127.0.0.1:${integrationsPort}` });

type Delivery = { headers: IncomingHttpHeaders; body: string };

/** A webhook receiver on an ephemeral port that answers 200 and keeps what it got. */
async function receiver() {
  const received: Delivery[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => server.close() };
}

test("an admin adds a webhook; a promotion is delivered, signed, and logged", async ({ page, request }) => {
  const hook = await receiver();
  const token = await setUpThroughApi(request);
  const headers = { Authorization: `Bearer ${token}` };
  expect((await request.post("/v1/manage/prompts", { headers, data: { name: "support/triage" } })).status()).toBe(201);
  const saved = await request.post("/v1/manage/prompts/support%2Ftriage/versions", {
    headers,
    data: { source: "Classify the ticket.", message: "first cut" },
  });
  expect(saved.status()).toBe(201);

  await page.goto("/sign-in");
  await hydrated(page);
  await new SignInPage(page).signIn(owner.email, owner.password);
  await expect(page).toHaveURL(/\/prompts$/);
  await page.goto("/settings");
  await hydrated(page);
  await page.getByRole("link", { name: "Manage webhooks" }).click();
  await expect(page).toHaveURL(/\/settings\/integrations$/);
  await hydrated(page);

  // Add it: every event but label.moved is ticked by default; the secret is shown once.
  await page.getByLabel("Payload URL").fill(hook.url);
  await page.getByRole("button", { name: "Add webhook" }).click();
  const secret = ((await page.locator(".secret code").textContent()) ?? "").trim();
  expect(secret).toMatch(/^whsec_/);
  const row = page.locator(`tr.webhook-row[data-url="${hook.url}"]`);
  await expect(row).toContainText("version.promoted");
  await expect(row).toContainText("enabled");

  // Promote through the dashboard.
  await page.goto("/prompts/support/triage");
  await hydrated(page);
  const prompt = new PromptPage(page);
  await prompt.rowAction("v1", "Promote");
  await prompt.confirm("Promote v1", "Live moves from nothing to v1");
  await expect(prompt.pointers()).toContainText("live v1");

  // The receiver gets it, signed with that secret.
  await expect.poll(() => hook.received.length, { timeout: 10_000 }).toBe(1);
  const delivery = hook.received[0];
  expect(delivery.headers["promptvault-event"]).toBe("version.promoted");
  const [t, v1] = String(delivery.headers["promptvault-signature"]).split(",").map((part) => part.split("=")[1]);
  expect(v1).toBe(createHmac("sha256", secret).update(`${t}.${delivery.body}`).digest("hex"));
  const event = JSON.parse(delivery.body);
  expect(event.version.version).toBe("v1");
  expect(event.actor.email).toBe(owner.email);

  // The Deployments timeline names the same event.
  const move = page.locator(`tr.deployment-row[data-event="${event.id}"]`);
  await expect(move).toContainText("nothing → v1");
  await page.screenshot({ path: "screenshots/deployments.png", fullPage: true });

  // The delivery log shows it, delivered; a test event follows it there.
  await page.goto("/settings/integrations");
  await hydrated(page);
  await row.getByRole("link", { name: "Delivery log" }).click();
  await expect(page).toHaveURL(/log=/);
  const attempt = page.locator(`tr.attempt-row[data-event="${event.id}"]`);
  await expect(attempt).toContainText("200");
  await expect(attempt).toHaveAttribute("data-delivery", "delivered");
  await row.getByRole("button", { name: "Send test event" }).click();
  await expect.poll(() => hook.received.length, { timeout: 10_000 }).toBe(2);
  await page.getByRole("button", { name: "Refresh" }).click();
  await expect(page.locator("tr.attempt-row").first()).toContainText("webhook.test");
  await page.screenshot({ path: "screenshots/integrations.png", fullPage: true });

  // A second version goes live; the timeline offers to roll back to the first.
  const v2 = await request.post("/v1/manage/prompts/support%2Ftriage/versions", { headers, data: { source: "Classify it.", message: "second" } });
  expect(v2.status()).toBe(201);
  expect((await request.post("/v1/manage/prompts/support%2Ftriage/versions/2/promote", { headers })).status()).toBe(200);
  await page.goto("/prompts/support/triage");
  await hydrated(page);
  await expect(page.locator("tr.deployment-row")).toHaveCount(2);
  await move.getByRole("link", { name: "Roll back to this" }).click();
  await prompt.confirm("Roll back to v1", "Live moves back from v2 to v1");
  await expect(prompt.pointers()).toContainText("live v1");
  await expect(page.locator("tr.deployment-row").first()).toContainText("v2 → v1");
  await expect.poll(() => hook.received.map((d) => d.headers["promptvault-event"]), { timeout: 10_000 }).toEqual([
    "version.promoted",
    "webhook.test",
    "version.promoted",
    "version.rolled_back",
  ]);
  hook.close();
});

test("a webhook added with Enabled unchecked is disabled and receives nothing", async ({ page, request }) => {
  const hook = await receiver();
  // The workspace and its prompt are the first test's.
  expect((await request.post("/v1/setup", { data: owner })).status()).toBe(409);
  await page.goto("/sign-in");
  await hydrated(page);
  await new SignInPage(page).signIn(owner.email, owner.password);
  await expect(page).toHaveURL(/\/prompts$/);
  await page.goto("/settings/integrations");
  await hydrated(page);
  await page.getByLabel("Payload URL").fill(hook.url);
  await page.getByLabel(/^Enabled/).uncheck();
  await page.getByRole("button", { name: "Add webhook" }).click();
  const row = page.locator(`tr.webhook-row[data-url="${hook.url}"]`);
  await expect(row).toContainText("disabled");

  // A promotion is not delivered to it.
  await page.goto("/prompts/support/triage");
  await hydrated(page);
  const prompt = new PromptPage(page);
  await prompt.saveNewDraft("Classify it, third.", "third", "v3");
  await prompt.rowAction("v3", "Promote");
  await prompt.confirm("Promote v3", "Live moves from v1 to v3");
  await page.waitForTimeout(1500);
  expect(hook.received).toHaveLength(0);
  hook.close();
});
