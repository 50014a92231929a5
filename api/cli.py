"""`scheduling-agent`: the command line (serve; later chat and test-script)."""

from __future__ import annotations

import argparse
import sys

from core.logging import configure_logging
from core.settings import get_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.main import create_app

    settings = get_settings()
    configure_logging(settings.log_level)
    host = args.host or settings.host
    port = args.port or settings.port
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scheduling-agent", description="Clinic scheduling agent.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP server (API, chat, widget)")
    serve.add_argument("--host", help="interface to bind (default: HOST setting)")
    serve.add_argument("--port", type=int, help="port to bind (default: PORT setting)")
    serve.set_defaults(func=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
