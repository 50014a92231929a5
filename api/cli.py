"""`scheduling-agent`: the command line (serve, chat, test-script)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.logging import configure_logging
from core.settings import Settings, get_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.main import create_app

    settings = get_settings()
    configure_logging(settings.log_level)
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    options: dict[str, Any] = {"host": host, "port": port, "log_config": None, "access_log": False}
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
        return 0
    if settings.playground_token:
        print(
            "scheduling-agent serve: the staff playground keeps its sessions in one process's memory, so it "
            f"needs WORKERS=1 (got {workers}). "
            "Serve staff from a separate single-worker instance, or unset PLAYGROUND_TOKEN.",
            file=sys.stderr,
        )
        return 2
    uvicorn.run("api.main:app_from_environment", factory=True, workers=workers, **options)
    return 0


def _chat(args: argparse.Namespace) -> int:
    from api.terminal import chat_main

    overrides: dict[str, object] = {}
    if args.now:
        overrides["scheduler_now"] = args.now
    if args.provider:
        overrides["llm_provider"] = args.provider
    settings = Settings.model_validate(overrides)  # the environment, with the flags on top
    configure_logging("INFO" if args.verbose else "WARNING")
    return chat_main(settings, jsonl=args.jsonl, verbose=args.verbose, session_id=args.session)


def _test_script(args: argparse.Namespace) -> int:
    from api.main import create_app
    from conversations.cli import test_script_main

    configure_logging("ERROR")  # the report is the output; the app's own logs would bury it
    return test_script_main(args.paths, app_factory=create_app, verbose=args.verbose)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scheduling-agent", description="Clinic scheduling agent.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP server (API, chat, widget)")
    serve.add_argument("--host", help="interface to bind (default: HOST setting)")
    serve.add_argument("--port", type=int, help="port to bind (default: PORT setting)")
    serve.add_argument("--workers", type=_positive, help="worker processes (default: WORKERS setting, 1)")
    serve.set_defaults(func=_serve)
    chat = commands.add_parser("chat", help="talk to the agent in the terminal")
    chat.add_argument("--jsonl", action="store_true", help="one message per stdin line; print events as JSON lines")
    chat.add_argument("--verbose", action="store_true", help="show tool calls and results")
    chat.add_argument("--now", help="freeze the clock (clinic-local ISO datetime), overrides SCHEDULER_NOW")
    chat.add_argument("--provider", choices=["openai", "offline", "stub"], help="overrides LLM_PROVIDER")
    chat.add_argument("--session", help="continue (or start) the session with this id")
    chat.set_defaults(func=_chat)
    test_script = commands.add_parser(
        "test-script", help="run conversation scripts (YAML files, or folders of them) and report per turn"
    )
    test_script.add_argument("paths", nargs="+", metavar="PATH", help="a script file or a folder of *.yaml scripts")
    test_script.add_argument(
        "-v", "--verbose", action="store_true", help="show every turn's tool calls and reply, not only failures"
    )
    test_script.set_defaults(func=_test_script)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
