"""Slow and hostile source packages: every HTTP call has a total deadline, a size cap and a capped Retry-After."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sbrflow.integrations.source_packages import PermanentSourceError, ReturnRef, TransientSourceError
from sbrflow.integrations.source_packages.http import HttpSourceClient

LISTING = b'{"items": [], "next_cursor": null, "has_more": false}'


class Hostile(BaseHTTPRequestHandler):
    mode = "trickle"
    calls = 0

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        type(self).calls += 1
        if self.mode == "trickle":  # 1 byte every 0.1 s, for ever: never a read timeout
            self.send_response(200)
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                return
        if self.mode == "huge":  # a listing without Content-Length that never ends
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                self.wfile.write(b'{"items": [')
                while True:
                    self.wfile.write(b'{"id": "x"},' * 10_000)
            except OSError:
                return
        if self.mode == "retry-after":  # 503 with Retry-After: 60 first, then the listing
            if type(self).calls == 1:
                self.send_response(503)
                self.send_header("Retry-After", "60")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(LISTING)))
            self.end_headers()
            self.wfile.write(LISTING)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    httpd.daemon_threads = True
    Hostile.calls = 0
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _client(server, **options) -> HttpSourceClient:
    return HttpSourceClient("hostile", f"http://127.0.0.1:{server.server_address[1]}/api", read_timeout=5,
                            retries=options.pop("retries", 0), backoff=0, **options)


@pytest.mark.parametrize("call", ["listing", "document"])
def test_a_server_sending_one_byte_at_a_time_is_given_up_on_at_the_deadline(server, call):
    Hostile.mode = "trickle"
    client = _client(server, deadline=1.5)
    started = time.monotonic()
    with pytest.raises(TransientSourceError, match="took longer than 2 s"):
        client.list_returns(None, 10) if call == "listing" else client.fetch(ReturnRef("doc-1"))
    assert time.monotonic() - started < 4
    client.close()


def test_a_listing_larger_than_the_limit_is_refused_while_it_streams_in(server):
    import tracemalloc

    Hostile.mode = "huge"
    client = _client(server, listing_max_bytes=2 * 1024 * 1024)
    tracemalloc.start()
    with pytest.raises(PermanentSourceError, match="the listing is larger than the 2.0 MiB limit"):
        client.list_returns(None, 10)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    client.close()
    assert peak < 16 * 1024 * 1024


def test_retry_after_is_obeyed_only_up_to_the_cap(server):
    Hostile.mode = "retry-after"
    client = _client(server, retries=2, retry_after_cap=0.5)
    started = time.monotonic()
    page = client.list_returns(None, 10)
    assert page.items == [] and Hostile.calls == 2
    assert time.monotonic() - started < 5  # not the 60 s the server asked for
    client.close()


def test_a_stop_request_ends_a_download_at_once(server):
    Hostile.mode = "trickle"
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    client = _client(server, deadline=60, should_stop=stop.is_set)
    started = time.monotonic()
    with pytest.raises(PermanentSourceError, match="stopped while downloading"):
        client.fetch(ReturnRef("doc-1"))
    assert time.monotonic() - started < 3
    client.close()
