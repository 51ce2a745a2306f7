"""The browser app (Gradio): a chat with cited answers, a sources panel and saved conversations,
and an Articles tab to list, add and remove articles. Gradio is imported only by `build_demo`.

API endpoints (for gradio_client): /chat here; /list_articles, /add_files, /add_url, /add_text and
/remove_article from the Articles tab (web_articles.py). The chat's own events are private, and
what it keeps of a conversation lives in the reader's browser (web_chats.py), not on the server.

No `from __future__ import annotations` here: gr.api reads /chat's return annotation as a
real type to list its two outputs.
"""
import inspect

from . import render, web_chats
from .web_articles import articles_tab
from .web_page import CSS, JS_HEAD
from ..answer import Answer
from ..answer.conversation import history_pairs
from ..errors import AssistantError, InputError
from ..service import Assistant

EXAMPLES = (
    "Why might Lukashenko deviate from Moscow?",
    "Who is Tom Røseth?",
    "What will Putin and Lukashenko discuss on Friday?",
)
CHAT_CONCURRENCY = 8  # answers cost ~20 ms of CPU; the queue keeps more than this waiting, not failing
UPLOAD_LIMIT = "10mb"  # Gradio's hard cap; below it our own 2 MB check explains the refusal
PANEL_EMPTY = ("### Sources\nAsk a question: the passages its answer cites appear here in full, "
               "with the cited sentences highlighted.")
HEADER = ("## News assistant\nAnswers are built from the articles' own sentences, and every sentence "
          "cites the passage it comes from. When the articles don't cover a question, it says so.")
PRIVATE = {"api_visibility": "private"}  # the page's own events: not endpoints of the API


def answerable_examples(assistant: Assistant, candidates=EXAMPLES) -> list[str]:
    """The example questions this corpus answers (none of the defaults fit another corpus)."""
    return [q for q in candidates if not assistant.ask(q).abstained]


def _said(text: str, title: str | None = None) -> dict:
    message = {"role": "assistant", "content": text}
    return {**message, "metadata": {"title": title, "status": "done"}} if title else message


def _messages(answer: Answer) -> list[dict]:
    """The chat messages for `answer`: a search note for a rewritten follow-up, the answer, and its
    sources (or the closest passages of a decline) folded under it."""
    messages = []
    if answer.rewritten:
        messages.append(_said("A follow-up leans on the conversation, so it was searched together with the names "
                              "from earlier turns.", f"Searched for: {render.escape_markdown(answer.query)}"))
    messages.append(_said(render.chat_text(answer)))
    if answer.abstained and answer.hits:
        messages.append(_said(render.closest_passages(answer), "Closest passages (they do not answer it)"))
    elif answer.citations:
        messages.append(_said(render.chat_sources(answer), f"Sources ({len(answer.citations)})"))
    return messages


def _asked(question: str) -> dict:
    """The reader's question as the chat shows it: as typed, Markdown or HTML in it staying text (an
    image in a question was fetched by the browser)."""
    return {"role": "user", "content": render.escape_markdown(question)}


def chat_tab(gr, demo, assistant: Assistant, examples: list[str]) -> None:
    """The Chat tab's components and events, inside the open `gr.Tab`."""
    store = gr.BrowserState(web_chats.Chats(None, ()).to_json(), storage_key=web_chats.STORAGE_KEY,
                            secret=web_chats.STORAGE_SECRET)
    pending = gr.State("")  # the question being answered, as typed
    confirmed = gr.Checkbox(value=False, visible=False)  # what the browser's confirm dialog answered
    with gr.Column(elem_id="chat-layout"):
        with gr.Column(elem_id="chats", min_width=160):
            new = gr.Button("New chat", variant="primary", size="sm", elem_id="new-chat")
            listed = gr.Radio([], label="Earlier chats", elem_id="chat-list")
            delete = gr.Button("Delete this chat", size="sm", elem_id="delete-chat")
        chatbot = gr.Chatbot(elem_id="chat", height="68vh", allow_tags=False, show_label=False, buttons=["copy", "copy_all"],
                             examples=[{"text": q} for q in examples] or None,
                             placeholder="**Ask about the articles.** Every sentence of the answer cites the passage it comes from.")
        panel = gr.Markdown(PANEL_EMPTY, elem_id="sources-panel")
        with gr.Column(elem_id="ask"):
            textbox = gr.Textbox(placeholder="Ask about the articles…", elem_id="question", submit_btn=True,
                                 show_label=False, container=False, max_lines=8)
        with gr.Accordion("Date range: only articles published in it", open=False, elem_id="date-range"):
            since = gr.Textbox(label="Since (YYYY-MM-DD)", placeholder="any date", elem_id="since")
            until = gr.Textbox(label="Until (YYYY-MM-DD)", placeholder="any date", elem_id="until")
    locked = [new, listed, delete]  # while an answer comes, the open chat stays the one asked in

    def listing(chats: web_chats.Chats, **more):
        return gr.update(choices=chats.choices(), value=chats.current, **more)

    def start(question: str, messages):
        question = (question or "").strip()
        if not question:  # nothing to ask: nothing changes, and no earlier question is asked again
            return gr.skip(), gr.skip(), "", *(gr.skip(),) * len(locked)
        frozen = [gr.update(interactive=False)] * len(locked)
        return gr.update(value="", interactive=False), [*web_chats.plain(messages), _asked(question)], question, *frozen

    def example(picked: gr.SelectData):
        frozen = [gr.update(interactive=False)] * len(locked)
        return gr.update(interactive=False), [_asked(picked.value["text"])], picked.value["text"], *frozen

    def retry(messages):
        shown = list(web_chats.plain(messages))
        last = max((i for i, m in enumerate(shown) if m["role"] == "user"), default=None)
        if last is None:
            return gr.skip(), gr.skip(), "", *(gr.skip(),) * len(locked)
        frozen = [gr.update(interactive=False)] * len(locked)
        return gr.update(interactive=False), shown[:last + 1], render.unescape_markdown(shown[last]["content"]), *frozen

    def answer(question: str, messages, since: str, until: str):
        """The answer to `question`, the last of `messages` (already shown), and its sources panel."""
        shown = list(web_chats.plain(messages))
        if not question:
            return gr.skip(), gr.skip()
        earlier = [(render.unescape_markdown(q), a) for q, a in history_pairs(shown[:-1])]  # shown escaped
        try:
            reply = assistant.ask(question, history=earlier, since=since, until=until)
        except InputError as exc:  # a bad date or an overlong question is said in the chat, where the reader looks
            return [*shown, _said(render.escape_markdown(str(exc)))], PANEL_EMPTY
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        return [*shown, *_messages(reply)], render.sources_panel(reply)

    def save(messages, shown_panel, kept):
        chats = web_chats.saved(web_chats.load(kept), messages, shown_panel)
        unlocked = gr.update(interactive=True)
        return chats.to_json(), listing(chats, interactive=True), unlocked, unlocked, unlocked

    def saved_after(event):
        event.then(answer, [pending, chatbot, since, until], [chatbot, panel], concurrency_limit=CHAT_CONCURRENCY,
                   **PRIVATE).then(save, [chatbot, panel, store], [store, listed, textbox, new, delete], queue=False,
                                   **PRIVATE)

    def undo(messages, kept):
        shown = list(web_chats.plain(messages))
        last = max((i for i, m in enumerate(shown) if m["role"] == "user"), default=0)
        chats, latest = web_chats.cut(web_chats.load(kept), shown[:last], PANEL_EMPTY)
        question = render.unescape_markdown(shown[last]["content"]) if shown else ""
        return shown[:last], question, latest, chats.to_json(), listing(chats)

    def emptied(kept):
        chats, _ = web_chats.cut(web_chats.load(kept), [], PANEL_EMPTY)
        return [], PANEL_EMPTY, chats.to_json(), listing(chats)

    def new_chat(kept):
        chats = web_chats.opened(web_chats.load(kept), None)
        return [], PANEL_EMPTY, chats.to_json(), listing(chats)

    def open_chat(chat_id, kept):
        chats = web_chats.opened(web_chats.load(kept), chat_id)
        chat = chats.get(chats.current)
        if chat is None:
            return [], PANEL_EMPTY, chats.to_json()
        return list(chat.messages), chat.panels[-1] if chat.panels and chat.panels[-1] else PANEL_EMPTY, chats.to_json()

    def delete_chat(kept, ok):
        chats = web_chats.load(kept)
        if not ok or chats.current is None:  # said no, or a new chat with nothing saved yet
            return (gr.skip(),) * 4
        chats = web_chats.deleted(chats, chats.current)
        return [], PANEL_EMPTY, chats.to_json(), listing(chats)

    def restore(kept):
        chats = web_chats.load(kept)
        messages, shown_panel, _ = open_chat(chats.current, kept)
        return messages, shown_panel, listing(chats)

    asking = [textbox, chatbot, pending, *locked]
    saved_after(textbox.submit(start, [textbox, chatbot], asking, queue=False, **PRIVATE))
    saved_after(chatbot.example_select(example, None, asking, queue=False, **PRIVATE))
    saved_after(chatbot.retry(retry, chatbot, asking, queue=False, **PRIVATE))
    chatbot.undo(undo, [chatbot, store], [chatbot, textbox, panel, store, listed], queue=False, **PRIVATE)
    chatbot.clear(emptied, store, [chatbot, panel, store, listed], queue=False, **PRIVATE)
    new.click(new_chat, store, [chatbot, panel, store, listed], queue=False, **PRIVATE)
    listed.input(open_chat, [listed, store], [chatbot, panel, store], queue=False, **PRIVATE)
    delete.click(delete_chat, [store, confirmed], [chatbot, panel, store, listed], queue=False, **PRIVATE,
                 js="(kept, ok) => [kept, confirm('Delete this chat? It cannot be brought back.')]")
    demo.load(restore, store, [chatbot, panel, listed], queue=False, **PRIVATE)


def build_demo(assistant: Assistant, *, examples: list[str] | None = None):
    """The whole app as a gr.Blocks; launch it with `launch_options()`."""
    import gradio as gr

    def chat(question: str, history: list[list[str]] | None = None, since: str = "", until: str = "") -> tuple[str, dict]:
        """Answer a question about the indexed articles, statelessly.

        Args:
            question: the question, e.g. "Why might Lukashenko deviate from Moscow?"
            history: earlier turns of the conversation as a list of [question, answer text] pairs, oldest first; empty for a new conversation (anything else is refused with a message). Follow-ups ("What does he say about Ukraine?") are searched with the names these turns give.
            since: only articles published on or after this day, YYYY-MM-DD; empty for no limit. Undated articles drop out when either end is set.
            until: only articles published on or before this day, YYYY-MM-DD; empty for no limit.

        Returns:
            The answer text as the chat and the command line show it (Markdown: the short answer in bold when there is one, then each sentence ending in its [n] citation, or "The articles don't cover this."), the articles' own words escaped so that markup in them shows as text, and the answer as JSON, its texts as the articles give them: question, query searched, abstained, confidence, short answer, citations (number, title, outlet, byline, published, url, file, paragraphs, passage text, cited sentences and their spans, speakers) and, when declined, the closest passages.
        """
        question = (question or "").strip()
        if not question:
            raise gr.Error("Ask a question: the question is empty.")
        try:  # the service checks `history` is a list of pairs: a string is not a list of characters
            answer = assistant.ask(question, history=history, since=since, until=until)
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        return render.api_text(answer), render.to_api(answer)

    examples = answerable_examples(assistant) if examples is None else examples
    with gr.Blocks(title="News assistant", fill_height=True) as demo:
        gr.Markdown(HEADER)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                chat_tab(gr, demo, assistant, examples)
            remove_by_id = articles_tab(gr, demo, assistant)
        # The whole docstring as the description: "Use via API" shows no per-parameter text for gr.api.
        gr.api(chat, api_name="chat", concurrency_limit=CHAT_CONCURRENCY, api_description=inspect.getdoc(chat))
        gr.api(remove_by_id, api_name="remove_article",  # an id, not a choice of the page's list
               api_description=inspect.getdoc(remove_by_id))
    return demo


def launch_options() -> dict:
    """Arguments for `demo.launch` that belong to the app rather than the deployment."""
    import gradio as gr

    theme = gr.themes.Soft(primary_hue="blue", font=["system-ui", "Segoe UI", "sans-serif"],
                           font_mono=["ui-monospace", "monospace"])  # local fonts: nothing fetched
    return {"theme": theme, "css": CSS, "head": JS_HEAD, "max_file_size": UPLOAD_LIMIT, "footer_links": ["api"]}
