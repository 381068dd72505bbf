"""`nngarden serve`: the built site over HTTP on 127.0.0.1, and clear errors when it cannot serve."""

import os
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

import nngarden
from nngarden.cli import main
from nngarden.config import ConfigError
from nngarden.garden.report import build_garden
from nngarden.garden.serve import make_server


@pytest.fixture
def site(runs, notes, tmp_path):
    return build_garden(runs, tmp_path / "site", notes).parent


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return response.read()


def test_serves_the_site_on_loopback_and_stops(site):
    server = make_server(site, 0)
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert fetch(f"http://127.0.0.1:{port}/index.html") == (site / "index.html").read_bytes()
        assert (
            fetch(f"http://127.0.0.1:{port}/notes/alpha/figures/solid.png")
            == (site / "notes" / "alpha" / "figures" / "solid.png").read_bytes()
        )
    finally:
        server.shutdown()
        server.server_close()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_port_in_use_is_a_clear_error(site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"--port: 127.0.0.1:{port} is already in use"):
            make_server(site, port)


def test_unbuilt_site_and_bad_port_are_clear_errors(site, tmp_path, capsys):
    with pytest.raises(ConfigError, match="--dir: .* no built garden .*nngarden report"):
        make_server(tmp_path / "nothing", 0)
    with pytest.raises(ConfigError, match="--port: got 70000"):
        make_server(site, 70000)
    assert main(["serve", "--dir", str(tmp_path / "nothing"), "--port", "0"]) == 2
    assert "--dir" in capsys.readouterr().err


def test_cli_serve_in_a_subprocess(site):
    src = str(Path(nngarden.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=src + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "nngarden", "serve", "--port", "0", "--dir", str(site)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    killer = threading.Timer(60, proc.kill)  # never let a stuck server outlive the test
    killer.start()
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line
        url = line.split(" at ")[1].split()[0]
        assert b"Alpha note" in fetch(url + "notes/alpha.html")
    finally:
        proc.terminate()
        code = proc.wait(timeout=30)
        killer.cancel()
    assert code == 0  # SIGTERM stops the server cleanly, like Ctrl-C
