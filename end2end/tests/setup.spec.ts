// First run: a server with no member sends every visitor to the setup page, which creates
// the workspace and its owner and signs them in.
import { test, expect } from "@playwright/test";
import { hydrated, PromptsPage } from "./pages";
import { setupPort } from "../playwright.config";

test.use({ baseURL: `http://127.0.0.1:${setupPort}` });

test("first-run setup creates the workspace and signs the owner in", async ({ page, request }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await hydrated(page);
  await page.screenshot({ path: "screenshots/setup.png", fullPage: true });

  await page.getByLabel("Workspace name").fill("Globex");
  await page.getByLabel("Your name").fill("Grace");
  await page.getByLabel("Email").fill("grace@example.com");
  await page.getByLabel("Password").fill("short");
  // The browser's own check stops a too-short password before it is sent.
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/setup$/);

  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/prompts$/);
  await expect(page.getByText("No prompts yet.")).toBeVisible();

  // Setup is closed from now on, in the API as well.
  const again = await request.post("/v1/setup", {
    data: { workspace: "X", email: "x@example.com", password: "long enough", name: "X" },
  });
  expect(again.status()).toBe(409);
  expect((await again.json()).error.code).toBe("conflict");

  await hydrated(page);
  await new PromptsPage(page).signOut();
  await expect(page).toHaveURL(/\/sign-in$/);
});
