"""The browser app (Gradio): a chat with streamed, cited answers and a sources panel, and an
Articles tab to list, add and remove articles. Gradio is imported only by `build_demo`.

API endpoints (for gradio_client): /chat, /list_articles, /add_files, /add_text, /remove_article.
"""
from __future__ import annotations

import os
from pathlib import Path

from . import render
from .answer import Answer
from .answer.conversation import history_pairs
from .errors import AssistantError
from .library import MAX_UPLOAD_BYTES, UPLOAD_SUFFIXES, check_size
from .service import Assistant

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
CSS = """
.gradio-container { max-width: 1280px !important; margin: auto; }
#sources-panel { max-height: 72vh; overflow-y: auto; padding: 0 8px; }
#sources-panel mark, #chat mark { background: #fde68a; color: inherit; padding: 0 2px; border-radius: 3px; }
#chat button:has(.example-text) { border: 1px solid var(--border-color-primary); border-radius: 10px;
  background: var(--background-fill-secondary); }
#chat button:has(.example-text):hover { border-color: var(--color-accent); }
#sources-panel blockquote { border-left: 3px solid #cbd5e1; margin-left: 0; padding-left: 10px; color: #334155; }
"""


def answerable_examples(assistant: Assistant, candidates=EXAMPLES) -> list[str]:
    """The example questions this corpus answers (none of the defaults fit another corpus)."""
    return [q for q in candidates if not assistant.ask(q).abstained]


LIST_LIMIT = 1000  # articles shown in the table and the remove list: the newest ones


def article_rows(articles) -> list[list]:
    return [[a.title, a.outlet or "", a.published or "", a.passages, a.path] for a in articles[:LIST_LIMIT]]


def summary(assistant: Assistant) -> str:
    status = assistant.status()
    return (f"**{status.articles} article{'s' * (status.articles != 1)}**, {status.passages} passages, "
            f"updated {status.built_at.replace('T', ' ')[:16]} UTC · model {status.model}")


def _passages(n: int) -> str:
    return f"{n} passage{'s' * (n != 1)}"


def _added(info, report) -> str:
    return (f"**Added** “{render.escape_markdown(info.title)}”: {_passages(info.passages)}, indexed in "
            f"{report.seconds:.1f} s. Its passages can be cited from the next question on.")


def _messages(gr, answer: Answer, shown: str, done: bool = True) -> list:
    """The chat messages for `answer`, with `shown` of its text (all of it once composed)."""
    messages = []
    if answer.rewritten:
        messages.append(gr.ChatMessage(
            content="A follow-up leans on the conversation, so it was searched together with the names from earlier turns.",
            metadata={"title": f"Searched for: {answer.query}", "status": "done"}))
    messages.append(gr.ChatMessage(content=render.escape_markdown(shown)))
    if done and answer.abstained and answer.hits:
        messages.append(gr.ChatMessage(content=render.closest_passages(answer),
                                       metadata={"title": "Closest passages (they do not answer it)", "status": "done"}))
    elif done and answer.citations:
        messages.append(gr.ChatMessage(content=render.chat_sources(answer),
                                       metadata={"title": f"Sources ({len(answer.citations)})", "status": "done"}))
    return messages


def _discard_upload(path: Path) -> None:
    """Remove Gradio's temporary copy of an upload, added or refused (the corpus keeps its own)."""
    import tempfile

    cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()
    try:
        resolved = path.resolve()
        if cache in resolved.parents:
            resolved.unlink(missing_ok=True)
            if resolved.parent != cache and not any(resolved.parent.iterdir()):
                resolved.parent.rmdir()
    except OSError:
        pass  # a leftover temp file is not worth failing an upload over


def build_demo(assistant: Assistant, *, examples: list[str] | None = None):
    """The whole app as a gr.Blocks; launch it with `launch_options()`."""
    import gradio as gr

    def respond(message, history):
        question = (message if isinstance(message, str) else str(message or "")).strip()
        if not question:
            yield [gr.ChatMessage(content="Type a question about the articles.")], PANEL_EMPTY
            return
        try:
            answer = assistant.ask(question, history=history_pairs(history))
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        # Sent as soon as it is composed (an extractive answer is whole at once; no pacing).
        yield _messages(gr, answer, answer.text), render.sources_panel(answer)

    def chat(question: str, history: list[list[str]] | None = None) -> tuple[str, dict]:
        """Answer a question about the indexed articles, statelessly.

        Args:
            question: the question, e.g. "Why might Lukashenko deviate from Moscow?"
            history: earlier turns of the conversation as [question, answer text] pairs, oldest first; empty for a new conversation. Follow-ups ("What does he say about Ukraine?") are searched with the names these turns give.

        Returns:
            The answer text, each sentence ending in its [n] citation (or "The articles don't cover this question."), and the answer as JSON: question, query searched, abstained, confidence, citations (number, title, outlet, published, url, file, paragraphs, passage text, cited sentences and their spans, speakers) and, when declined, the closest passages.
        """
        question = (question or "").strip()
        if not question:
            raise gr.Error("Ask a question: the question is empty.")
        pairs = [(str(turn[0]), str(turn[1]) if len(turn) > 1 else "") for turn in (history or []) if turn]
        try:
            answer = assistant.ask(question, history=pairs)
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        return answer.text, render.to_api(answer)

    def refresh():
        articles = assistant.articles()
        choices = [(f"{a.title} ({a.path})", a.id) for a in articles[:LIST_LIMIT]]
        note = f" · the table lists the newest {LIST_LIMIT}" if len(articles) > LIST_LIMIT else ""
        return article_rows(articles), gr.update(choices=choices, value=None), summary(assistant) + note

    def add_files(files):
        if not files:
            return ("Choose one or more .txt or .md files first.", *refresh())
        lines = []
        for item in files:
            path = Path(item if isinstance(item, str) else item["path"] if isinstance(item, dict) else item.name)
            try:
                check_size(path.stat().st_size, path.name)  # before reading it at all
                info, report = assistant.add_article(path.read_bytes(), name=path.name, suffix=path.suffix)
                lines.append(_added(info, report))
            except AssistantError as exc:
                lines.append(f"**Not added:** {render.escape_markdown(str(exc))}")
            finally:
                _discard_upload(path)
        return ("\n\n".join(lines), *refresh())

    def add_text(title, outlet, published, url, text):
        from .library import pasted_article_bytes

        try:
            data = pasted_article_bytes(title or "", text or "", outlet=outlet or "", published=published or "", url=url or "")
            info, report = assistant.add_article(data, name=f"“{(title or '').strip() or 'pasted article'}”")
        except AssistantError as exc:
            return (f"**Not added:** {render.escape_markdown(str(exc))}", *refresh())
        return (_added(info, report), *refresh())

    def remove(article_id):
        if not article_id:
            return ("Choose an article to remove.", *refresh())
        try:
            info, _ = assistant.remove_article(article_id)
        except AssistantError as exc:
            return (f"**Not removed:** {render.escape_markdown(str(exc))}", *refresh())
        return (f"**Removed** “{render.escape_markdown(info.title)}” and its {_passages(info.passages)}.", *refresh())

    def remove_by_id(article_id: str) -> str:
        """Remove an indexed article: its file leaves the corpus and its passages the index.

        Args:
            article_id: the article's id, its corpus path without the suffix (the last column of /list_articles).

        Returns:
            What was removed.
        """
        try:
            info, _ = assistant.remove_article((article_id or "").strip())
        except AssistantError as exc:
            raise gr.Error(f"Not removed: {exc}") from None
        return f"Removed “{info.title}” ({info.path}) and its {_passages(info.passages)}."

    examples = answerable_examples(assistant) if examples is None else examples
    with gr.Blocks(title="News assistant", fill_height=True) as demo:
        gr.Markdown(HEADER)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                panel = gr.Markdown(PANEL_EMPTY, elem_id="sources-panel", render=False)
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        gr.ChatInterface(
                            respond,
                            chatbot=gr.Chatbot(elem_id="chat", height="68vh", allow_tags=False, show_label=False,
                                               placeholder="**Ask about the articles.** Every sentence of the answer cites the passage it comes from."),
                            textbox=gr.Textbox(placeholder="Ask about the articles…", elem_id="question", submit_btn=True),
                            additional_outputs=[panel], examples=examples or None,
                            concurrency_limit=CHAT_CONCURRENCY, fill_height=True,
                            api_visibility="private",  # its /chat keeps each client's history on the server
                        )
                    with gr.Column(scale=2):
                        panel.render()
            with gr.Tab("Articles", id="articles-tab") as articles_tab:
                status = gr.Markdown(elem_id="articles-summary", label="summary")
                table = gr.Dataframe(headers=["Title", "Outlet", "Published", "Passages", "File"], interactive=False,
                                     label="articles",
                                     elem_id="articles-table", wrap=True, column_widths=["38%", "17%", "12%", "9%", "24%"])
                message = gr.Markdown(elem_id="articles-message", label="message")
                with gr.Row(equal_height=False):
                    with gr.Column():
                        gr.Markdown(f"#### Upload articles\n{' or '.join(UPLOAD_SUFFIXES)} files, up to "
                                    f"{MAX_UPLOAD_BYTES // 2**20} MB each. Markdown may start with front matter "
                                    "(title, outlet, published, url); a .txt file's first line is its title.")
                        files = gr.File(file_count="multiple", file_types=list(UPLOAD_SUFFIXES), type="filepath",
                                        label="Article files", elem_id="upload")
                        upload_button = gr.Button("Add uploaded files", variant="primary", elem_id="add-files")
                    with gr.Column():
                        gr.Markdown("#### Or paste an article")
                        title = gr.Textbox(label="Title", elem_id="paste-title")
                        with gr.Row():
                            outlet = gr.Textbox(label="Outlet", elem_id="paste-outlet")
                            published = gr.Textbox(label="Published (YYYY-MM-DD)", elem_id="paste-published")
                        url = gr.Textbox(label="Link (optional)", elem_id="paste-url")
                        text = gr.Textbox(label="Text", lines=8, elem_id="paste-text")
                        text_button = gr.Button("Add article", variant="primary", elem_id="add-text")
                with gr.Row():
                    choice = gr.Dropdown(label="Remove an article", choices=[], elem_id="remove-choice", scale=3)
                    remove_button = gr.Button("Remove", variant="stop", elem_id="remove", scale=1)
        listing = [table, choice, status]
        upload_button.click(add_files, files, [message, *listing], api_name="add_files").then(lambda: None, None, files, api_visibility="undocumented")
        form = [title, outlet, published, url, text]
        text_button.click(add_text, form, [message, *listing], api_name="add_text").then(
            lambda shown: [("" if shown.startswith("**Added**") else gr.skip()) for _ in form],  # clear once added
            message, form, api_visibility="private")
        remove_button.click(remove, choice, [message, *listing], api_visibility="private",
                            js="(id) => { if (id && !confirm('Remove this article and its file from the corpus?')) "
                               "throw new Error('cancelled'); return id; }")
        articles_tab.select(refresh, None, listing, api_visibility="undocumented")
        demo.load(refresh, None, listing, api_name="list_articles")
        gr.api(chat, api_name="chat", concurrency_limit=CHAT_CONCURRENCY)
        gr.api(remove_by_id, api_name="remove_article")  # an id, not a choice of the page's list
    return demo


def launch_options() -> dict:
    """Arguments for `demo.launch` that belong to the app rather than the deployment."""
    import gradio as gr

    theme = gr.themes.Soft(primary_hue="blue", font=["system-ui", "Segoe UI", "sans-serif"],
                           font_mono=["ui-monospace", "monospace"])  # local fonts: nothing fetched
    return {"theme": theme, "css": CSS, "max_file_size": UPLOAD_LIMIT, "footer_links": ["api"]}
