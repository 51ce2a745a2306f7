"""The browser page's own style and script (web.py passes them to Gradio's launch).

The Chat tab is one grid (#chat-layout): on a wide screen the saved chats, the chat with its
question box and date range, and the sources panel side by side; on a phone (up to 768 px) one
column in reading order: chats, the conversation, the sources of its latest answer, then the
question box, which stays at the foot of the screen while the sources are read.
"""

CSS = """
.gradio-container { max-width: 1400px !important; margin: auto; }
#chat-layout { display: grid !important; gap: 12px; align-items: start;
  grid-template-columns: minmax(170px, 1fr) minmax(0, 3.2fr) minmax(0, 2.3fr);
  grid-template-areas: "chats chat panel" "chats ask panel" "chats dates panel"; grid-template-rows: auto auto 1fr; }
#chats { grid-area: chats; } #chat { grid-area: chat; } #ask { grid-area: ask; } #date-range { grid-area: dates; }
#sources-panel { grid-area: panel; max-height: 78vh; overflow-y: auto; padding: 0 8px; }
#chat-list { max-height: 60vh; overflow-y: auto; }
#chat-list .wrap { flex-direction: column; align-items: stretch; }
#chat-list label { overflow-wrap: anywhere; }
#sources-panel mark, #chat mark { background: #fde68a; color: inherit; padding: 0 2px; border-radius: 3px; }
#chat button:has(.example-text) { border: 1px solid var(--border-color-primary); border-radius: 10px;
  background: var(--background-fill-secondary); }
#chat button:has(.example-text):hover { border-color: var(--color-accent); }
#sources-panel blockquote { border-left: 3px solid #cbd5e1; margin-left: 0; padding-left: 10px; color: #334155; }
.cited-flash { outline: 2px solid var(--color-accent); border-radius: 4px; transition: outline 0.3s; }
#articles-table th, #articles-table th * { white-space: nowrap; word-break: keep-all; }
/* The chat's share/clear/copy icons float over the top of the conversation, where a scrolled message's
   first line goes under them: they get a row of their own above it. */
#chat > .wrapper { display: flex; flex-direction: column; }
#chat > .wrapper > .icon-button-wrapper.top-panel { position: static; align-self: flex-end; flex: none; margin: 4px 6px 2px 0; }
#chat > .wrapper > [role="log"] { flex: 1 1 auto; min-height: 0; }
@media (max-width: 768px) {
  #chat-layout { grid-template-columns: minmax(0, 1fr); grid-template-areas: "chats" "chat" "panel" "ask" "dates"; }
  #chat-list { max-height: 24vh; }
  #sources-panel { max-height: none; overflow-y: visible; }
  #ask { position: sticky; bottom: 0; z-index: 30; background: var(--body-background-fill); padding: 6px 0; }
}
"""


# A citation [n] links to #src-…-n: its passage in the sources panel (the latest answer), else in the
# Sources list under its own answer, opened if folded. Scrolled to and flashed, never navigated to.
# Gradio labels each message for screen readers with its raw Markdown ("bot's message: **On Friday.**
# … [\\[1\\]](#src-…)"): the labels are set again to the text the message shows.
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
function plainLabels() {
  for (const message of document.querySelectorAll('#chat [data-testid="user"], #chat [data-testid="bot"]')) {
    const text = message.innerText.replace(/\\s+/g, " ").trim();
    const folded = message.querySelector(".thought-group");
    const label = folded ? text : (message.dataset.testid === "user" ? "Question: " : "Answer: ") + text;
    if (message.getAttribute("aria-label") !== label) message.setAttribute("aria-label", label);
  }
  for (const fold of document.querySelectorAll('#chat .thought-group .title button[aria-label=""]'))
    fold.setAttribute("aria-label", "Show or hide");
}
let labelling = 0;
new MutationObserver(() => { cancelAnimationFrame(labelling); labelling = requestAnimationFrame(plainLabels); })
  .observe(document.documentElement, {subtree: true, childList: true, characterData: true,
                                      attributes: true, attributeFilter: ["aria-label"]});
</script>"""
