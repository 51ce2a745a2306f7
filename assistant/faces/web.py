"""The browser app (Gradio): a chat with streamed, cited answers and a sources panel, and an
Articles tab to list, add and remove articles. Gradio is imported only by `build_demo`.

API endpoints (for gradio_client): /chat here; /list_articles, /add_files, /add_url, /add_text and
/remove_article from the Articles tab (web_articles.py).

No `from __future__ import annotations` here: gr.api reads /chat's return annotation as a
real type to list its two outputs.
"""
import inspect

from . import render
from ..answer import Answer
from ..answer.conversation import history_pairs
from ..errors import AssistantError, InputError
from ..service import Assistant
from .web_articles import articles_tab

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
.cited-flash { outline: 2px solid var(--color-accent); border-radius: 4px; transition: outline 0.3s; }
#articles-table th, #articles-table th * { white-space: nowrap; word-break: keep-all; }
"""


# A citation [n] links to #src-…-n: its passage in the sources panel (the latest answer), else in the
# Sources list under its own answer, opened if folded. Scrolled to and flashed, never navigated to.
JS_HEAD = """<script>
function showCited(target) {
  const block = target.closest("h1, h2, h3, h4, h5, p, li") || target;
  block.scrollIntoView({behavior: "smooth", block: "start"});
  block.classList.add("cited-flash");
  setTimeout(() => block.classList.remove("cited-flash"), 1600);
}
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest('a[href^="#src-"]');
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const id = link.getAttribute("href").slice(1);
  const target = document.getElementById(id) || document.getElementById(id + "-chat");
  if (target) return showCited(target);
  // an earlier answer: its own folded "Sources (n)" list, the first after the link, opened
  const titles = [...document.querySelectorAll("#chat .thought-group .title")]
    .filter((t) => t.innerText.trim().startsWith("Sources (")
      && (link.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING));
  if (!titles.length) return;
  titles[0].click();
  setTimeout(() => { const opened = document.getElementById(id + "-chat"); if (opened) showCited(opened); }, 400);
}, true);
</script>"""


def answerable_examples(assistant: Assistant, candidates=EXAMPLES) -> list[str]:
    """The example questions this corpus answers (none of the defaults fit another corpus)."""
    return [q for q in candidates if not assistant.ask(q).abstained]


def _messages(gr, answer: Answer, done: bool = True) -> list:
    """The chat messages for `answer`."""
    messages = []
    if answer.rewritten:
        messages.append(gr.ChatMessage(
            content="A follow-up leans on the conversation, so it was searched together with the names from earlier turns.",
            metadata={"title": f"Searched for: {answer.query}", "status": "done"}))
    messages.append(gr.ChatMessage(content=render.chat_text(answer)))
    if done and answer.abstained and answer.hits:
        messages.append(gr.ChatMessage(content=render.closest_passages(answer),
                                       metadata={"title": "Closest passages (they do not answer it)", "status": "done"}))
    elif done and answer.citations:
        messages.append(gr.ChatMessage(content=render.chat_sources(answer),
                                       metadata={"title": f"Sources ({len(answer.citations)})", "status": "done"}))
    return messages


def _inert_questions(gr):
    """gr.ChatInterface showing the reader's question as typed: Markdown or HTML in it stays text
    (an image in a question was fetched by the browser). The chat function still gets it raw."""
    class ChatInterface(gr.ChatInterface):
        def _append_message_to_history(self, message, history, role="user"):
            if role == "user" and isinstance(message, str):
                message = render.escape_markdown(message)
            return super()._append_message_to_history(message, history, role)

    return ChatInterface


def build_demo(assistant: Assistant, *, examples: list[str] | None = None):
    """The whole app as a gr.Blocks; launch it with `launch_options()`."""
    import gradio as gr

    def respond(message, history, since="", until=""):
        question = (message if isinstance(message, str) else str(message or "")).strip()
        if not question:
            yield [gr.ChatMessage(content="Type a question about the articles.")], PANEL_EMPTY
            return
        try:
            earlier = [(render.unescape_markdown(q), a) for q, a in history_pairs(history)]  # shown escaped
            answer = assistant.ask(question, history=earlier, since=since, until=until)
        except InputError as exc:  # a bad date or an overlong question is said in the chat, where the reader looks
            yield [gr.ChatMessage(content=render.escape_markdown(str(exc)))], PANEL_EMPTY
            return
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        # Sent as soon as it is composed (an extractive answer is whole at once; no pacing).
        yield _messages(gr, answer), render.sources_panel(answer)

    def chat(question: str, history: list[list[str]] | None = None, since: str = "", until: str = "") -> tuple[str, dict]:
        """Answer a question about the indexed articles, statelessly.

        Args:
            question: the question, e.g. "Why might Lukashenko deviate from Moscow?"
            history: earlier turns of the conversation as [question, answer text] pairs, oldest first; empty for a new conversation. Follow-ups ("What does he say about Ukraine?") are searched with the names these turns give.
            since: only articles published on or after this day, YYYY-MM-DD; empty for no limit. Undated articles drop out when either end is set.
            until: only articles published on or before this day, YYYY-MM-DD; empty for no limit.

        Returns:
            The answer text as the chat and the command line show it (Markdown: the short answer in bold when there is one, then each sentence ending in its [n] citation, or "The articles don't cover this question."), and the answer as JSON: question, query searched, abstained, confidence, short answer, citations (number, title, outlet, byline, published, url, file, paragraphs, passage text, cited sentences and their spans, speakers) and, when declined, the closest passages.
        """
        question = (question or "").strip()
        if not question:
            raise gr.Error("Ask a question: the question is empty.")
        pairs = [(str(turn[0]), str(turn[1]) if len(turn) > 1 else "") for turn in (history or []) if turn]
        try:
            answer = assistant.ask(question, history=pairs, since=since, until=until)
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        return render.reply(answer), render.to_api(answer)

    examples = answerable_examples(assistant) if examples is None else examples
    with gr.Blocks(title="News assistant", fill_height=True) as demo:
        gr.Markdown(HEADER)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                panel = gr.Markdown(PANEL_EMPTY, elem_id="sources-panel", render=False)
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        _inert_questions(gr)(
                            respond,
                            chatbot=gr.Chatbot(elem_id="chat", height="68vh", allow_tags=False, show_label=False,
                                               placeholder="**Ask about the articles.** Every sentence of the answer cites the passage it comes from."),
                            textbox=gr.Textbox(placeholder="Ask about the articles…", elem_id="question", submit_btn=True),
                            additional_outputs=[panel], examples=[[q, None, None] for q in examples] or None,
                            additional_inputs=[
                                gr.Textbox(label="Since (YYYY-MM-DD)", placeholder="any date", elem_id="since", render=False),
                                gr.Textbox(label="Until (YYYY-MM-DD)", placeholder="any date", elem_id="until", render=False)],
                            additional_inputs_accordion=gr.Accordion("Date range: only articles published in it",
                                                                     open=False, elem_id="date-range", render=False),
                            concurrency_limit=CHAT_CONCURRENCY, fill_height=True,
                            api_visibility="private",  # its /chat keeps each client's history on the server
                        )
                    with gr.Column(scale=2):
                        panel.render()
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
