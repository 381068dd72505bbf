"""Serve a built garden over HTTP on 127.0.0.1 only (the site also opens straight from the disk).

Loopback only on purpose: the garden shows paths, commits and package versions of this machine, and
there is no reason to offer them to the network.

Every response carries the pages' content security policy (no scripts, no network, only the site's own
stylesheet and images) and ``X-Content-Type-Options: nosniff``: whatever file lies in the site folder,
a browser neither runs scripts from it nor guesses it to be a page from its bytes.
"""

from __future__ import annotations

import errno
import functools
import signal
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..config import ConfigError
from .report import PAGE_POLICY

HOST = "127.0.0.1"
SECURITY_HEADERS = {
    "Content-Security-Policy": PAGE_POLICY + "; frame-ancestors 'none'",  # frame-ancestors: header only
    "X-Content-Type-Options": "nosniff",
}


class _QuietHandler(SimpleHTTPRequestHandler):
    """The standard static handler with the security headers, logging one short line per request."""

    def end_headers(self) -> None:
        # every response, errors and folder listings included, goes through here
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def make_server(site_dir: Path, port: int) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1:``port`` (0 picks a free port) serving ``site_dir``; not started."""
    site_dir = Path(site_dir)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ConfigError(f"--port: got {port!r}, allowed: an integer from 0 to 65535 (0 picks a free port)")
    if not (site_dir / "index.html").is_file():
        raise ConfigError(
            f"--dir: {site_dir} holds no built garden (no index.html); "
            f"build it first with `nngarden report --out {site_dir}`"
        )
    handler = functools.partial(_QuietHandler, directory=str(site_dir.resolve()))
    try:
        return ThreadingHTTPServer((HOST, port), handler)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"--port: {HOST}:{port} is already in use; choose another with --port (0 picks a free one)"
            ) from None
        if err.errno == errno.EACCES:
            raise ConfigError(
                f"--port: not allowed to listen on {HOST}:{port} (ports below 1024 need "
                "privileges); choose a port from 1024 to 65535"
            ) from None
        raise


def serve(site_dir: Path, port: int) -> int:
    """Serve until interrupted (Ctrl-C); return the exit code."""
    server = make_server(site_dir, port)
    host, bound = server.server_address[:2]
    print(f"serving {Path(site_dir).resolve()} at http://{host}:{bound}/ (Ctrl-C stops)", flush=True)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill PID` stops as cleanly as Ctrl-C
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
