"""The official MCP Python SDK (`mcp` from PyPI) against PromptVault's `POST /mcp`: run by
tests/mcp.spec.ts with the server's address, a live key, the owner's token and two prompts
(`PV_TEXT`: "Hello {{name}}!" live at v1 with v2 a draft; `PV_CHAT`: a system message with
`{{customer}}`, a `history` placeholder, a user message `{{question}}`). Lists, gets with
arguments, is refused a missing argument, and sees a promote (and, listening, hears of it). Exits non-zero, saying what
differed, when anything is not as the contract says."""

import asyncio
import os

import httpx2
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

URL = os.environ["PV_URL"]
KEY = os.environ["PV_LIVE_KEY"]
TOKEN = os.environ["PV_TOKEN"]
TEXT = os.environ["PV_TEXT"]
CHAT = os.environ["PV_CHAT"]


def expect(what: str, got, wanted) -> None:
    if got != wanted:
        raise SystemExit(f"{what}: got {got!r}, wanted {wanted!r}")


def messages(result) -> list[tuple[str, str]]:
    return [(m.role, m.content.text) for m in result.messages]


async def main() -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx2.AsyncClient(headers=headers) as http:
        async with streamable_http_client(f"{URL}/mcp", http_client=http) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                expect("prompts capability", init.capabilities.prompts is not None, True)
                expect("listChanged", init.capabilities.prompts.list_changed, True)

                listed = {p.name: p for p in (await session.list_prompts()).prompts}
                expect("prompt names", sorted(listed), sorted([TEXT, CHAT]))
                expect("text arguments", [(a.name, a.required) for a in listed[TEXT].arguments], [("name", True)])
                expect(
                    "chat arguments",
                    [a.name for a in listed[CHAT].arguments],
                    ["customer", "question"],
                )
                expect("description", listed[TEXT].description, "first greeting")

                text = await session.get_prompt(TEXT, {"name": "Ada"})
                expect("text prompt", messages(text), [("user", "Hello Ada!")])
                chat = await session.get_prompt(CHAT, {"customer": "Ada", "question": "Can I roll back?"})
                expect(
                    "chat prompt",
                    messages(chat),
                    [("user", "You help Ada."), ("user", "Can I roll back?")],
                )

                try:
                    await session.get_prompt(CHAT, {"customer": "Ada"})
                    raise SystemExit("a missing argument was not refused")
                except MCPError as error:
                    expect("missing argument refused as invalid params", error.error.code, -32602)
                    expect("names the argument", "question" in error.error.message, True)

                # A promote through the API: an agent listening (subscriptions/listen, protocol
                # 2026-07-28) hears notifications/prompts/list_changed, and the next get serves
                # the new version.
                async with Client(streamable_http_client(f"{URL}/mcp", http_client=http)) as listener:
                    async with listener.listen(prompts_list_changed=True) as changes:
                        expect("listening to the prompts' list", changes.honored.prompts_list_changed, True)
                        async with httpx2.AsyncClient() as api:
                            promoted = await api.post(
                                f"{URL}/v1/manage/prompts/{TEXT}/versions/2/promote",
                                headers={"Authorization": f"Bearer {TOKEN}"},
                            )
                            expect("promote", promoted.status_code, 200)
                        event = await asyncio.wait_for(changes.__anext__(), 10)
                        expect("heard", type(event).__name__, "PromptsListChanged")
                text = await session.get_prompt(TEXT, {"name": "Ada"})
                expect("after the promote", messages(text), [("user", "Good day, Ada.")])
    print("mcp python sdk: ok")


asyncio.run(main())
