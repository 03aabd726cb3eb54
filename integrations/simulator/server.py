"""The source-package simulator: a small HTTP server speaking the API HttpSourceClient reads.

    GET /api/v1/returns?cursor=C&limit=N  -> {"items": [{"id", "name"}], "next_cursor": "C2", "has_more": bool}
    GET /api/v1/returns/{id}              -> the document bytes, Content-Type application/xml, X-Content-SHA256
    GET /health                           -> {"status": "ok", "documents": N}

With a token configured, every /api call needs `Authorization: Bearer <token>` (401 otherwise).
Faults are injected by option (`Faults`) to prove the client and the intake survive them.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from sbrflow.integrations.simulator.catalogue import Catalogue, Entry

API = "/api/v1"
MAX_LIMIT = 1000


@dataclass
class Faults:
    """What can go wrong, as shares of requests or documents (0 = never); seeded, so reproducible."""

    error_rate: float = 0.0  # share of requests answered 503 Service Unavailable
    slow_rate: float = 0.0  # share of requests that wait `slow_seconds` before answering
    slow_seconds: float = 0.0
    malformed_rate: float = 0.0  # share of documents served damaged (truncated or not XML), always the same way
    duplicate_rate: float = 0.0  # share of documents listed a second time later, under a new id
    changing_pages: bool = False  # the feed grows while it is read, and each page repeats the previous page's last item
    retry_after: int | None = None  # Retry-After header on the 503s
    seed: int = 0


@dataclass
class Stats:
    """What the simulator answered, for tests and the bench."""

    requests: int = 0
    errors_injected: int = 0
    slow_injected: int = 0
    documents_served: int = 0
    listings: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, name: str) -> None:
        """Add one to a counter, thread-safely."""
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


class Feed:
    """The catalogue as the API shows it, with duplicates, malformed documents and growth applied."""

    def __init__(self, catalogue: Catalogue, faults: Faults) -> None:
        self.catalogue = catalogue
        self.faults = faults
        self._visible = None if not faults.changing_pages else max(1, len(catalogue) // 2)
        self._lock = threading.Lock()
        self._cache: tuple[int, list[Entry]] = (-1, [])

    def entries(self) -> list[Entry]:
        """The feed in order: each duplicated entry appears again a few places later, under a new id."""
        entries = self.catalogue.snapshot()
        rate = self.faults.duplicate_rate
        if not rate:
            return entries
        if self._cache[0] == len(entries):  # the catalogue only grows: same length, same feed
            return self._cache[1]
        out: list[Entry] = []
        pending: list[tuple[int, Entry]] = []
        for position, entry in enumerate(entries):
            out.append(entry)
            if _chance(self.faults.seed, "duplicate", entry.id) < rate:
                pending.append((position + 7, Entry(f"{entry.id}.again", entry.name, entry.render)))
            while pending and pending[0][0] <= position:
                out.append(pending.pop(0)[1])
        out.extend(e for _, e in pending)
        self._cache = (len(entries), out)
        return out

    def page(self, cursor: int, limit: int) -> dict:
        """The listing after position `cursor`."""
        entries = self.entries()
        with self._lock:
            visible = len(entries) if self._visible is None else min(len(entries), self._visible)
            if self._visible is not None:  # the package keeps exporting while we read
                self._visible += limit
        start = min(max(cursor, 0), visible)
        chosen = entries[start:start + limit]
        chosen = chosen[: max(0, visible - start)]
        items = [{"id": e.id, "name": e.name} for e in chosen]
        if self.faults.changing_pages and start > 0:
            # A feed whose pages shift: the last item of the previous page shows up again.
            previous = entries[start - 1]
            items.insert(0, {"id": previous.id, "name": previous.name})
        end = start + len(chosen)
        # has_more looks at the whole feed: documents still being exported are "more" too.
        return {"items": items, "next_cursor": str(end), "has_more": end < len(entries)}

    def document(self, entry_id: str) -> bytes | None:
        """The bytes of one entry (damaged the same way every time when it is a malformed one)."""
        base_id = entry_id.removesuffix(".again")
        entry = self.catalogue.get(base_id)
        if entry is None:
            return None
        data = entry.render()
        if _chance(self.faults.seed, "malformed", base_id) < self.faults.malformed_rate:
            # Half cut off in transit, or a proxy's error page served as the document (names the id,
            # so two damaged documents are still two documents).
            data = (data[: len(data) // 2] if len(base_id) % 2
                    else f"<html><body>502 Bad Gateway ({base_id})</body></html>".encode())
        return data


def _chance(seed: int, what: str, key: str) -> float:
    # Deterministic per document: the same document is duplicated / damaged in every run.
    digest = hashlib.sha256(f"{seed}:{what}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection for a whole poll
    disable_nagle_algorithm = True  # headers and body are two writes: without this, +40 ms per answer
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet: tests and bench
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        sim = self.server.simulator
        sim.stats.count("requests")
        url = urlsplit(self.path)
        if url.path == "/health":
            return self._json(200, {"status": "ok", "documents": len(sim.feed.entries())})
        if not url.path.startswith(API + "/"):
            return self._json(404, {"error": "not found"})
        if sim.token and self.headers.get("Authorization") != f"Bearer {sim.token}":
            return self._json(401, {"error": "missing or wrong bearer token"})
        faults = sim.feed.faults
        if faults.slow_rate and sim.rng_random() < faults.slow_rate:
            sim.stats.count("slow_injected")
            time.sleep(faults.slow_seconds)
        if faults.error_rate and sim.rng_random() < faults.error_rate:
            sim.stats.count("errors_injected")
            headers = {"Retry-After": str(faults.retry_after)} if faults.retry_after is not None else {}
            return self._json(503, {"error": "service unavailable (injected)"}, headers)
        if url.path == f"{API}/returns":
            query = parse_qs(url.query)
            try:
                cursor = int(query.get("cursor", ["0"])[0] or 0)
                limit = min(MAX_LIMIT, max(1, int(query.get("limit", ["100"])[0])))
            except ValueError:
                return self._json(400, {"error": "cursor and limit must be whole numbers"})
            sim.stats.count("listings")
            return self._json(200, sim.feed.page(cursor, limit))
        if url.path.startswith(f"{API}/returns/"):
            data = sim.feed.document(unquote(url.path[len(f"{API}/returns/"):]))
            if data is None:
                return self._json(404, {"error": "no such document"})
            sim.stats.count("documents_served")
            return self._send(200, data, "application/xml",
                              {"X-Content-SHA256": hashlib.sha256(data).hexdigest()})
        return self._json(404, {"error": "not found"})

    def _json(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(body).encode(), "application/json", headers or {})

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    simulator: SourceSimulator


class SourceSimulator:
    """The simulator: serve a catalogue with faults; `start()` runs it in a background thread."""

    def __init__(self, catalogue: Catalogue, *, faults: Faults | None = None, token: str | None = None,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.feed = Feed(catalogue, faults or Faults())
        self.token = token
        self.stats = Stats()
        self._rng = random.Random(self.feed.faults.seed)
        self._rng_lock = threading.Lock()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.simulator = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port it listens on (a free one when started with port 0)."""
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The API root to register as a source package's URL."""
        return f"http://{self._httpd.server_address[0]}:{self.port}{API}"

    def rng_random(self) -> float:
        """The next fault draw (seeded; shared by all request threads)."""
        with self._rng_lock:
            return self._rng.random()

    def start(self) -> SourceSimulator:
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="source-simulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the CLI)."""
        self._httpd.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> SourceSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
