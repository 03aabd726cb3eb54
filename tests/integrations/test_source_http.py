"""The HTTP source client against the simulator: paging, timeouts, and transient versus permanent failures."""

from __future__ import annotations

import hashlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from sbrflow.integrations.simulator import Faults, SourceSimulator, generated_catalogue
from sbrflow.integrations.source_packages import (
    PermanentSourceError,
    ReturnRef,
    SourcePackageError,
    TransientSourceError,
    open_source,
)
from sbrflow.integrations.source_packages.http import HttpSourceClient, resolve_token


def _client(sim_or_url, **kwargs) -> HttpSourceClient:
    url = sim_or_url if isinstance(sim_or_url, str) else sim_or_url.url
    kwargs.setdefault("backoff", 0)
    return HttpSourceClient("sim", url, connect_timeout=2, **kwargs)


def _drain(client: HttpSourceClient, limit: int = 10) -> list[tuple[str, bytes]]:
    cursor, seen = None, []
    for _ in range(1000):
        page = client.list_returns(cursor, limit)
        seen += [(ref.reference, client.fetch(ref)) for ref in page.items]
        cursor = page.next_cursor
        if not page.has_more:
            return seen
    raise AssertionError("the feed never ended")


def _expected(sim: SourceSimulator) -> set[str]:
    return {hashlib.sha256(sim.feed.document(e.id)).hexdigest() for e in sim.feed.catalogue.snapshot()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_client_pages_through_the_whole_feed():
    with SourceSimulator(generated_catalogue(25, employees=1)) as sim, _client(sim) as client:
        seen = _drain(client, limit=10)
    assert len(seen) == 25 == len({ref for ref, _ in seen})
    assert sim.stats.listings == 3


def test_faults_still_deliver_every_document_and_nothing_else():
    faults = Faults(error_rate=0.2, slow_rate=0.05, slow_seconds=0.05, malformed_rate=0.1,
                    duplicate_rate=0.1, changing_pages=True, seed=7)
    with SourceSimulator(generated_catalogue(60, employees=1, seed=2), faults=faults) as sim:
        with _client(sim, retries=10) as client:
            seen = _drain(client, limit=8)
        assert {hashlib.sha256(data).hexdigest() for _, data in seen} == _expected(sim)
    assert sim.stats.errors_injected > 0
    assert len(seen) > 60  # the duplicates and the repeated items arrived too


def test_a_source_that_keeps_answering_503_raises_a_transient_error():
    with SourceSimulator(generated_catalogue(3), faults=Faults(error_rate=1.0)) as sim, _client(sim, retries=2) as c:
        with pytest.raises(TransientSourceError, match="HTTP 503"):
            c.list_returns(None, 10)
    assert sim.stats.errors_injected == 3  # the first try and two quick retries


def test_a_refused_connection_is_transient():
    with _client(f"http://127.0.0.1:{_free_port()}/api/v1", retries=0) as client:
        with pytest.raises(TransientSourceError, match="did not answer"):
            client.list_returns(None, 10)


def test_an_answer_slower_than_the_read_timeout_is_transient():
    faults = Faults(slow_rate=1.0, slow_seconds=0.6)
    with SourceSimulator(generated_catalogue(3), faults=faults) as sim:
        with _client(sim, retries=0, read_timeout=0.1) as client, pytest.raises(TransientSourceError):
            client.list_returns(None, 10)


def test_a_wrong_token_is_permanent_and_never_shown():
    with SourceSimulator(generated_catalogue(3), token="right-token") as sim:
        with _client(sim, token="wrong-token-123") as client:
            with pytest.raises(PermanentSourceError, match="HTTP 401") as excinfo:
                client.list_returns(None, 10)
            assert "wrong-token-123" not in str(excinfo.value) + repr(client)
        with _client(sim, token="right-token") as client:
            assert len(client.list_returns(None, 10).items) == 3


def test_an_unknown_document_is_permanent():
    with SourceSimulator(generated_catalogue(3)) as sim, _client(sim) as client:
        with pytest.raises(PermanentSourceError, match="HTTP 404"):
            client.fetch(ReturnRef("no-such-document"))


def test_a_document_that_arrives_damaged_is_transient():
    with SourceSimulator(generated_catalogue(3)) as sim, _client(sim) as client:
        ref = client.list_returns(None, 10).items[0]
        with pytest.raises(TransientSourceError, match="damaged"):
            client.fetch(ReturnRef(ref.reference, sha256="0" * 64))


def test_an_oversized_document_is_cut_at_the_limit_plus_one_byte():
    with SourceSimulator(generated_catalogue(1, vat_share=0.0, employees=5)) as sim:
        with _client(sim, max_bytes=2000) as client:
            ref = client.list_returns(None, 10).items[0]
            assert len(client.fetch(ref)) == 2001


class _NotJson(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = b"<html>maintenance</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_listing_that_is_not_the_expected_json_is_permanent():
    server = HTTPServer(("127.0.0.1", 0), _NotJson)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with _client(f"http://127.0.0.1:{server.server_address[1]}") as client:
            with pytest.raises(PermanentSourceError, match="not the expected JSON"):
                client.list_returns(None, 10)
    finally:
        server.shutdown()
        server.server_close()


def test_the_token_comes_from_the_named_environment_variable(monkeypatch):
    monkeypatch.setenv("SIM_TOKEN", "abc")
    assert resolve_token("SIM_TOKEN") == "abc"
    assert resolve_token(None) is None
    monkeypatch.delenv("SIM_TOKEN")
    with pytest.raises(PermanentSourceError, match="SIM_TOKEN"):
        resolve_token("SIM_TOKEN")


def test_both_kinds_of_failure_are_source_package_errors():
    assert issubclass(TransientSourceError, SourcePackageError)
    assert issubclass(PermanentSourceError, SourcePackageError)
    assert not issubclass(TransientSourceError, PermanentSourceError)


def test_open_source_builds_the_client_of_a_configured_kind(tmp_path):
    with open_source("a", "http", url="http://127.0.0.1:1/api/v1") as client:
        assert isinstance(client, HttpSourceClient) and client.timeout[0] > 0 and client.timeout[1] > 0
    with pytest.raises(PermanentSourceError, match="without a URL"):
        open_source("b", "http")
    with pytest.raises(PermanentSourceError, match="unknown kind"):
        open_source("c", "ftp")
