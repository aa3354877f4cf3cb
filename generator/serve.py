"""`broadsheet serve`: build, serve over HTTP on localhost, rebuild on change, reload the browser.

Watchdog events are sorted and filtered (editor temp files dropped), debounced into one rebuild,
and the rebuild is the ordinary build; before it, an edited article's own pages are shown at once
(preview.py). The reload script is injected into HTML responses by the
server, so built files never contain it. A failed rebuild keeps the last good site and shows its
error in the browser. The search index is refreshed after the pages, in the background.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import http.server
import json
import logging
import os
import queue
import shutil
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from . import manifest
from .cache import CACHE_DIR
from .config import SiteConfig
from .errors import BroadsheetError, ServeError
from .output import fresh_bundle_folder, swap_folder
from .pipeline import BuildReport, build
from .preview import quick_update
from .readers import is_editor_temp
from .render.site import SiteData
from .render.theme import find_theme
from .search import BUNDLE_FOLDER, SearchStats, index_site
from .search_step import search_documents, search_renderer

log = logging.getLogger(__name__)

EVENTS_PATH = "/__broadsheet/events"
DEBOUNCE_SECONDS = 0.3
_RELOAD_SCRIPT = (Path(__file__).parent / "livereload.html").read_text(encoding="utf-8")
"""The snippet served pages get before </body>; %(events)s is the event stream's URL."""


@dataclass
class ServeState:
    """What the server knows between rebuilds; shared by the HTTP threads and the watcher."""

    generation: int = 0
    """Bumped after every successful rebuild; clients reload when it changes."""
    error: str | None = None
    """The last rebuild's error, until a rebuild succeeds."""
    changed: dict[int, frozenset[str] | None] = field(default_factory=dict)
    """The files (relative to the site) each generation changed; None: any, as far as known."""
    condition: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, error: str | None, changed: frozenset[str] | None = None) -> None:
        with self.condition:
            if error is None:
                self.generation += 1
                self.changed[self.generation] = changed
            self.error = error
            self.condition.notify_all()

    def touches(self, page: str | None, since: int, until: int) -> bool:
        """Did a generation after `since` (up to `until`) change the file of `page`?"""
        for generation in range(since + 1, until + 1):
            changed = self.changed.get(generation)
            if changed is None or page is None or page in changed:
                return True
        return False


def inject_reload(body: bytes, events_url: str) -> bytes:
    """Put the reload script before </body> of an HTML page (served responses only)."""
    script = (_RELOAD_SCRIPT % {"events": html.escape(events_url)}).encode()
    marker = body.rfind(b"</body>")
    return body[:marker] + script + body[marker:] if marker != -1 else body + script


def watched_paths(config: SiteConfig) -> list[Path]:
    """Content, the site's own templates and themes, the theme in use and site.toml's folder."""
    paths = [
        config.content_dir,
        config.root / "templates",
        config.root / "themes",
        config.root / "static",
    ]
    with contextlib.suppress(BroadsheetError):  # a missing theme is reported by the build
        paths.append(find_theme(config).folder)
    return [p for p in dict.fromkeys(paths) if p.exists()]


def is_relevant(path: str, config: SiteConfig) -> bool:
    """Does a change to `path` call for a rebuild? Editor temp files and the output do not."""
    target = Path(path)
    if is_editor_temp(target.name) or target.name.startswith(".") or target.name.isdigit():
        return False
    output = config.output_dir
    for ignored in (
        output,
        output.with_name(f".{output.name}.building"),
        config.root / ".broadsheet-cache",
    ):
        if target == ignored or ignored in target.parents:
            return False
    if target.parent == config.root:
        return target.name == "site.toml"
    return True


class _Changes(FileSystemEventHandler):
    def __init__(self, config: SiteConfig, changes: queue.Queue[str]) -> None:
        self.config = config
        self.changes = changes

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return  # a file event inside it says what changed; this one only echoes it
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path and is_relevant(os.fsdecode(path), self.config):
                self.changes.put(os.fsdecode(path))


def debounce(changes: queue.Queue[str], quiet: float, stop: threading.Event) -> list[str] | None:
    """Wait for a change, then for `quiet` seconds without one; return all paths seen."""
    while not stop.is_set():
        try:
            first = changes.get(timeout=0.2)
        except queue.Empty:
            continue
        seen = [first]
        while True:
            try:
                seen.append(changes.get(timeout=quiet))
            except queue.Empty:
                return sorted(set(seen))
    return None


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files from the output folder at the base path, plus the event stream."""

    server_version = "Broadsheet"
    state: ServeState
    base_path: str
    output_dir: Path

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        relative = (
            path[len(self.base_path) - 1 :] if path.startswith(self.base_path) else "/\0missing"
        )
        self.directory = str(self.output_dir)
        return super().translate_path(relative)

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == EVENTS_PATH:
            self._events()
            return
        if self.base_path != "/" and self.path in ("/", ""):
            self.send_response(302)
            self.send_header("Location", self.base_path)
            self.end_headers()
            return
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            if not self.path.split("?", 1)[0].endswith("/"):
                return super().do_GET()  # the standard redirect to the slash URL
            target = target / "index.html"
        if target.suffix == ".html" and target.is_file():
            self._send_html(target.read_bytes(), 200)
        elif not target.exists() and (self.output_dir / "404.html").is_file():
            self._send_html((self.output_dir / "404.html").read_bytes(), 404)
        else:
            super().do_GET()

    def _send_html(self, body: bytes, status: int) -> None:
        body = inject_reload(body, EVENTS_PATH)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        state = self.state
        page = self._page_file()
        with state.condition:
            seen = state.generation
            error = state.error
        try:
            if error:
                self._send_event("failed", {"message": error})
            while True:
                with state.condition:
                    state.condition.wait(timeout=15)
                    generation, current = state.generation, state.error
                    touched = state.touches(page, seen, generation)
                if touched:
                    self._send_event("reload", {"generation": generation})
                    return
                seen = generation  # a rebuild that left this page as it was: no reload
                if current != error and current:
                    self._send_event("failed", {"message": current})
                error = current
                self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return

    def _page_file(self) -> str | None:
        """The file (relative to the site) of the page whose script opened this stream, from
        its ?page= parameter; None when not given or not a page of the site."""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        page = urllib.parse.unquote((query.get("page") or [""])[0])
        if not page.startswith(self.base_path):
            return None
        relative = page[len(self.base_path) :]
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        return relative

    def _send_event(self, name: str, data: dict[str, Any]) -> None:
        self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()


def make_server(
    config: SiteConfig, state: ServeState, host: str, port: int
) -> http.server.ThreadingHTTPServer:
    handler = type(
        "BoundHandler",
        (Handler,),
        {"state": state, "base_path": config.base_path, "output_dir": config.output_dir},
    )
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ServeError(
            f"cannot listen on {host}:{port}: {reason}. Stop what uses it, or pass --port with "
            "another port (--port 0 takes any free one)."
        ) from exc
    server.daemon_threads = True
    return server


class SearchRefresher:
    """Rebuilds the Pagefind index after page rebuilds, one at a time, never blocking them.
    `swap` is held by each page rebuild: the new bundle goes live between two of them, never
    while one carries the live bundle over into its site."""

    def __init__(self, on_done: Callable[[str | None], None], swap: threading.Lock) -> None:
        self.on_done = on_done
        self.swap = swap
        self.wanted = threading.Event()
        self.stop = threading.Event()
        self._latest: tuple[SiteConfig, SiteData] | None = None
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="search-index", daemon=True)
        self.thread.start()

    def request(self, config: SiteConfig, site: SiteData | None) -> None:
        """Index the site a rebuild made (`site`: its data, which the documents come from)."""
        if site is None:
            return
        with self._lock:
            self._latest = (config, site)
        self.wanted.set()

    def _run(self) -> None:
        while not self.stop.is_set():
            if not self.wanted.wait(timeout=0.2):
                continue
            self.wanted.clear()
            with self._lock:
                latest = self._latest
            if latest is None:
                continue
            try:
                refresh_search_index(*latest, swap=self.swap)
                self.on_done(None)
            except Exception as exc:  # reported, never fatal to serving
                self.on_done(str(exc))


def refresh_search_index(
    config: SiteConfig, site: SiteData, swap: threading.Lock | None = None
) -> SearchStats:
    """Index the site's articles into a fresh folder, then swap it for the live pagefind/
    (holding `swap`, where given). Shards whose documents did not change are linked from the
    old one, as in a build. Made in the site, the fresh folder went away with it when a page
    rebuild landed meanwhile, and the search was lost until the next refresh."""
    output = config.output_dir
    fresh = fresh_bundle_folder(output)
    shutil.rmtree(fresh, ignore_errors=True)
    current = output / BUNDLE_FOLDER
    stats = index_site(
        search_documents(site)[0],
        search_renderer(site),
        fresh,
        config.language,
        config.search,
        previous=current,
        state_dir=config.root / CACHE_DIR,
    )
    if stats.shards:
        with swap or contextlib.nullcontext():
            retired = swap_folder(fresh, current)
        if retired:
            shutil.rmtree(retired, ignore_errors=True)
    return stats


def rebuild(config: SiteConfig, *, search: bool) -> BuildReport:
    """One build for serve: pages now (keeping the old search bundle), search later. The site's
    data is kept for the quick update of the next edit."""
    return build(config, search=False, carry_over=("pagefind",) if search else (), keep_site=True)


def try_quick_update(
    site: SiteData | None, changed: list[str]
) -> tuple[SiteData, list[str]] | None:
    """preview.quick_update, never fatal: any failure leaves the edit to the full rebuild."""
    if site is None:
        return None
    try:
        return quick_update(site, [Path(p) for p in changed])
    except Exception:  # the full rebuild that follows reports it properly
        log.debug("quick update failed", exc_info=True)
        return None


def _files_now(config: SiteConfig, written: list[str]) -> manifest.Snapshot | None:
    """The site's files as they are now: the last build's record of them (serve changes no page
    but those it `written` since, and pagefind/), else a walk of the output folder."""
    last = manifest.load(config.root / CACHE_DIR)
    if last is None:
        try:
            return manifest.snapshot(config.output_dir)
        except OSError:
            return None
    files = dict(last.files)
    for path in written:
        try:
            stat = os.stat(config.output_dir / path)
        except OSError:
            files.pop(path, None)
            continue
        files[path] = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
    return files


def _changed_files(before: manifest.Snapshot | None, config: SiteConfig) -> frozenset[str] | None:
    """The site's files a rebuild changed, added or removed (by size, mtime and inode: a file
    whose bytes did not change is the very same file); None when that is not known."""
    after = _files_now(config, [])
    if before is None or after is None:
        return None
    return frozenset(
        path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
    )


def _same_place(new: SiteConfig, old: SiteConfig) -> SiteConfig:
    """A reloaded config keeps serving from where the server already serves."""
    return dataclasses.replace(new, output_dir=old.output_dir, base_url=old.base_url)


def serve(
    config: SiteConfig,
    *,
    reload_config: Callable[[], SiteConfig] | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Serve until Ctrl-C (or `stop` is set). `ready(url)` is called once the site is up.
    `reload_config` re-reads site.toml when it changes (host, port and base path stay)."""
    stop = stop or threading.Event()
    state = ServeState()
    search = config.search.enabled
    server = make_server(config, state, host, port)  # a port in use is said before the build
    echo("Building…")
    try:
        report = rebuild(config, search=search)
        site = report.site
        echo(f"Built {report.articles} articles in {sum(report.timings.values()):.2f}s")
        for problem in report.problems:
            echo(str(problem))
    except BroadsheetError as exc:
        site = None
        state.publish(str(exc))
        echo(f"error: {exc}")
        config.output_dir.mkdir(parents=True, exist_ok=True)
    except BaseException:
        server.server_close()
        raise

    def search_done(error: str | None) -> None:
        if error:
            echo(f"search index: {error}")
        else:
            log.info("search index refreshed")

    swap = threading.Lock()  # the live search bundle: carried over, or swapped for a new one
    refresher = SearchRefresher(search_done, swap) if search else None
    if refresher:
        refresher.request(config, site)
    server_thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    server_thread.start()
    changes: queue.Queue[str] = queue.Queue()
    observer = Observer()
    handler = _Changes(config, changes)
    for path in watched_paths(config):
        observer.schedule(handler, str(path), recursive=True)
    observer.schedule(handler, str(config.root), recursive=False)
    observer.start()
    url = f"http://{host}:{server.server_address[1]}{config.base_path}"
    echo(f"Serving {url} (Ctrl-C to stop)")
    if ready:
        ready(url)
    try:
        while not stop.is_set():
            changed = debounce(changes, DEBOUNCE_SECONDS, stop)
            if not changed:
                continue
            started = time.perf_counter()
            names = ", ".join(Path(p).name for p in changed[:3]) + (
                " …" if len(changed) > 3 else ""
            )
            reconfigured = any(Path(p).name == "site.toml" for p in changed)
            quick = None if reconfigured else try_quick_update(site, changed)
            shown: list[str] = []
            if quick:
                site, shown = quick
                state.publish(None, frozenset(shown))
                echo(
                    f"Updated {len(shown)} page(s) of {names} in "
                    f"{time.perf_counter() - started:.2f}s; rebuilding the rest…"
                )
            before = _files_now(config, shown)
            try:
                if reload_config and reconfigured:
                    config = _same_place(reload_config(), config)
                with swap:
                    report = rebuild(config, search=search)
                site = report.site
            except BroadsheetError as exc:
                echo(f"Rebuild failed ({names}): {exc}")
                state.publish(str(exc))
                continue
            except Exception as exc:  # keep serving the last good site whatever happened
                log.exception("rebuild crashed")
                state.publish(f"{type(exc).__name__}: {exc}")
                continue
            state.publish(None, _changed_files(before, config))  # before saying so
            echo(f"Rebuilt after changes to {names} in {time.perf_counter() - started:.2f}s")
            for problem in report.problems:
                echo(str(problem))
            if refresher:
                refresher.request(config, site)
    except KeyboardInterrupt:
        echo("Stopping.")
    finally:
        if refresher:
            refresher.stop.set()
        observer.stop()
        server.shutdown()
        server.server_close()
        observer.join(timeout=5)
