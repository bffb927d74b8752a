"""The real Langfuse Python SDK against PromptVault: run by tests/langfuse.spec.ts with the
server's address, a personal access token, and a live and a test key in the environment.
Exits non-zero, saying what differed, when anything is not as the contract says."""

import json
import os
import time
import urllib.request

from langfuse import Langfuse

URL = os.environ["PV_URL"]
PAT = os.environ["PV_PAT"]
LIVE = os.environ["PV_LIVE_KEY"]
TEST = os.environ["PV_TEST_KEY"]
NAME = os.environ["PV_PROMPT"]  # v1 live, v2 published (latest), v3 a staged draft


def manage(method: str, path: str, body=None) -> None:
    request = urllib.request.Request(
        f"{URL}/v1/manage{path}",
        method=method,
        data=json.dumps(body or {}).encode(),
        headers={"Authorization": f"Bearer {PAT}", "Content-Type": "application/json"},
    )
    urllib.request.urlopen(request).read()


def client(public_key: str, secret_key: str) -> Langfuse:
    # The SDK keeps one client (and one prompt cache) per public key in a process: PromptVault
    # does not check the public key, so each client here gets its own.
    # Tracing off: the client posts nothing besides its prompt reads.
    return Langfuse(public_key=public_key, secret_key=secret_key, host=URL, tracing_enabled=False)


def expect(what: str, got, wanted) -> None:
    if got != wanted:
        raise SystemExit(f"{what}: got {got!r}, wanted {wanted!r}")


live, test = client("pk-live", LIVE), client("pk-test", TEST)
fresh = {"cache_ttl_seconds": 0}

first = live.get_prompt(NAME, **fresh)
expect("live key, default label", (first.version, first.prompt), (1, "Hello {{name}}, v1"))
expect("labels", first.labels, ["production"])
expect("compile", first.compile(name="Ada"), "Hello Ada, v1")
expect("live key, production", live.get_prompt(NAME, label="production", **fresh).version, 1)
expect("test key, default label", test.get_prompt(NAME, **fresh).version, 3)
expect("test key, staging", test.get_prompt(NAME, label="staging", **fresh).version, 3)
expect("latest", live.get_prompt(NAME, label="latest", **fresh).version, 2)
expect("version=2", live.get_prompt(NAME, version=2, **fresh).version, 2)
staged_for_live = live.get_prompt(NAME, label="staging", fallback="not for live keys", **fresh)
expect("live key, staging: the fallback", (staged_for_live.is_fallback, staged_for_live.prompt), (True, "not for live keys"))
missing = live.get_prompt("no/such-prompt", fallback="Fallback text", **fresh)
expect("missing prompt: the fallback", (missing.is_fallback, missing.prompt), (True, "Fallback text"))

# A promote: seen at once without a cache; with one, after its TTL.
cached = client("pk-cached", LIVE)
expect("cached before the promote", cached.get_prompt(NAME, cache_ttl_seconds=2).version, 1)
manage("POST", f"/prompts/{NAME.replace('/', '%2F')}/versions/2/promote")
expect("uncached, right after the promote", live.get_prompt(NAME, **fresh).version, 2)
expect("cached, within its TTL", cached.get_prompt(NAME, cache_ttl_seconds=2).version, 1)
deadline = time.time() + 10
while cached.get_prompt(NAME, cache_ttl_seconds=2).version != 2:
    if time.time() > deadline:
        raise SystemExit("the cached client never saw the promote after its TTL")
    time.sleep(0.25)

# A revoked key fails (no fallback: the SDK raises).
keys = json.load(urllib.request.urlopen(urllib.request.Request(f"{URL}/v1/manage/keys", headers={"Authorization": f"Bearer {PAT}"})))
prod = next(k for k in keys["items"] if k["name"] == "python live")
manage("DELETE", f"/keys/{prod['id']}")
try:
    client("pk-revoked", LIVE).get_prompt(NAME, **fresh)
except Exception as error:  # the SDK's own UnauthorizedError after its retries
    print(f"revoked key refused: {type(error).__name__}")
else:
    raise SystemExit("a revoked key still read the prompt")
print("python sdk: ok")
