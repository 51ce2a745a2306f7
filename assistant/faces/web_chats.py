"""Saved conversations of the browser chat, kept in the reader's browser (gr.BrowserState, in
localStorage): nothing of a conversation stays on the server between requests.

What the browser keeps is one JSON value, `Chats.to_json()`: the chat open now and every saved
chat, newest first, each with its messages as the chat shows them and, per question, the sources
panel of its answer, so an earlier chat reopens with its answers and sources, and Undo or Clear
brings back the panel of the answer that is then the latest. Everything here is a pure function
of that value: the page's events (web.py) pass it in and store what comes back.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from .render import unescape_markdown

STORAGE_KEY = "news-assistant-chats"
# BrowserState encrypts with this key in the page, which holds the key too: it hides nothing from
# the page itself. It is fixed because a random one per process (Gradio's default) would make
# every saved chat unreadable after the app restarts.
STORAGE_SECRET = "news-assistant-saved-chats"
MAX_CHATS = 50  # localStorage holds about 5 MB per site; a chat with sources is some 10 kB a question
TITLE_CHARS = 80


@dataclass(frozen=True)
class Chat:
    id: str
    title: str  # the first question, as typed
    messages: tuple[dict, ...]  # {"role", "content", "metadata"?}, as the chat shows them
    panels: tuple[str, ...]  # the sources panel after each question's answer

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "messages": list(self.messages), "panels": list(self.panels)}


@dataclass(frozen=True)
class Chats:
    current: str | None  # the open chat's id; None for a new chat not yet asked anything
    chats: tuple[Chat, ...]  # newest first

    def to_json(self) -> dict:
        return {"current": self.current, "chats": [chat.to_json() for chat in self.chats]}

    def get(self, chat_id: str | None) -> Chat | None:
        return next((chat for chat in self.chats if chat.id == chat_id), None)

    def choices(self) -> list[tuple[str, str]]:
        """(first question, id) of every saved chat, for the page's list."""
        return [(chat.title, chat.id) for chat in self.chats]


def _text(content) -> str:
    """A message's text: a string, or the Chatbot's parts [{"type": "text", "text": …}]."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", "")) if content.get("type", "text") == "text" else ""
    if isinstance(content, (list, tuple)):
        return "".join(_text(part) for part in content)
    return ""


def plain(messages) -> tuple[dict, ...]:
    """Chat messages (the Chatbot's dicts or gr.ChatMessage) as JSON the browser can keep: role,
    text and the title and status of a folded message (Sources, search note)."""
    out = []
    for message in messages or ():
        get = message.get if isinstance(message, dict) else lambda name, m=message: getattr(m, name, None)
        role, content, metadata = get("role"), _text(get("content")), get("metadata") or {}
        if role not in ("user", "assistant"):
            continue
        shown = {"role": role, "content": content}
        folded = {k: metadata.get(k) for k in ("title", "status") if isinstance(metadata, dict) and metadata.get(k)}
        if folded:
            shown["metadata"] = folded
        out.append(shown)
    return tuple(out)


def questions(messages) -> list[str]:
    """The questions of a chat as typed (the chat shows them escaped)."""
    return [unescape_markdown(m["content"]) for m in plain(messages) if m["role"] == "user" and "metadata" not in m]


def load(value) -> Chats:
    """What the browser kept, read defensively: anything malformed (another version, an edit by
    hand) is left out rather than breaking the page."""
    if not isinstance(value, dict):
        return Chats(None, ())
    chats = []
    for item in value.get("chats") or ():
        try:
            chats.append(Chat(str(item["id"]), str(item["title"]), plain(item["messages"]),
                              tuple(str(p) for p in item.get("panels") or ())))
        except (KeyError, TypeError, AttributeError):
            continue
    current = value.get("current")
    chats = tuple(c for c in chats if c.messages)
    return Chats(current if any(c.id == current for c in chats) else None, chats[:MAX_CHATS])


def _title(question: str) -> str:
    title = " ".join(question.split())
    return title if len(title) <= TITLE_CHARS else title[:TITLE_CHARS - 1].rstrip() + "…"


def saved(chats: Chats, messages, panel: str) -> Chats:
    """The open chat as it now is, `panel` the sources of its latest answer: first in the list,
    under a new id if it was new. A chat left without messages is no longer saved."""
    shown = plain(messages)
    asked = questions(shown)
    if not asked:
        return Chats(None, tuple(c for c in chats.chats if c.id != chats.current))
    chat = chats.get(chats.current) or Chat(uuid.uuid4().hex[:12], _title(asked[0]), (), ())
    earlier = chat.panels[:len(asked) - 1]
    panels = earlier + ("",) * (len(asked) - 1 - len(earlier)) + (panel,)  # one per question, the latest last
    chat = replace(chat, messages=shown, panels=panels)
    rest = tuple(c for c in chats.chats if c.id != chat.id)
    return Chats(chat.id, ((chat,) + rest)[:MAX_CHATS])


def cut(chats: Chats, messages, empty: str) -> tuple[Chats, str]:
    """After Undo (or Clear) left `messages` of the open chat: the chats saved so, and the panel of
    the answer now latest (`empty` when no question is left)."""
    shown = plain(messages)
    asked = len(questions(shown))
    chat = chats.get(chats.current)
    panels = chat.panels[:asked] if chat else ()
    kept = saved(chats, shown, panels[-1] if panels else empty)
    return kept, (panels[-1] if panels and panels[-1] else empty)


def opened(chats: Chats, chat_id: str | None) -> Chats:
    return Chats(chat_id if chats.get(chat_id) else None, chats.chats)


def deleted(chats: Chats, chat_id: str | None) -> Chats:
    return Chats(None if chats.current == chat_id else chats.current, tuple(c for c in chats.chats if c.id != chat_id))
