"""``python -m trade_tracker.sim``: run the simulator in the foreground (flags mirror the CLI's)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .advanced.server import serve_advanced_main
from .core.catalog import DEFAULT_PRODUCTS
from .core.server import serve_main


def _on_off(value: str) -> bool:
    if value.lower() in ("on", "true", "yes", "1"):
        return True
    if value.lower() in ("off", "false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError("use on or off")


def _products(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m trade_tracker.sim",
        description="Serve a local Coinbase Exchange (default) or Advanced Trade simulator; prints one JSON "
        'line once listening: {"url","key","secret","passphrase"} (exchange) or {"venue","url","key_dir",'
        '"key_files","key_names"} (advanced: paths of CDP key files to import, never the private keys).',
    )
    parser.add_argument("--venue", choices=("exchange", "advanced"), default="exchange")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=None, help="0 picks a free port (default; with --key-file, the port kept there)"
    )
    parser.add_argument("--fills", type=int, default=10_000, help="fills in the synthetic history")
    parser.add_argument(
        "--products",
        type=_products,
        default=list(DEFAULT_PRODUCTS),
        help="comma-separated online products (a delisted one is always added)",
    )
    parser.add_argument("--seed", default="42", help="seed of the synthetic history")
    parser.add_argument("--rate-limits", type=_on_off, default=True, metavar="on|off")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of API requests answering 5xx")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every API answer")
    parser.add_argument("--auth-failure-status", type=int, default=401, choices=(400, 401))
    parser.add_argument("--clock-offset", type=float, default=0.0, help="server clock minus real clock, s")
    parser.add_argument("--allow-non-loopback", action="store_true")
    parser.add_argument(
        "--key-file", metavar="PATH", help="keep the demo key in PATH across restarts (created 0600 on first run)"
    )
    advanced = parser.add_argument_group("advanced", "only with --venue advanced")
    advanced.add_argument(
        "--key-dir", metavar="DIR", help="keep the CDP key files (and the port) in DIR across restarts"
    )
    advanced.add_argument("--page-cap", type=int, default=250, help="largest fills page served (silent cap)")
    advanced.add_argument(
        "--reversal-sign", choices=("positive", "negative"), default="positive", help="sign of REVERSAL sizes"
    )
    return parser.parse_args(argv)


def _advanced(args: argparse.Namespace, seed: int | str) -> int:
    if args.key_file is not None:
        raise ValueError("--key-file is for --venue exchange; with --venue advanced use --key-dir DIR")
    return serve_advanced_main(
        **_common(args, seed), key_dir=args.key_dir, page_cap=args.page_cap, reversal_sign=args.reversal_sign
    )


def _common(args: argparse.Namespace, seed: int | str) -> dict[str, Any]:
    """The options both venues' simulators take, by their keyword names."""
    names = "host port fills products rate_limits fail_rate latency_ms allow_non_loopback clock_offset".split()
    return {name: getattr(args, name) for name in names} | {"seed": seed}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    seed: int | str = int(args.seed) if args.seed.lstrip("-").isdigit() else args.seed
    try:
        if args.venue == "advanced":
            return _advanced(args, seed)
        return serve_main(**_common(args, seed), auth_failure_status=args.auth_failure_status, key_file=args.key_file)
    except ValueError as exc:  # a bad option: usage (2), as `trade-tracker sim` says it
        print(f"trade_tracker.sim: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # cannot listen (port taken): network (4), as `trade-tracker sim` says it
        print(
            f"trade_tracker.sim: cannot listen on {args.host}:{args.port or 0}: {exc.strerror or exc}", file=sys.stderr
        )
        return 4


if __name__ == "__main__":
    sys.exit(main())
