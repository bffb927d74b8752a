"""The real Langfuse Python SDK manages prompts on PromptVault with a personal access token:
create (text and chat, with config, labels and tags), get by label and by version, update the
labels, list; a composed prompt read resolved and as written; and a read key is refused a
write. Run by tests/langfuse.spec.ts with the server's address, a token and a live key.
Exits non-zero, saying what differed."""

import os

from langfuse import Langfuse

URL = os.environ["PV_URL"]
PAT = os.environ["PV_PAT"]
LIVE = os.environ["PV_LIVE_KEY"]


def expect(what: str, got, wanted) -> None:
    if got != wanted:
        raise SystemExit(f"{what}: got {got!r}, wanted {wanted!r}")


# One client per public key (the SDK keeps one per key in a process); tracing off.
writer = Langfuse(public_key="pk-py-writer", secret_key=PAT, host=URL, tracing_enabled=False)
fresh = {"cache_ttl_seconds": 0}

made = writer.create_prompt(
    name="py/movie-critic",
    prompt="As a {{level}} critic, do you like {{movie}}?",
    labels=["production"],
    tags=["py-films"],
    config={"model": "gpt-4o", "temperature": 0.7},
    commit_message="first cut",
)
expect("created", (made.version, made.labels, made.tags), (1, ["production", "latest"], ["py-films"]))
expect("config", made.config, {"model": "gpt-4o", "temperature": 0.7})
expect("commit message", made.commit_message, "first cut")

chat = writer.create_prompt(
    name="py/chat",
    type="chat",
    prompt=[
        {"role": "system", "content": "You are a {{tone}} assistant."},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "{{question}}"},
    ],
    labels=["staging", "eu"],
)
expect("chat created", (chat.version, chat.labels), (1, ["staging", "eu", "latest"]))
compiled = chat.compile(tone="warm", question="Hi?", history=[{"role": "user", "content": "Hello"}])
expect("chat compiled", [m["role"] for m in compiled], ["system", "user", "user"])

second = writer.create_prompt(name="py/movie-critic", prompt="Do you like {{movie}}?")
expect("a second version", (second.version, second.labels, second.tags), (2, ["latest"], ["py-films"]))
expect("production stays on v1", writer.get_prompt("py/movie-critic", **fresh).version, 1)
expect("latest", writer.get_prompt("py/movie-critic", label="latest", **fresh).version, 2)
expect("by version", writer.get_prompt("py/movie-critic", version=1, **fresh).prompt, made.prompt)

updated = writer.update_prompt(name="py/movie-critic", version=2, new_labels=["production"])
expect("updated labels", updated.labels, ["production", "latest"])
expect("production moved", writer.get_prompt("py/movie-critic", **fresh).version, 2)
expect("v1 lost production", writer.get_prompt("py/movie-critic", version=1, **fresh).labels, [])

listed = writer.api.prompts.list(tag="py-films")
expect("listed", [(p.name, p.versions, p.labels) for p in listed.data], [("py/movie-critic", [1, 2], ["production", "latest"])])
expect("list meta", (listed.meta.total_items, listed.meta.page), (1, 1))

reader = Langfuse(public_key="pk-py-reader", secret_key=LIVE, host=URL, tracing_enabled=False)
expect("the key reads the new production", reader.get_prompt("py/movie-critic", **fresh).version, 2)
try:
    reader.create_prompt(name="py/not-allowed", prompt="x")
except Exception as error:  # the SDK's own AccessDeniedError (403)
    print(f"read key refused a write: {type(error).__name__}")
else:
    raise SystemExit("a read key created a prompt")

# Composition: a prompt includes another with Langfuse's tag; reads serve it resolved (pinned
# when published), and the API's resolve=False serves the text as written.
writer.create_prompt(name="py/tone", prompt="Be kind to {{customer}}.", labels=["production"])
written = "Answer {{question}}. @@@langfusePrompt:name=py/tone|label=production@@@"
writer.create_prompt(name="py/reply", prompt=written, labels=["production"])
composed = reader.get_prompt("py/reply", **fresh)
expect("resolved", composed.prompt, "Answer {{question}}. Be kind to {{customer}}.")
expect("compiled", composed.compile(question="why", customer="Ada"), "Answer why. Be kind to Ada.")
expect("raw", reader.api.prompts.get("py/reply", resolve=False).prompt, written)
writer.create_prompt(name="py/tone", prompt="Be brief.", labels=["production"])
expect("pinned", reader.get_prompt("py/reply", **fresh).prompt, composed.prompt)
print("python writes: ok")
