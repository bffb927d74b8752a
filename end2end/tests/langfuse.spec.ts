// The real Langfuse SDKs — TypeScript (@langfuse/client) here, Python (langfuse) in a child
// process — read PromptVault through /api/public/v2/prompts with nothing changed but the
// host and the keys. Its own server (langfusePort), set up here through the API.
import { test, expect, type APIRequestContext } from "@playwright/test";
import { LangfuseClient } from "@langfuse/client";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { setUpThroughApi } from "./pages";
import { langfusePort, serverBinary } from "../playwright.config";

const baseUrl = `http://127.0.0.1:${langfusePort}`;
test.use({ baseURL: baseUrl });
test.describe.configure({ mode: "serial" });

/** A prompt with v1 live, v2 published after it (latest) then live rolled back to v1, and
 *  v3 a draft on staging; a live and a test key. */
async function seed(request: APIRequestContext, name: string, token: string) {
  const headers = { Authorization: `Bearer ${token}` };
  const path = `/v1/manage/prompts/${encodeURIComponent(name)}`;
  const ok = async (response: Promise<{ status(): number }>) => expect((await response).status()).toBeLessThan(300);
  await ok(request.post("/v1/manage/prompts", { headers, data: { name } }));
  for (const n of [1, 2, 3]) {
    await ok(request.post(`${path}/versions`, { headers, data: { source: `Hello {{name}}, v${n}`, message: `v${n}` } }));
  }
  await ok(request.post(`${path}/versions/1/promote`, { headers }));
  await ok(request.post(`${path}/versions/2/promote`, { headers }));
  await ok(request.post(`${path}/rollback`, { headers, data: { version: 1 } }));
  await ok(request.put(`${path}/staging`, { headers, data: { version: 3 } }));
}

async function key(request: APIRequestContext, token: string, kind: "live" | "test", name: string) {
  const response = await request.post("/v1/manage/keys", { headers: { Authorization: `Bearer ${token}` }, data: { kind, name } });
  expect(response.status()).toBe(201);
  return (await response.json()) as { id: number; token: string };
}

let token = "";

test.beforeAll(async ({ request }) => {
  token = await setUpThroughApi(request);
  const settings = await request.patch("/v1/manage/settings", { headers: { Authorization: `Bearer ${token}` }, data: { staging_enabled: true } });
  expect(settings.status()).toBe(200);
});

test("the TypeScript SDK reads every label, sees a promote, falls back, and is refused with a revoked key", async ({ request }) => {
  const name = "ts/greeting";
  await seed(request, name, token);
  const liveKey = await key(request, token, "live", "ts live");
  const testKey = await key(request, token, "test", "ts test");
  const client = (secretKey: string) => new LangfuseClient({ publicKey: "pk-lf-promptvault", secretKey, baseUrl });
  const live = client(liveKey.token);
  const preview = client(testKey.token);
  const fresh = { cacheTtlSeconds: 0 };

  const first = await live.prompt.get(name, fresh);
  expect([first.version, first.prompt, first.labels]).toEqual([1, "Hello {{name}}, v1", ["production"]]);
  expect(first.compile({ name: "Ada" })).toBe("Hello Ada, v1");
  expect((await live.prompt.get(name, { ...fresh, label: "production" })).version).toBe(1);
  expect((await preview.prompt.get(name, fresh)).version).toBe(3);
  expect((await preview.prompt.get(name, { ...fresh, label: "staging" })).version).toBe(3);
  expect((await live.prompt.get(name, { ...fresh, label: "latest" })).version).toBe(2);
  expect((await live.prompt.get(name, { ...fresh, version: 2 })).version).toBe(2);
  const notForLive = await live.prompt.get(name, { ...fresh, label: "staging", fallback: "not for live keys" });
  expect([notForLive.isFallback, notForLive.prompt]).toEqual([true, "not for live keys"]);
  const missing = await live.prompt.get("no/such-prompt", { ...fresh, fallback: "Fallback text" });
  expect([missing.isFallback, missing.prompt]).toEqual([true, "Fallback text"]);

  // A promote: at once without a cache; after the TTL with one.
  const cached = client(liveKey.token);
  expect((await cached.prompt.get(name, { cacheTtlSeconds: 2 })).version).toBe(1);
  const promoted = await request.post(`/v1/manage/prompts/${encodeURIComponent(name)}/versions/2/promote`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(promoted.status()).toBe(200);
  expect((await live.prompt.get(name, fresh)).version).toBe(2);
  expect((await cached.prompt.get(name, { cacheTtlSeconds: 2 })).version).toBe(1);
  await expect.poll(async () => (await cached.prompt.get(name, { cacheTtlSeconds: 2 })).version, { timeout: 10_000 }).toBe(2);

  // Revoked: refused.
  const revoked = await request.delete(`/v1/manage/keys/${liveKey.id}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(revoked.status()).toBe(204);
  await expect(client(liveKey.token).prompt.get(name, { ...fresh, maxRetries: 0 })).rejects.toThrow();
});

test("the Python SDK does the same", async ({ request }) => {
  const name = "py/greeting";
  await seed(request, name, token);
  const liveKey = await key(request, token, "live", "python live");
  const testKey = await key(request, token, "test", "python test");
  const { stdout } = await promisify(execFile)(".venv/bin/python", ["langfuse/check_python_sdk.py"], {
    env: { ...process.env, PV_URL: baseUrl, PV_PAT: token, PV_LIVE_KEY: liveKey.token, PV_TEST_KEY: testKey.token, PV_PROMPT: name },
    timeout: 60_000,
  });
  expect(stdout).toContain("revoked key refused");
  expect(stdout).toContain("python sdk: ok");
});

test("the TypeScript SDK creates, labels, reads and lists prompts with a personal access token", async ({ request }) => {
  const liveKey = await key(request, token, "live", "ts writes live");
  const writer = new LangfuseClient({ publicKey: "pk-lf-writer", secretKey: token, baseUrl });
  const fresh = { cacheTtlSeconds: 0 };

  const made = await writer.prompt.create({
    name: "ts/movie-critic",
    prompt: "As a {{level}} critic, do you like {{movie}}?",
    labels: ["production"],
    tags: ["films"],
    config: { model: "gpt-4o" },
    commitMessage: "first cut",
  });
  expect([made.version, made.labels, made.tags, made.config]).toEqual([1, ["production", "latest"], ["films"], { model: "gpt-4o" }]);
  const chat = await writer.prompt.create({
    name: "ts/chat",
    type: "chat",
    prompt: [
      { role: "system", content: "You are a {{tone}} assistant." },
      { type: "placeholder", name: "history" },
    ],
    labels: ["staging"],
  });
  expect([chat.version, chat.labels]).toEqual([1, ["staging", "latest"]]);
  expect(chat.compile({ tone: "warm" }, { history: [{ role: "user", content: "Hi" }] })).toEqual([
    { role: "system", content: "You are a warm assistant." },
    { role: "user", content: "Hi" },
  ]);

  const second = await writer.prompt.create({ name: "ts/movie-critic", prompt: "Do you like {{movie}}?" });
  expect([second.version, second.labels, second.tags]).toEqual([2, ["latest"], ["films"]]);
  expect((await writer.prompt.get("ts/movie-critic", fresh)).version).toBe(1);
  const updated = await writer.prompt.update({ name: "ts/movie-critic", version: 2, newLabels: ["production"] });
  expect(updated.labels).toEqual(["production", "latest"]);
  expect((await writer.prompt.get("ts/movie-critic", fresh)).version).toBe(2);
  expect((await writer.prompt.get("ts/movie-critic", { ...fresh, version: 1 })).labels).toEqual([]);

  const listed = await writer.api.prompts.list({ tag: "films" });
  expect(listed.data.map((p) => [p.name, p.versions, p.labels])).toEqual([["ts/movie-critic", [1, 2], ["production", "latest"]]]);

  // A read key reads the new production at once, and is refused a write.
  const reader = new LangfuseClient({ publicKey: "pk-lf-reader", secretKey: liveKey.token, baseUrl });
  expect((await reader.prompt.get("ts/movie-critic", fresh)).version).toBe(2);
  await expect(reader.prompt.create({ name: "ts/not-allowed", prompt: "x" })).rejects.toThrow();
});

test("the Python SDK creates, labels, reads and lists prompts with a personal access token", async ({ request }) => {
  const liveKey = await key(request, token, "live", "python writes live");
  const { stdout } = await promisify(execFile)(".venv/bin/python", ["langfuse/check_python_writes.py"], {
    env: { ...process.env, PV_URL: baseUrl, PV_PAT: token, PV_LIVE_KEY: liveKey.token },
    timeout: 60_000,
  });
  expect(stdout).toContain("read key refused a write");
  expect(stdout).toContain("python writes: ok");
});

/** A chat prompt with a system message, a history placeholder and a user message, and a
 *  model config, live at v1. */
async function seedChat(request: APIRequestContext, name: string) {
  const headers = { Authorization: `Bearer ${token}` };
  const path = `/v1/manage/prompts/${encodeURIComponent(name)}`;
  expect((await request.post("/v1/manage/prompts", { headers, data: { name, type: "chat" } })).status()).toBe(201);
  const messages = [
    { role: "system", content: "You help {{ customer }} with {{product}}." },
    { type: "placeholder", name: "history" },
    { role: "user", content: "{{question}}" },
  ];
  const config = { model: "gpt-4o", temperature: 0.2 };
  expect((await request.post(`${path}/versions`, { headers, data: { messages, config, message: "v1" } })).status()).toBe(201);
  expect((await request.post(`${path}/versions/1/promote`, { headers })).status()).toBe(200);
}

test("both SDKs compile a chat prompt's messages and placeholders and read its config", async ({ request }) => {
  const name = "chat/support";
  await seedChat(request, name);
  const liveKey = await key(request, token, "live", "chat live");

  const client = new LangfuseClient({ publicKey: "pk-lf-chat", secretKey: liveKey.token, baseUrl });
  const prompt = await client.prompt.get(name, { type: "chat", cacheTtlSeconds: 0 });
  expect([prompt.type, prompt.version, prompt.config]).toEqual(["chat", 1, { model: "gpt-4o", temperature: 0.2 }]);
  expect((prompt.config as { model: string }).model).toBe("gpt-4o");
  const history = [
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello! How can I help?" },
  ];
  expect(prompt.compile({ customer: "Ada", product: "PromptVault", question: "Can I roll back?" }, { history })).toEqual([
    { role: "system", content: "You help Ada with PromptVault." },
    ...history,
    { role: "user", content: "Can I roll back?" },
  ]);

  const { stdout } = await promisify(execFile)(".venv/bin/python", ["langfuse/check_python_chat.py"], {
    env: { ...process.env, PV_URL: baseUrl, PV_LIVE_KEY: liveKey.token, PV_PROMPT: name },
    timeout: 60_000,
  });
  expect(stdout).toContain("python chat: ok");
});

test("a Langfuse export imported with the command line keeps its numbers and labels for the SDK", async ({ request }) => {
  // The binary the servers run; its exit status says what the import did (2: imported).
  const importExport = () =>
    promisify(execFile)(serverBinary, ["import", "--from-langfuse", "langfuse/export.json", "--url", baseUrl, "--token", token], {
      timeout: 60_000,
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
  const first = await importExport();
  expect(first.code).toBe(2);
  expect(first.stdout).toContain("movie-critic: created, added v1, v2, v3, live v2, staging v3");

  const liveKey = await key(request, token, "live", "imported live");
  const testKey = await key(request, token, "test", "imported test");
  const fresh = { cacheTtlSeconds: 0 };
  const live = new LangfuseClient({ publicKey: "pk-lf-import", secretKey: liveKey.token, baseUrl });
  const preview = new LangfuseClient({ publicKey: "pk-lf-import", secretKey: testKey.token, baseUrl });
  const production = await live.prompt.get("movie-critic", fresh);
  expect([production.version, production.config]).toEqual([2, { model: "gpt-4o", temperature: 0.7 }]);
  expect(production.compile({ criticlevel: "expert", movie: "Dune" })).toBe(
    "As a expert movie critic, do you like Dune? Answer in one line.",
  );
  // An application pinned to a Langfuse version number reads the same version here.
  const pinned = await live.prompt.get("movie-critic", { ...fresh, version: 1 });
  expect(pinned.prompt).toBe("As a {{criticlevel}} movie critic, do you like {{movie}}?");
  expect((await preview.prompt.get("movie-critic", fresh)).version).toBe(3);
  const chat = await live.prompt.get("support/chat-reply", { type: "chat", ...fresh });
  expect([chat.version, chat.config]).toEqual([1, { model: "gpt-4o", max_tokens: 300 }]);
  const history = [{ role: "user", content: "Hi" }];
  expect(chat.compile({ product: "PromptVault", question: "Can I roll back?" }, { history })).toEqual([
    { role: "system", content: "You are a support agent for PromptVault." },
    ...history,
    { role: "user", content: "Can I roll back?" },
  ]);

  // The same file again: nothing to do.
  const again = await importExport();
  expect(again.code).toBe(0);
  expect(again.stdout).toContain("movie-critic: unchanged v1, v2, v3");
});
