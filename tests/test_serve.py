"""Starting the dashboard: on localhost, or with sign-in, it starts; on any other address
without sign-in it refuses, says how to fix it, and listens on nothing."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from rungs_ui import auth, serve
from tests.ui_fixtures import REPO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serving_on_every_address_without_sign_in_refuses_to_start():
    port = _free_port()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rungs_ui.serve",
            "--server.address",
            "0.0.0.0",
            "--server.port",
            str(port),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == serve.REFUSED
    assert "will not start on 0.0.0.0 without sign-in" in done.stderr
    assert "[auth]" in done.stderr and serve.ALLOW_FLAG in done.stderr
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "nothing may listen"


@pytest.mark.parametrize(
    ("args", "refused"),
    [
        (["--server.address", "0.0.0.0"], True),
        (["--server.address=192.168.1.20"], True),
        (["--server.address", ""], True),  # empty: Streamlit listens on every interface
        (["--server.address", "127.0.0.1"], False),
        (["--server.address", "localhost"], False),
        ([], False),  # .streamlit/config.toml binds to localhost
    ],
)
def test_which_addresses_need_sign_in(monkeypatch, args, refused):
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("STREAMLIT_SERVER_ADDRESS", raising=False)
    assert (serve.refusal(args, allow=False) is not None) is refused
    assert serve.refusal(args, allow=True) is None


def test_a_secrets_file_with_auth_lets_it_serve_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nclient_id = "x"\n')
    args = ["--server.address", "0.0.0.0", "--secrets.files", str(secrets)]
    assert serve.refusal(args, allow=False) is None


def test_the_dashboard_itself_refuses_the_same_way(monkeypatch):
    monkeypatch.delenv(auth.ALLOW_ENV, raising=False)
    for name in auth.RETIRED_ENV:
        monkeypatch.delenv(name, raising=False)
    assert "without sign-in" in auth.refusal(False, "0.0.0.0")
    assert auth.refusal(True, "0.0.0.0") is None
    assert auth.refusal(False, "localhost") is None
    monkeypatch.setenv(auth.ALLOW_ENV, "1")
    assert auth.refusal(False, "0.0.0.0") is None


def test_a_retired_shared_password_keeps_the_dashboard_closed(monkeypatch):
    monkeypatch.setenv("RUNGS_PASSWORD_HASH", "scrypt:16384:8:1:abc:def")
    reason = auth.refusal(True, "localhost")
    assert "shared password is retired" in reason and "RUNGS_PASSWORD_HASH" in reason
