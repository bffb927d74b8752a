import { defineConfig } from "@playwright/test";
import path from "node:path";

/**
 * The server under test, as an absolute path: the release binary scripts/build.sh makes, or
 * the one PROMPTVAULT_BIN names (scripts/test.sh runs the debug binary its Rust tests built).
 */
export const serverBinary = path.resolve(__dirname, "..", process.env.PROMPTVAULT_BIN ?? "target/release/promptvault");
const port = 3917;
/** The server left empty for the first-run setup page (see tests/journey.spec.ts). */
export const setupPort = 3918;
/** The server of the long-history tests (tests/versions.spec.ts). */
export const historyPort = 3919;
/** The server of the webhook tests (tests/webhooks.spec.ts). */
export const integrationsPort = 3920;
/** The server the real Langfuse SDKs read (tests/langfuse.spec.ts). */
export const langfusePort = 3921;
/** The server of the team tests: invitations, roles, removal (tests/team.spec.ts). */
export const teamPort = 3922;
/** The server of the chat prompt tests: the messages editor, config, preview, diff (tests/chat.spec.ts). */
export const chatPort = 3923;
/** The server the official MCP Python SDK reads (tests/mcp.spec.ts). */
export const mcpPort = 3924;
/** The server of the labels tests: Settings → Labels, moving a label, a key of a label (tests/labels.spec.ts). */
export const labelsPort = 3925;
/** The server of the composition tests: a shared piece, the prompts that include it, "Used by" (tests/composition.spec.ts). */
export const compositionPort = 3926;
/** The server of the rollout tests: a 10 % rollout, the Fleet page, an abort (tests/rollouts.spec.ts). */
export const rolloutsPort = 3927;
/**
 * The Rust SDK's example of an application's instances (sdk/examples/fleet.rs), which the
 * rollout tests run: built by `cargo test` (scripts/test.sh) or
 * `cargo build -p promptvault-sdk --example fleet`.
 */
export const fleetExample = path.resolve(__dirname, "..", process.env.PROMPTVAULT_FLEET_EXAMPLE ?? "target/debug/examples/fleet");

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [{ name: "chromium" }],
  // A server per spec file, each on a fresh data directory: one set up through the API by
  // the tests, one left empty for the first-run setup page, one for the long histories, one
  // for webhooks (allowed to call the tests' receiver on 127.0.0.1), one for the Langfuse SDKs,
  // one for a team, one for chat prompts, one for MCP, one for labels, one for composition, one for rollouts.
  webServer: [port, setupPort, historyPort, integrationsPort, langfusePort, teamPort, chatPort, mcpPort, labelsPort, compositionPort, rolloutsPort].map((p) => ({
    cwd: "..",
    command:
      `rm -rf target/e2e-data-${p} && exec ${serverBinary} --addr 127.0.0.1:${p} --data-dir target/e2e-data-${p}` +
      (p === integrationsPort ? " --allow-private-webhooks" : ""),
    url: `http://127.0.0.1:${p}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe" as const,
    // The journeys sign in far more often than a person would in a minute.
    env: { RUST_LOG: "warn", PROMPTVAULT_ATTEMPTS_PER_MINUTE: "1000" },
  })),
});
