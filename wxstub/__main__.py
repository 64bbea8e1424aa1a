"""`python -m wxstub --port N`: the WeChat API stand-in alone (see GET /_stub/calls)."""

from __future__ import annotations

import argparse

from wxstub.server import StubWeChat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wxstub", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds each API answer takes (default 0)"
    )
    args = parser.parse_args(argv)
    stub = StubWeChat(args.host, args.port, latency=args.latency)
    print(f"WeChat API stand-in: WECHAT_API_BASE={stub.base_url}", flush=True)
    print(f"recorded calls:      http://{args.host}:{args.port}/_stub/calls", flush=True)
    try:
        stub.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
