"""`python -m assistant`: index, status, add, search, ask, chat. Heavy modules load per command."""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

from ..errors import printable  # every name printed goes through it: one line, nothing sent to the terminal


def _print_report(report, as_json: bool) -> None:
    if as_json:
        print(json.dumps(asdict(report), indent=2, ensure_ascii=False))
        return
    for label, paths in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
        for path in paths:
            print(f"  {label:8} {printable(path)}")
    print(
        f"Index {report.index_dir}: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.removed)} removed, {len(report.unchanged)} unchanged; "
        f"{report.passages_embedded} passages embedded in {report.seconds:.1f} s"
        + (" (full rebuild)" if report.rebuilt and report.changed else "")
    )
    for error in report.errors:
        print(f"error: {printable(error.path)}: {error.message}", file=sys.stderr)


def cmd_index(args) -> int:
    from ..embedding import Embedder
    from ..ingest.indexer import build_index

    # Not through the service: it would load the answer composers and the new index for questions
    # that never come. With nothing to do, no model loads either (embedding.py), so this takes < 1 s.
    report = build_index(args.corpus, args.index, rebuild=args.rebuild, embedder=Embedder(args.model))
    _print_report(report, args.json)
    return 1 if report.errors and not (report.added or report.updated or report.unchanged) else 0


STATUS_LIST = 50


def cmd_status(args) -> int:
    from ..store import backends

    location = backends.locate(args.index)
    if args.verify and not _verified(args.index):
        return 2
    info = location.info()
    index = location.open()
    articles = index.articles()
    if args.json:
        summary = asdict(info)
        summary["articles"] = {aid: {k: v for k, v in meta.to_json().items() if k != "passages"}
                               for aid, meta in articles.items()}
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return 0
    model = info.model
    print(f"Index      {info.location} ({info.backend}, generation {info.generation}, format {info.format_version})")
    print(f"Articles   {info.articles}")
    print(f"Passages   {info.passages} ({info.sentences} sentences)")
    print(f"Model      {model.id} ({model.dimension} dimensions, {model.backend}, fingerprint {model.fingerprint})")
    for label, value in info.details:
        print(f"{label:10} {value}")
    print(f"Last build {info.built_at}")
    listed = sorted(articles.values(), key=lambda m: m.path)
    if len(listed) > STATUS_LIST:
        print(f"  (the first {STATUS_LIST} of {len(listed)} articles by path; --json lists all)")
    for meta in listed[:STATUS_LIST]:
        where = ", ".join(x for x in (meta.outlet, meta.published) if x)
        print(f"  {printable(meta.path)}: {printable(meta.title)}" + (f" — {printable(where)}" if where else "")
              + f" [{len(meta.passages)} passages]")
    return 0


def _verified(index: str) -> bool:
    """Every byte of an index directory against the checksums its manifest records."""
    from ..store import backends
    from ..errors import REPAIR

    verified = backends.locate(index).verify()
    if verified is None:
        print("--verify checks index directories; PostgreSQL checksums its own pages.", file=sys.stderr)
        return True
    checked, problems = verified
    for problem in problems:
        print(f"damaged: {problem}", file=sys.stderr)
    if problems:
        print(f"error: the index in {printable(index)} is damaged; {REPAIR}.", file=sys.stderr)
        return False
    print(f"Verified {checked}: all intact.")
    return True


def cmd_search(args) -> int:
    from .render import hit_dict
    from ..service import Assistant

    hits = Assistant(args.index, model=args.model).retrieve(args.question, args.k, since=args.since, until=args.until)
    if args.json:
        print(json.dumps([hit_dict(h) for h in hits], indent=2, ensure_ascii=False, default=str))  # dates: YYYY-MM-DD
        return 0
    if not hits:
        print("No passages found.")
    for rank, hit in enumerate(hits, 1):
        print(f"[{rank}] {printable(hit.source_label())} ({printable(hit.path)} {hit.paragraph_label}) score {hit.score:.3f}")
        print("    " + hit.text.replace("\n\n", "\n    "))
        print()
    return 0


def cmd_ask(args) -> int:
    from .render import to_json
    from .terminal import style_for, to_terminal
    from ..service import Assistant

    answer = Assistant(args.index, model=args.model).ask(args.question, since=args.since, until=args.until)
    print(to_json(answer) if args.json else to_terminal(answer, style_for(sys.stdout)))
    return 0


def cmd_add(args) -> int:
    """Each SOURCE into the corpus and the index; one line per source; exit 2 if any failed."""
    from ..dates import outlet_and_date
    from ..errors import AssistantError
    from ..service import Assistant

    assistant = Assistant(args.index, args.corpus, model=args.model, allow_private_links=True)  # the user's own machine
    failed = 0
    for source in args.sources:
        try:
            info, _ = assistant.add_source(source)
        except AssistantError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
            continue
        where = outlet_and_date(info.outlet, info.published)
        print(f"added {printable(info.path)}: {printable(info.title)}" + (f" — {printable(where)}" if where else "")
              + f" [{info.passages} passage{'s' * (info.passages != 1)}]")
    if assistant.merging is not None:
        assistant.merging.join()  # fold the new segments in before the process exits
    return 2 if failed else 0


def cmd_chat(args) -> int:
    from .terminal import style_for, to_terminal
    from ..service import Assistant

    assistant = Assistant(args.index, model=args.model)
    assistant.searcher()  # load before the first prompt
    history: list[tuple[str, object]] = []
    print("Ask about the articles; follow-up questions work. Ctrl-D to leave.")
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            continue
        answer = assistant.ask(question, history=history)
        print(to_terminal(answer, style_for(sys.stdout)))
        history.append((question, answer))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assistant", description=__doc__)
    parser.add_argument("--model", help="embedding model directory (default: the packaged all-MiniLM-L6-v2)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="build or update the index from the corpus")
    p.add_argument("--corpus", default="corpus", help="article directory (default: corpus)")
    p.add_argument("--rebuild", action="store_true", help="re-embed everything, e.g. after changing the model")
    p.set_defaults(run=cmd_index)

    p = sub.add_parser("status", help="what the index holds")
    p.add_argument("--verify", action="store_true", help="check every file against its recorded checksum")
    p.set_defaults(run=cmd_status)

    p = sub.add_parser("search", help="the passages that best answer a question")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5, help="passages to show (default: 5)")
    p.set_defaults(run=cmd_search)

    p = sub.add_parser("ask", help="a short answer with numbered citations")
    p.add_argument("question")
    p.set_defaults(run=cmd_ask)

    p = sub.add_parser("add", help="add web pages, links, PDFs or text files to the corpus and the index")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="an http(s):// link, or a .html, .htm, .pdf, .md or .txt file")
    p.add_argument("--corpus", default="corpus", help="article directory (default: corpus)")
    p.set_defaults(run=cmd_add)

    p = sub.add_parser("chat", help="a conversation in the terminal (Ctrl-D to leave)")
    p.set_defaults(run=cmd_chat)

    for name in ("search", "ask"):
        for end, what in (("since", "on or after"), ("until", "on or before")):
            sub.choices[name].add_argument(f"--{end}", type=_day, metavar="YYYY-MM-DD",
                                           help=f"only articles published {what} this day (undated ones drop out)")
    for p in sub.choices.values():
        p.add_argument("--index", default="index", help="index directory, or a postgresql:// URL (default: index)")
        p.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _day(value: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    usage = None
    if getattr(args, "question", None) is not None and not args.question.strip():
        usage = "the question is empty: ask something, e.g. \"Who is Tom Røseth?\""
    elif getattr(args, "k", 1) < 1:
        usage = f"-k must be 1 or more, not {args.k}"
    if usage:
        print(f"error: {usage}", file=sys.stderr)
        return 2
    from ..errors import AssistantError

    try:
        return args.run(args)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `… | head` closed the pipe: stop quietly, as Unix tools do
        _silence_stdout()
        return 0


def _silence_stdout() -> None:
    """The reader of our pipe has gone: send what is left to /dev/null, so no flush complains."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def run() -> None:
    """`python -m assistant` and the `news-assistant` console script."""
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left before the last of the output
        _silence_stdout()
    sys.exit(code)
