"""`broadsheet serve` against a real HTTP server on localhost, with real file edits."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.config import load_config
from generator.serve import EVENTS_PATH, serve
from tests.browser.harness import cli_command, cli_env, run_cli
from tests.helpers import copy_site

WAIT_SECONDS = 20


@dataclass
class Server:
    url: str
    root: Path
    messages: list[str]

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def wait_for(self, path: str, text: str) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            _, body = self.get(path)
            if text in body:
                return body
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared at {path}; log: {self.messages}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    root = copy_site("basic", tmp_path)
    (root / "site.toml").write_text(
        'title = "Served"\nbase_url = "/archive/"\n[search]\nenabled = false\n'
    )
    config = load_config(root / "site.toml")
    ready = threading.Event()
    stop = threading.Event()
    found: list[str] = []
    messages: list[str] = []

    def on_ready(url: str) -> None:
        found.append(url)
        ready.set()

    thread = threading.Thread(
        target=serve,
        kwargs={
            "config": config,
            "reload_config": lambda: load_config(root / "site.toml"),
            "port": 0,
            "ready": on_ready,
            "stop": stop,
            "echo": messages.append,
        },
        daemon=True,
    )
    thread.start()
    assert ready.wait(WAIT_SECONDS), messages
    yield Server(found[0], root, messages)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive(), "serve did not stop"


def test_serves_the_site_at_its_sub_path(server: Server) -> None:
    assert server.url.endswith("/archive/")
    status, body = server.get("")
    assert status == 200 and "Night ferry to the islands" in body
    status, _ = server.get("2024/05/lighthouse-keeper-retires-after-forty-years-on-gull-rock/")
    assert status == 200


def test_reload_script_is_served_but_never_written_to_the_build(server: Server) -> None:
    _, body = server.get("")
    assert EVENTS_PATH in body
    built = (server.root / "public" / "index.html").read_text()
    assert EVENTS_PATH not in built


def test_an_edited_article_is_served_again_with_the_change(server: Server) -> None:
    article = server.root / "content" / "news" / "lighthouse.md"
    article.write_text(
        article.read_text().replace("The sea taught me patience", "The tide taught me patience")
    )
    page = "2024/05/lighthouse-keeper-retires-after-forty-years-on-gull-rock/"
    server.wait_for(page, "The tide taught me patience")


def test_an_edit_is_shown_before_the_full_rebuild_which_follows(server: Server) -> None:
    article = server.root / "content" / "news" / "lighthouse.md"
    article.write_text(article.read_text().replace("humility", "humility, and tea"))
    page = "2024/05/lighthouse-keeper-retires-after-forty-years-on-gull-rock/"
    server.wait_for(page, "humility, and tea")
    deadline = time.monotonic() + WAIT_SECONDS
    while not any("Rebuilt" in m for m in server.messages) and time.monotonic() < deadline:
        time.sleep(0.1)
    said = [m for m in server.messages if m.startswith(("Updated", "Rebuilt"))]
    assert said[0].startswith("Updated 1 page(s) of lighthouse.md"), said
    assert said[1].startswith("Rebuilt after changes to lighthouse.md"), said


def test_the_browser_is_told_to_reload_after_a_rebuild(server: Server) -> None:
    host, port = server.url.split("//")[1].split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=WAIT_SECONDS)
    connection.request("GET", EVENTS_PATH)
    response = connection.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    (server.root / "content" / "news" / "new.md").write_text(
        '+++\ntitle = "A brand new article"\ndate = 2024-08-01\n+++\nFresh text.\n'
    )
    assert b"event: reload" in response.read1(4096) + response.read1(4096)
    connection.close()
    server.wait_for("", "A brand new article")


def _events_for(server: Server, page: str) -> http.client.HTTPResponse:
    host, port = server.url.split("//")[1].split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=WAIT_SECONDS)
    connection.request("GET", f"{EVENTS_PATH}?page={page}")
    return connection.getresponse()


def test_only_pages_a_rebuild_changed_are_reloaded(server: Server) -> None:
    article_page = "/archive/2024/05/lighthouse-keeper-retires-after-forty-years-on-gull-rock/"
    on_article = _events_for(server, article_page)
    on_search = _events_for(server, "/archive/search/")
    time.sleep(0.3)  # both streams have taken the current generation
    article = server.root / "content" / "news" / "lighthouse.md"
    article.write_text(article.read_text().replace("humility", "humility, and rain"))
    assert b"event: reload" in on_article.read1(4096)
    deadline = time.monotonic() + WAIT_SECONDS
    while not any("Rebuilt" in m for m in server.messages) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert any("Rebuilt" in m for m in server.messages)
    on_search.fp.raw._sock.settimeout(2)  # type: ignore[attr-defined]
    heard = b""
    with pytest.raises(TimeoutError):
        while True:
            heard += on_search.read1(4096)
    assert b"event: reload" not in heard  # the search page is as it was: it is not reloaded


def test_many_saves_at_once_are_one_rebuild(server: Server) -> None:
    before = sum("Rebuilt" in m for m in server.messages)
    for n in range(20):
        (server.root / "content" / "news" / f"batch-{n}.md").write_text(
            f'+++\ntitle = "Batch article {n}"\ndate = 2024-08-02\n+++\nText {n}.\n'
        )
    server.wait_for("archive/2024/08/", "Batch article")
    time.sleep(1)
    rebuilds = [m for m in server.messages if "Rebuilt" in m]
    assert len(rebuilds) - before <= 2, rebuilds


def test_editor_temp_files_do_not_trigger_a_rebuild(server: Server) -> None:
    before = len(server.messages)
    for name in (".lighthouse.md.swp", "lighthouse.md~", "#lighthouse.md#", "4913"):
        (server.root / "content" / "news" / name).write_text("scratch")
    time.sleep(1.5)
    assert not [m for m in server.messages[before:] if "Rebuilt" in m]


def test_a_failed_rebuild_keeps_the_last_good_site_and_reports_the_error(server: Server) -> None:
    (server.root / "site.toml").write_text('title = "Served"\nper_page = "many"\n')
    deadline = time.monotonic() + WAIT_SECONDS
    while not any("Rebuild failed" in m for m in server.messages) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert any("per_page must be a whole number" in m for m in server.messages)
    status, body = server.get("")
    assert status == 200 and "Night ferry" in body


def test_unknown_pages_get_the_404_page(server: Server) -> None:
    status, body = server.get("no/such/page/")
    assert status == 404 and "Page not found" in body


def test_a_port_in_use_is_a_clear_error_before_any_build(tmp_path: Path) -> None:
    root = copy_site("basic", tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = run_cli("serve", "--port", str(port), cwd=root, timeout=60)
    assert process.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in process.stderr
    assert "--port" in process.stderr and "Traceback" not in process.stderr
    assert "Building" not in process.stdout and not (root / "public").exists()


def test_ctrl_c_stops_serve_cleanly(tmp_path: Path) -> None:
    """The command as a user runs it: SIGINT (Ctrl-C) once it serves; it says so, exits 0 with
    no traceback, and gives its port back."""
    root = copy_site("basic", tmp_path)
    process = subprocess.Popen(
        cli_command("serve", "--port", "0", "--no-search"),
        cwd=root,
        env={**cli_env(), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        serving = ""
        while not serving.startswith("Serving "):
            serving = process.stdout.readline()
            assert serving, f"serve stopped before serving: {process.stderr.read()}"  # type: ignore[union-attr]
        url = serving.split()[1]
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Stopping." in out and "Traceback" not in err
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    # Nothing listens there any more. The address is reused, as serve does: the connection
    # closed above waits out its time.
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
