"""The browser app's Articles tab: list, add (upload, link, paste) and remove articles.

API endpoints it adds: /list_articles, /add_files, /add_url, /add_text, /remove_article.
Every add goes through `Assistant.add_article`/`add_source`, so an article added here is
checked, saved and indexed as from the CLI, and citable from the next question.
"""

import os
from pathlib import Path

from ..ingest import sources as ingest
from . import render
from ..dates import iso, outlet_and_date
from ..errors import AssistantError, SourceError, printable
from ..ingest.library import MAX_UPLOAD_BYTES, check_size, pasted_article_bytes
from ..service import Assistant

LIST_LIMIT = 1000  # articles shown in the table and the remove list: the newest ones
FILE_TYPES = list(ingest.SOURCE_SUFFIXES)


def article_rows(articles) -> list[list]:
    return [[a.title, a.outlet or "", iso(a.published) or "", a.passages, printable(a.path)]
            for a in articles[:LIST_LIMIT]]


def summary(assistant: Assistant) -> str:
    status = assistant.status()
    return (f"**{status.articles} article{'s' * (status.articles != 1)}**, {status.passages} passages, "
            f"updated {status.built_at.replace('T', ' ')[:16]} UTC · model {status.model}")


def passages(n: int) -> str:
    return f"{n} passage{'s' * (n != 1)}"


def _added(info, report) -> str:
    where = outlet_and_date(info.outlet, info.published)
    return (f"**Added** “{render.escape_markdown(info.title)}”" + (f" ({render.escape_markdown(where)})" if where else "")
            + f": {passages(info.passages)}, indexed in {report.seconds:.1f} s. "
            "Its passages can be cited from the next question on.")


def _not(what: str, exc: Exception) -> str:
    return f"**Not {what}:** {render.escape_markdown(str(exc))}"


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


def _upload_field(gr):
    """gr.File that also removes what it refuses from Gradio's upload cache: its type check
    (file_types) raises before `add_files` runs, so `add_files`' own clean-up never sees those
    uploads, nor the others sent with them."""
    class Upload(gr.File):
        def preprocess(self, payload):
            try:
                return super().preprocess(payload)
            except Exception:
                for item in getattr(payload, "root", None) or ([payload] if payload is not None else []):
                    if getattr(item, "path", None):
                        _discard_upload(Path(item.path))
                raise

    return Upload


def articles_tab(gr, demo, assistant: Assistant):
    """Build the tab inside the open `gr.Tabs` of `demo` and wire its events; returns the
    /remove_article function, for the caller to register outside the tabs."""

    def refresh():
        articles = assistant.articles()
        choices = [(f"{a.title} ({printable(a.path)})", a.id) for a in articles[:LIST_LIMIT]]
        note = f" · the table lists the newest {LIST_LIMIT}" if len(articles) > LIST_LIMIT else ""
        return article_rows(articles), gr.update(choices=choices, value=None), summary(assistant) + note

    def add_files(files):
        if not files:
            return ("Choose one or more files first.", *refresh())
        lines = []
        for item in files:
            path = Path(item if isinstance(item, str) else item["path"] if isinstance(item, dict) else item.name)
            try:
                if path.suffix.lower() in ingest.TEXT_SUFFIXES:
                    check_size(path.stat().st_size, path.name)  # before reading it at all
                data, suffix = ingest.from_upload(path.read_bytes(), path.name)
                lines.append(_added(*assistant.add_article(data, name=path.name, suffix=suffix)))
            except AssistantError as exc:
                lines.append(_not("added", exc))
            finally:
                _discard_upload(path)
        return ("\n\n".join(lines), *refresh())

    def add_url(link):
        link = (link or "").strip()
        try:
            if not ingest.is_link(link):
                raise SourceError(link or "link", "give a web address starting with http:// or https://")
            return (_added(*assistant.add_source(link)), *refresh())
        except AssistantError as exc:
            return (_not("added", exc), *refresh())

    def add_text(title, outlet, published, url, text, author=""):
        try:
            data = pasted_article_bytes(title or "", text or "", outlet=outlet or "", published=published or "",
                                        url=url or "", author=author or "")
            info, report = assistant.add_article(data, name=f"“{(title or '').strip() or 'pasted article'}”")
        except AssistantError as exc:
            return (_not("added", exc), *refresh())
        return (_added(info, report), *refresh())

    def remove(article_id, confirmed=True):
        if article_id and not confirmed:  # the reader said no in the browser's confirm dialog: nothing changes
            return (gr.skip(),) * 4
        if not article_id:
            return ("Choose an article to remove.", *refresh())
        try:
            info, _ = assistant.remove_article(article_id)
        except AssistantError as exc:
            return (_not("removed", exc), *refresh())
        return (f"**Removed** “{render.escape_markdown(info.title)}” and its {passages(info.passages)}.", *refresh())

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
        return f"Removed “{info.title}” ({printable(info.path)}) and its {passages(info.passages)}."

    with gr.Tab("Articles", id="articles-tab") as tab:
        status = gr.Markdown(elem_id="articles-summary", label="summary")
        table = gr.Dataframe(headers=["Title", "Outlet", "Published", "Passages", "File"], interactive=False,
                             label="articles", elem_id="articles-table", wrap=True,
                             column_widths=["38%", "17%", "12%", "9%", "24%"])
        message = gr.Markdown(elem_id="articles-message", label="message")
        with gr.Row(equal_height=False):
            with gr.Column():
                gr.Markdown("#### Add from a link\nA news page's text, title, outlet, date and author are read "
                            "from the page; cookie banners, menus and related stories are left out.")
                link = gr.Textbox(label="Link", placeholder="https://…", elem_id="add-link")
                link_button = gr.Button("Add from link", variant="primary", elem_id="add-url")
                gr.Markdown(f"#### Upload articles\nWeb pages (.html), PDFs, or .txt and .md files: text files up to "
                            f"{MAX_UPLOAD_BYTES // 2**20} MB, pages and PDFs up to {ingest.MAX_SOURCE_BYTES // 2**20} MB. "
                            "Markdown may start with front matter (title, outlet, published, author, url); "
                            "a .txt file's first line is its title.")
                files = _upload_field(gr)(file_count="multiple", file_types=FILE_TYPES, type="filepath",
                                          label="Article files", elem_id="upload")
                upload_button = gr.Button("Add uploaded files", variant="primary", elem_id="add-files")
            with gr.Column():
                gr.Markdown("#### Or paste an article")
                title = gr.Textbox(label="Title", elem_id="paste-title")
                with gr.Row():
                    outlet = gr.Textbox(label="Outlet", elem_id="paste-outlet")
                    published = gr.Textbox(label="Published (YYYY-MM-DD)", elem_id="paste-published")
                with gr.Row():
                    author = gr.Textbox(label="Author (optional)", elem_id="paste-author")
                    url = gr.Textbox(label="Link (optional)", elem_id="paste-url")
                text = gr.Textbox(label="Text", lines=8, elem_id="paste-text")
                text_button = gr.Button("Add article", variant="primary", elem_id="add-text")
        with gr.Row():
            choice = gr.Dropdown(label="Remove an article", choices=[], elem_id="remove-choice", scale=3)
            remove_button = gr.Button("Remove", variant="stop", elem_id="remove", scale=1)
            # what the browser's confirm dialog answered (throwing from it instead failed every output)
            confirmed = gr.Checkbox(value=False, visible=False)
    listing = [table, choice, status]
    added = lambda shown: "**Added**" in shown  # noqa: E731
    link_button.click(add_url, link, [message, *listing], api_name="add_url").then(
        lambda shown: "" if added(shown) else gr.skip(), message, link, api_visibility="private")
    link.submit(add_url, link, [message, *listing], api_visibility="private")
    upload_button.click(add_files, files, [message, *listing], api_name="add_files").then(
        lambda: None, None, files, api_visibility="undocumented")
    form = [title, outlet, published, url, text, author]
    text_button.click(add_text, form, [message, *listing], api_name="add_text").then(
        lambda shown: [("" if added(shown) else gr.skip()) for _ in form],  # clear once added
        message, form, api_visibility="private")
    remove_button.click(remove, [choice, confirmed], [message, *listing], api_visibility="private",
                        js="(id, ok) => [id, !!id && confirm('Remove this article and its file from the corpus?')]")
    tab.select(refresh, None, listing, api_visibility="undocumented")
    demo.load(refresh, None, listing, api_name="list_articles")
    return remove_by_id
