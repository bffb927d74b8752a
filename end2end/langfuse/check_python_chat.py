"""The real Langfuse Python SDK reads a PromptVault chat prompt: run by tests/langfuse.spec.ts
with the server's address, a live key and the prompt's name (a system message, a `history`
placeholder and a user message, with a model config). Exits non-zero, saying what differed,
when anything is not as the contract says."""

import os

from langfuse import Langfuse

URL = os.environ["PV_URL"]
LIVE = os.environ["PV_LIVE_KEY"]
NAME = os.environ["PV_PROMPT"]


def expect(what: str, got, wanted) -> None:
    if got != wanted:
        raise SystemExit(f"{what}: got {got!r}, wanted {wanted!r}")


client = Langfuse(public_key="pk-chat", secret_key=LIVE, host=URL, tracing_enabled=False)
prompt = client.get_prompt(NAME, type="chat", cache_ttl_seconds=0)
expect("version", prompt.version, 1)
expect("config", prompt.config, {"model": "gpt-4o", "temperature": 0.2})
expect("the model", prompt.config["model"], "gpt-4o")
expect("variables", sorted(prompt.variables), ["customer", "product", "question"])
history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"}]
compiled = prompt.compile(customer="Ada", product="PromptVault", question="Can I roll back?", history=history)
expect(
    "compiled messages",
    [dict(message) for message in compiled],
    [
        {"role": "system", "content": "You help Ada with PromptVault."},
        *history,
        {"role": "user", "content": "Can I roll back?"},
    ],
)
print("python chat: ok")
