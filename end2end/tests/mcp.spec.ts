// The official MCP Python SDK (`mcp` from PyPI), in a child process, as an AI agent would
// use PromptVault: initialize, list the prompts a read key reads, get them with arguments,
// be refused a missing argument, and see a promote. Its own server (mcpPort), set up here
// through the API.
import { test, expect } from "@playwright/test";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { setUpThroughApi } from "./pages";
import { mcpPort } from "../playwright.config";

const baseUrl = `http://127.0.0.1:${mcpPort}`;
test.use({ baseURL: baseUrl });

test("an agent lists, gets and compiles the key's prompts over MCP, and sees a promote", async ({ request }) => {
  const token = await setUpThroughApi(request);
  const headers = { Authorization: `Bearer ${token}` };
  const ok = async (response: Promise<{ status(): number }>) => expect((await response).status()).toBeLessThan(300);
  await ok(request.post("/v1/manage/prompts", { headers, data: { name: "greet" } }));
  await ok(request.post("/v1/manage/prompts/greet/versions", { headers, data: { source: "Hello {{name}}!", message: "first greeting" } }));
  await ok(request.post("/v1/manage/prompts/greet/versions", { headers, data: { source: "Good day, {{name}}.", message: "politer" } }));
  await ok(request.post("/v1/manage/prompts/greet/versions/1/promote", { headers }));
  await ok(request.post("/v1/manage/prompts", { headers, data: { name: "support/reply", type: "chat" } }));
  const messages = [
    { role: "system", content: "You help {{customer}}." },
    { type: "placeholder", name: "history" },
    { role: "user", content: "{{question}}" },
  ];
  await ok(request.post("/v1/manage/prompts/support%2Freply/versions", { headers, data: { messages } }));
  await ok(request.post("/v1/manage/prompts/support%2Freply/versions/1/promote", { headers }));
  const key = await request.post("/v1/manage/keys", { headers, data: { kind: "live", name: "agent" } });
  expect(key.status()).toBe(201);

  const { stdout } = await promisify(execFile)(".venv/bin/python", ["mcp/check_mcp.py"], {
    env: {
      ...process.env,
      PV_URL: baseUrl,
      PV_LIVE_KEY: (await key.json()).token,
      PV_TOKEN: token,
      PV_TEXT: "greet",
      PV_CHAT: "support/reply",
    },
    timeout: 60_000,
  });
  expect(stdout).toContain("mcp python sdk: ok");
});
