"""``nngarden report`` and ``nngarden serve``: the static garden built from run directories."""

from __future__ import annotations


def cmd_report(args) -> int:
    from ..garden.report import build_garden

    index = build_garden(args.runs, args.out)
    print(index.resolve())
    return 0


def cmd_serve(args) -> int:
    from ..garden.serve import serve

    return serve(args.dir, args.port)
