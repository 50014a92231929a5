"""`scheduling-agent`: the command line (serve, chat, test-script, eval, migrate)."""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
from importlib.metadata import PackageNotFoundError, version

from pydantic import ValidationError

from core.logging import configure_logging
from core.settings import Settings, get_settings


def _serve(args: argparse.Namespace) -> int:
    from agent.sessions_db import sessions_url
    from api.main import create_app
    from api.serve import serve
    from conversations.evaluate import evaluate_text

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    workers = args.workers or settings.workers
    if workers > 1 and settings.playground_token and sessions_url(settings) is None:
        print(
            "scheduling-agent serve: with CHECKPOINT_URL=memory the staff playground keeps its sessions in one "
            f"process's memory, so it needs WORKERS=1 (got {workers}). "
            "Keep sessions in a database (unset CHECKPOINT_URL), or unset PLAYGROUND_TOKEN.",
            file=sys.stderr,
        )
        return 2
    # The playground replays its exported conversations with the script runner (pass^k).
    evaluator = functools.partial(evaluate_text, app_factory=create_app)
    return serve(
        settings, host=args.host or settings.host, port=args.port or settings.port, workers=workers, evaluator=evaluator
    )


def _chat(args: argparse.Namespace) -> int:
    from api.terminal import chat_main

    overrides: dict[str, object] = {}
    if args.now:
        overrides["scheduler_now"] = args.now
    if args.provider:
        overrides["llm_provider"] = args.provider
    settings = Settings.model_validate(overrides)  # the environment, with the flags on top
    # The conversation is the output: the app's INFO lines (requests, bookings) would interleave
    # with it. Warnings and errors still show; -v adds tool calls to the conversation itself.
    configure_logging("WARNING", settings.log_format)
    return chat_main(settings, jsonl=args.jsonl, verbose=args.verbose, session_id=args.session)


def _test_script(args: argparse.Namespace) -> int:
    from api.main import create_app
    from conversations.cli import test_script_main

    configure_logging("ERROR", get_settings().log_format)  # the report is the output; the app's logs would bury it
    return test_script_main(args.paths, app_factory=create_app, verbose=args.verbose)


def _eval(args: argparse.Namespace) -> int:
    from api.evaluation import default_parallel, trial_model_settings
    from api.main import create_app
    from conversations.cli import eval_main

    settings = get_settings()
    if args.provider == "openai" and not (settings.openai_api_key or settings.openai_base_url):
        print("scheduling-agent eval: --provider openai needs OPENAI_API_KEY (or OPENAI_BASE_URL)", file=sys.stderr)
        return 2
    configure_logging("ERROR", settings.log_format)  # the table is the output
    return eval_main(
        args.paths,
        app_factory=create_app,
        trials=args.trials,
        provider=args.provider,
        model_settings=trial_model_settings(settings),
        as_json=args.json,
        min_pass_k=args.min_pass_k,
        parallel=args.parallel or default_parallel(args.provider),
    )


async def migrate_sessions(settings: Settings) -> dict[str, list[int]]:
    """Hook for the other databases' migrations (the chat sessions', agent/): {component:
    versions applied}. Nothing yet; extend it when they have migrations of their own."""
    return {}


async def _apply_migrations(settings: Settings) -> dict[str, list[int]]:
    from scheduler.store import make_store

    store = make_store(settings.database_url, settings.database_busy_seconds, pool_min=1, pool_max=1)
    await store.open()  # opening applies what is missing
    await store.close()
    return {"scheduler": store.applied, **await migrate_sessions(settings)}


def _migrate(args: argparse.Namespace) -> int:
    from core.database import parse_database_url

    settings = get_settings()
    configure_logging("WARNING", settings.log_format)
    print(f"database: {parse_database_url(settings.database_url).redacted}")
    for component, applied in (asyncio.run(_apply_migrations(settings))).items():
        done = f"applied {', '.join(map(str, applied))}" if applied else "up to date, nothing to apply"
        print(f"{component}: {done}")
    return 0


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (got {value})")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def _settings_for_help() -> Settings:
    """The settings `--help` shows as defaults; the field defaults if the environment is invalid
    (the help must still print, and `serve` will then say what is wrong)."""
    try:
        return get_settings()
    except ValidationError:
        return Settings.model_construct()


def _version() -> str:
    try:
        return version("scheduling-agent")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    defaults = _settings_for_help()
    parser = argparse.ArgumentParser(
        prog="scheduling-agent",
        description="Clinic scheduling agent: the chat server, a terminal chat, and conversation scripts.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".")

    serve = command("serve", "run the HTTP server: chat API, widget, API docs and (with PLAYGROUND_TOKEN) playground")
    serve.add_argument("--host", help=f"interface to bind (default: {defaults.host}, from HOST)")
    serve.add_argument("--port", type=int, help=f"port to bind (default: {defaults.port}, from PORT)")
    serve.add_argument(
        "--workers", type=_positive, help=f"worker processes (default: {defaults.workers}, from WORKERS)"
    )
    serve.set_defaults(func=_serve)

    chat = command("chat", "talk to the agent in the terminal (no server needed)")
    chat.add_argument("--jsonl", action="store_true", help="one message per stdin line; print events as JSON lines")
    chat.add_argument("-v", "--verbose", action="store_true", help="show tool calls and results")
    now = defaults.scheduler_now.isoformat() if defaults.scheduler_now else "the real clock"
    chat.add_argument(
        "--now", help=f"freeze the clock at a clinic-local ISO datetime (default: {now}, from SCHEDULER_NOW)"
    )
    chat.add_argument(
        "--provider",
        choices=["openai", "offline", "stub"],
        help=f"the model (default: {defaults.effective_llm_provider}, from LLM_PROVIDER)",
    )
    chat.add_argument("--session", help="continue (or start) the session with this id (default: a new session)")
    chat.set_defaults(func=_chat)

    test_script = command("test-script", "run conversation scripts and report pass/fail per turn")
    test_script.add_argument("paths", nargs="+", metavar="PATH", help="a script file or a folder of *.yaml scripts")
    test_script.add_argument(
        "-v", "--verbose", action="store_true", help="show every turn's tool calls and reply, not only failures"
    )
    test_script.set_defaults(func=_test_script)

    evaluate = command("eval", "run conversation scripts k times each and score them with pass^k")
    evaluate.add_argument("paths", nargs="+", metavar="PATH", help="a script file or a folder of *.yaml scripts")
    evaluate.add_argument(
        "--provider",
        choices=["openai", "offline", "stub"],
        help="the model for every script (default: each script's own llm); openai uses OPENAI_MODEL, "
        f"OPENAI_BASE_URL and LLM_TEMPERATURE (now {defaults.openai_model}, temperature {defaults.llm_temperature})",
    )
    evaluate.add_argument("--trials", "-k", type=_positive, default=5, help="runs of each script (default: 5)")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON (for CI)")
    evaluate.add_argument(
        "--min-pass-k",
        type=_fraction,
        default=1.0,
        help="exit 1 when the overall pass^k (k = --trials) is below this (default: 1.0, every run passes)",
    )
    evaluate.add_argument("--parallel", type=_positive, help="trials run at a time (default: 4 with openai, else 1)")
    evaluate.set_defaults(func=_eval)

    migrate = command("migrate", "apply the database schema migrations now (serve also applies them at start-up)")
    migrate.set_defaults(func=_migrate)
    return parser


def _invalid_settings(exc: ValidationError) -> str:
    """`PORT: Input should be a valid integer (got 'abc')`, one line per bad setting."""
    lines = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]).upper() or "settings"
        lines.append(f"  {name}: {error['msg']} (got {error.get('input')!r})")
    return "scheduling-agent: invalid settings (environment or .env):\n" + "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValidationError as exc:
        if exc.title not in (Settings.__name__, "ExplicitSettings"):
            raise
        print(_invalid_settings(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C before the server (or chat) took over its signals: no traceback
        return 130


if __name__ == "__main__":
    sys.exit(main())
