"""The faces: how people and programs reach the assistant (the browser chat, the command line,
and the rendering both share).

    cli.py           `python -m assistant …` and the `news-assistant` console script
    web.py           the Gradio chat (app.py serves it) and its API endpoints
    web_chats.py     the chat's saved conversations, kept in the reader's browser
    web_page.py      the page's style (one grid: side by side, or one column on a phone) and script
    web_articles.py  the browser's Articles tab: list, add (link, file, pasted text), remove
    render.py        an Answer as Markdown, JSON, chat text and the sources panel; `reply`: the
                     answer's words, which the chat, the /chat API and the CLI all show
    terminal.py      an Answer for a terminal: bold and colour on a TTY, plain text when piped

May import everything below it; nothing imports a face (tests/test_layers.py).
"""
