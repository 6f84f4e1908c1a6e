"""Serve the dashboard: `python -m dashboard [--host H] [--port P] [--debug]`."""

from __future__ import annotations

import argparse
import sys

from dashboard.config import SERVER


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="Serve the Central Region Atlas.")
    parser.add_argument("--host", default=SERVER.host, help=f"interface to listen on (default {SERVER.host})")
    parser.add_argument("--port", type=int, default=SERVER.port, help=f"port (default {SERVER.port})")
    parser.add_argument("--debug", action="store_true", help="Dash debug mode with hot reload (off by default)")
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"port must be between 1 and 65535, not {args.port}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Start the development server on the bundled data."""
    args = parse_args(argv)
    from dashboard import create_app

    create_app().run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
