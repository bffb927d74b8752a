// A chat prompt in the dashboard: created with its type, its messages written, placeholder
// added and reordered with the keyboard, the config checked as it is typed, the variables
// listed and the preview compiled in the browser; then a second version compared message by
// message and key by key. Its own server (chatPort), set up through the API.
import { test, expect } from "@playwright/test";
import { hydrated, owner, setUpThroughApi, SignInPage } from "./pages";
import { chatPort } from "../playwright.config";

test.use({ baseURL: `http://127.0.0.1:${chatPort}` });
test.describe.configure({ mode: "serial" });

const name = "support/reply";
const api = `/v1/manage/prompts/${encodeURIComponent(name)}`;
let token = "";

test("write a chat prompt's messages and config, preview it, save it, and compare two versions", async ({ page, request }) => {
  token = await setUpThroughApi(request);
  await page.goto("/sign-in");
  await hydrated(page);
  await new SignInPage(page).signIn(owner.email, owner.password);
  await expect(page).toHaveURL(/\/prompts$/);
  await hydrated(page);

  // Creating a prompt asks for its type.
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Type").selectOption("chat");
  await page.getByRole("button", { name: "Create prompt" }).click();
  await expect(page).toHaveURL(new RegExp(`/prompts/${name}$`));
  await hydrated(page);

  // A new chat prompt starts with a system message to write.
  const content = (n: number) => page.getByLabel(`Content of message ${n}`, { exact: true });
  await content(1).fill("You help {{ customer }} on the {{plan}} plan.");
  await page.getByRole("button", { name: "Add a message" }).click();
  await content(2).fill("{{question}}");
  await page.getByRole("button", { name: "Add a placeholder" }).click();
  await expect(page.getByLabel("Name of placeholder 3")).toHaveValue("history");
  // The placeholder goes before the user's question: by keyboard, from its name field.
  await page.getByLabel("Name of placeholder 3").focus();
  await page.keyboard.press("Alt+ArrowUp");
  await expect(page.getByLabel("Name of placeholder 2")).toHaveValue("history");
  await expect(content(3)).toHaveValue("{{question}}");
  await expect(page.getByLabel("Role of message 3")).toHaveValue("user");

  // The variables found, as typed.
  const variables = page.locator(".variables");
  await expect(variables).toContainText("{{customer}}");
  await expect(variables).toContainText("{{plan}}");
  await expect(variables).toContainText("{{question}}");

  // The config is checked as it is typed; invalid JSON cannot be saved.
  const config = page.getByLabel(/^Config/);
  const save = page.getByRole("button", { name: "Save as new draft" });
  await config.fill('{"model": "gpt-4o",');
  await expect(page.locator("#config-check")).toContainText("Not valid JSON");
  await expect(save).toBeDisabled();
  await config.fill('["gpt-4o"]');
  await expect(page.locator("#config-check")).toContainText("a JSON object");
  await expect(save).toBeDisabled();
  await config.fill('{"model": "gpt-4o", "temperature": 0.2}');
  await expect(page.locator("#config-check")).toContainText("Saved and frozen with the version");
  await expect(save).toBeEnabled();

  // The preview compiles in the browser with sample values, as they are typed.
  await page.getByText("Preview with sample values").click();
  await page.getByLabel("customer", { exact: true }).fill("Ada");
  const preview = page.locator(".preview-chat");
  await expect(preview).toContainText("You help Ada on the {{plan}} plan.");
  await page.getByLabel("plan", { exact: true }).fill("pro");
  await expect(preview).toContainText("You help Ada on the pro plan.");
  await expect(preview).toContainText("history");

  await page.getByLabel("Message", { exact: true }).fill("First reply prompt");
  await save.click();
  await expect(page.getByRole("heading", { name: "Editing draft v1" })).toBeVisible();

  // Saved as typed: the messages in order, the config, the variables.
  const headers = { Authorization: `Bearer ${token}` };
  const v1 = await (await request.get(`${api}/versions/1`, { headers })).json();
  expect(v1.type).toBe("chat");
  expect(v1.messages).toEqual([
    { role: "system", content: "You help {{ customer }} on the {{plan}} plan." },
    { type: "placeholder", name: "history" },
    { role: "user", content: "{{question}}" },
  ]);
  expect(v1.config).toEqual({ model: "gpt-4o", temperature: 0.2 });
  expect(v1.variables).toEqual(["customer", "plan", "question"]);

  // A second version: the system message reworded, an assistant message added, the
  // temperature changed and the model kept.
  const messages = [
    { role: "system", content: "You help {{ customer }} kindly on the {{plan}} plan." },
    { type: "placeholder", name: "history" },
    { role: "user", content: "{{question}}" },
    { role: "assistant", content: "Let me check." },
  ];
  const saved = await request.post(`${api}/versions`, {
    headers,
    data: { messages, config: { model: "gpt-4o", temperature: 0.5 }, message: "Kinder" },
  });
  expect(saved.status()).toBe(201);

  // The diff compares message by message, words marked, and the config key by key.
  await page.goto(`/prompts/${name}?diff=2`);
  await hydrated(page);
  // The editor opened on v2 (from the server's page) holds its entries, placeholder included.
  await expect(page.getByLabel("Name of placeholder 2")).toHaveValue("history");
  await expect(content(4)).toHaveValue("Let me check.");
  const diff = page.locator(".diff-panel");
  await expect(diff).toContainText("from v1 to v2");
  const changed = diff.locator("li.msg.changed");
  await expect(changed).toHaveCount(1);
  await expect(changed).toContainText("Message 1, changed");
  await expect(changed.locator("td.added mark").first()).toContainText("kindly");
  await expect(diff.locator("li.msg.added")).toContainText("Let me check.");
  await expect(diff.locator("li.msg.same")).toHaveCount(2);
  const configDiff = diff.locator("table.config-diff");
  await expect(configDiff.locator("tbody tr")).toHaveCount(1);
  await expect(configDiff).toContainText("temperature");
  await expect(configDiff.locator("td.removed")).toContainText("0.2");
  await expect(configDiff.locator("td.added")).toContainText("0.5");
  await page.screenshot({ path: "screenshots/chat-diff.png", fullPage: true });
});

test("a text prompt still edits as a text, with its variables and preview", async ({ page, request }) => {
  const headers = { Authorization: `Bearer ${token}` };
  expect((await request.post("/v1/manage/prompts", { headers, data: { name: "plain" } })).status()).toBe(201);
  await page.goto("/sign-in");
  await hydrated(page);
  await new SignInPage(page).signIn(owner.email, owner.password);
  await expect(page).toHaveURL(/\/prompts$/);
  await page.goto("/prompts/plain");
  await hydrated(page);
  await page.getByRole("textbox", { name: "Source", exact: true }).fill("Hello {{name}}!");
  await expect(page.locator(".variables")).toContainText("{{name}}");
  await page.getByText("Preview with sample values").click();
  await page.getByLabel("name", { exact: true }).fill("Ada");
  await expect(page.locator(".preview-text")).toHaveText("Hello Ada!");
  await page.getByLabel("Message", { exact: true }).fill("Greeting");
  await page.getByRole("button", { name: "Save as new draft" }).click();
  await expect(page.getByRole("heading", { name: "Editing draft v1" })).toBeVisible();
  const v1 = await (await request.get("/v1/manage/prompts/plain/versions/1", { headers })).json();
  expect([v1.type, v1.source, v1.config, v1.variables]).toEqual(["text", "Hello {{name}}!", {}, ["name"]]);
});
