"""Browser chat over the articles in corpus/: `python app.py`, then open http://127.0.0.1:7860.

A thin adapter: it brings the index up to date, then serves `assistant.faces.web.build_demo`.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

for _name, _value in (("GRADIO_ANALYTICS_ENABLED", "False"), ("HF_HUB_OFFLINE", "1"), ("HF_HUB_DISABLE_TELEMETRY", "1")):
    os.environ.setdefault(_name, _value)  # before gradio or huggingface_hub is imported


def limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each thread that allocates its own arena (up to 8 per core); with Gradio's
    worker threads the freed memory stays scattered over them and resident memory creeps up
    under steady load. Two arenas keep it flat (bench/soak.py); elsewhere this does nothing."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Chat with the news articles in a browser, with cited answers.")
    parser.add_argument("--corpus", default="corpus", help="directory of .md/.txt articles (default: corpus)")
    parser.add_argument("--index", default="index",
                        help="index directory or postgresql:// URL, built or updated at start (default: index)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to serve on; 0.0.0.0 exposes it to the network")
    parser.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    parser.add_argument("--model", default=None, help="local embedding model directory (default: the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--allow-private-links", action="store_true",
                        help="let readers add links to this machine and its local network (loopback, private, "
                             "link-local addresses); by default the app fetches only public addresses")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(argv)
    limit_malloc_arenas()
    from assistant import AssistantError, Assistant
    from assistant.errors import printable
    from assistant.store.base import display
    from assistant.faces.web import build_demo, launch_options

    assistant = Assistant(args.index, args.corpus, model=args.model, allow_private_links=args.allow_private_links)
    try:
        print(f"Checking the index in {display(args.index)} against {printable(args.corpus)}/ …", flush=True)
        report = assistant.build(progress=True)
        for error in report.errors:
            print(f"  skipped {printable(error.path)}: {error.reason}", file=sys.stderr)
        if report.changed:
            print(f"  indexed {len(report.added)} new, {len(report.updated)} changed, {len(report.removed)} removed "
                  f"articles ({report.passages_embedded} passages) in {report.seconds:.1f} s", flush=True)
        else:
            print(f"  up to date ({len(report.unchanged)} articles)", flush=True)
        assistant.warm()  # the first reader should not wait for the models
        demo = build_demo(assistant)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    demo.queue(default_concurrency_limit=2)
    _, local_url, _ = demo.launch(server_name=args.host, server_port=args.port, prevent_thread_lock=True, quiet=True,
                                  **launch_options())
    print(f"Serving at {local_url} (ready {time.perf_counter() - started:.1f} s after start). Ctrl+C stops it.", flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        demo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
