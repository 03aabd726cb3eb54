"""A source package over HTTP (requests): the API the simulator serves (README, "Source package API").

    GET {url}/returns?cursor=C&limit=N   -> {"items": [{"id", "name", "size", "sha256"}], "next_cursor", "has_more"}
    GET {url}/returns/{id}               -> the document's exact bytes (header X-Content-SHA256)

Every call has a connect and a read timeout. A short hiccup (a 503, a 429, a dropped connection,
a slow answer) is retried a few times by the transport with backoff, GET only; what is still
failing after that raises TransientSourceError, and Prefect retries the whole poll later from the
stored cursor. The token is sent as a Bearer header and appears in no message, log line or repr.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError as _Urllib3Error
from urllib3.util.retry import Retry

from sbrflow.integrations.source_packages.base import (
    Page,
    PermanentSourceError,
    ReturnRef,
    SourcePackageClient,
    TransientSourceError,
)

_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
SECRET_PREFIX = "prefect-secret:"
_CHUNK = 64 * 1024


class _CappedRetry(Retry):
    """urllib3's Retry, but a server's Retry-After is obeyed only up to `retry_after_cap` seconds."""

    retry_after_cap: float = 30.0

    def get_retry_after(self, response):  # type: ignore[override]
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.retry_after_cap)


def _capped_retry(cap: float) -> type[Retry]:
    # Retry.new() rebuilds the object from its class: the cap lives on a class of its own.
    return type("CappedRetry", (_CappedRetry,), {"retry_after_cap": cap})


def resolve_token(token_env: str | None) -> str | None:
    """The API token named by `token_env`: an environment variable, or `prefect-secret:BLOCK`."""
    if not token_env:
        return None
    if token_env.startswith(SECRET_PREFIX):
        from prefect.blocks.system import Secret  # only when configured: integrations need no Prefect

        block = token_env[len(SECRET_PREFIX):]
        try:
            return str(Secret.load(block).get())
        except ValueError as exc:
            raise PermanentSourceError(f"Prefect Secret block {block!r} cannot be loaded: {exc}") from None
    token = os.environ.get(token_env)
    if not token:
        raise PermanentSourceError(f"environment variable {token_env} (the source's API token) is not set")
    return token


class HttpSourceClient(SourcePackageClient):
    """A source package's HTTP API: paged listing after a cursor, one document per GET."""

    def __init__(self, name: str, url: str, *, token: str | None = None, connect_timeout: float = 5.0,
                 read_timeout: float = 30.0, retries: int = 4, backoff: float = 0.2,
                 max_bytes: int = 32 * 1024 * 1024, concurrency: int = 4, deadline: float = 120.0,
                 listing_max_bytes: int = 16 * 1024 * 1024, retry_after_cap: float = 30.0,
                 should_stop: Callable[[], bool] | None = None) -> None:
        self.name = name
        self.url = url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.max_bytes = max_bytes
        self.listing_max_bytes = listing_max_bytes
        self.deadline = deadline  # seconds for one whole call: answer and body, however slowly it trickles in
        self.should_stop = should_stop or (lambda: False)
        self.concurrency = max(1, concurrency)
        self._session = requests.Session()
        # Proxies from the environment are read once here, not on every request (requests' trust_env
        # re-reads them and ~/.netrc per call: a third of the time of a 5 KB download on loopback).
        self._session.proxies.update(requests.utils.get_environ_proxies(self.url))
        self._session.trust_env = False
        retry = _capped_retry(retry_after_cap)(total=retries, connect=retries, read=retries, status=retries, other=0,
                      backoff_factor=backoff, backoff_max=10, status_forcelist=sorted(_TRANSIENT_STATUS),
                      allowed_methods=frozenset({"GET"}), raise_on_status=False,
                      respect_retry_after_header=True)
        adapter = HTTPAdapter(max_retries=retry, pool_connections=2, pool_maxsize=self.concurrency)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers["Accept"] = "application/json, application/xml"
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        self._pool: ThreadPoolExecutor | None = None

    def __repr__(self) -> str:  # no headers: they hold the token
        return f"HttpSourceClient(name={self.name!r}, url={self.url!r})"

    def list_returns(self, cursor: str | None, limit: int) -> Page:
        """GET {url}/returns after `cursor`; raises TransientSourceError or PermanentSourceError."""
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        started = time.monotonic()
        response = self._get(f"{self.url}/returns", params=params, stream=True)
        data = self._body(response, self.listing_max_bytes, "the listing", started, cut=False)
        try:
            body = json.loads(data)
            items = [
                ReturnRef(reference=str(item["id"]), name=item.get("name"), size=item.get("size"),
                          sha256=item.get("sha256"))
                for item in body["items"]
            ]
            next_cursor = body.get("next_cursor")
            has_more = bool(body.get("has_more", False))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise PermanentSourceError(
                f"source {self.name!r} answered the listing with something that is not the expected JSON "
                f"({type(exc).__name__})"
            ) from None
        return Page(items=items, next_cursor=None if next_cursor is None else str(next_cursor), has_more=has_more)

    def fetch(self, ref: ReturnRef) -> bytes:
        """GET {url}/returns/{id}: at most max_bytes + 1 bytes (a longer one is cut, and then rejected)."""
        started = time.monotonic()
        response = self._get(f"{self.url}/returns/{quote(ref.reference, safe='')}", stream=True)
        data = self._body(response, self.max_bytes, f"document {ref.reference!r}", started, cut=True)
        size = len(data)
        expected = ref.sha256 or response.headers.get("X-Content-SHA256")
        if expected and size <= self.max_bytes and hashlib.sha256(data).hexdigest() != expected.lower():
            raise TransientSourceError(
                f"source {self.name!r}: document {ref.reference!r} arrived damaged (SHA-256 differs from the listing)"
            )
        return data

    def _body(self, response: requests.Response, limit: int, what: str, started: float, *, cut: bool) -> bytes:
        """The body, counted while it streams in: at most `limit` bytes (+1 when `cut`: the parser rejects it),
        within the call's deadline, and only while no stop was asked for (SIGTERM)."""
        chunks, size = [], 0
        try:
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > limit and not cut:
                raise PermanentSourceError(f"source {self.name!r}: {what} is {_mib(declared)}, larger than the "
                                           f"{_mib(limit)} limit")
            while True:
                if self.should_stop():
                    # Asked to stop (SIGTERM): not a fault to retry.
                    raise PermanentSourceError(f"source {self.name!r}: stopped while downloading {what}")
                if time.monotonic() - started > self.deadline:
                    raise TransientSourceError(
                        f"source {self.name!r}: {what} took longer than {self.deadline:.0f} s to arrive "
                        f"({_mib(size)} so far); giving up on this call")
                # what has arrived, at once: a trickle cannot stall the checks
                chunk = response.raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    if cut:  # do not download a hostile gigabyte; the parser rejects what it gets
                        break
                    raise PermanentSourceError(f"source {self.name!r}: {what} is larger than the {_mib(limit)} "
                                               "limit; stopped reading it")
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                _Urllib3Error, OSError) as exc:
            raise TransientSourceError(
                f"source {self.name!r}: {what} broke off while downloading ({type(exc).__name__})"
            ) from None
        finally:
            response.close()
        return b"".join(chunks)[: limit + 1]

    def fetch_many(self, refs: Sequence[ReturnRef]) -> list[bytes]:
        """A page's documents over `concurrency` keep-alive connections (the source works while we parse)."""
        if self.concurrency == 1 or len(refs) < 2:
            return [self.fetch(ref) for ref in refs]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"fetch-{self.name}")
        return list(self._pool.map(self.fetch, refs))  # the first error is raised, in order

    def close(self) -> None:
        """Close the connection pool."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._session.close()

    def _get(self, url: str, *, params: dict | None = None, stream: bool) -> requests.Response:
        try:
            response = self._session.get(url, params=params, timeout=self.timeout, stream=stream)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.RetryError) as exc:
            raise TransientSourceError(
                f"source {self.name!r} did not answer GET {_path(url)} ({type(exc).__name__})"
            ) from None
        except requests.RequestException as exc:
            raise PermanentSourceError(
                f"source {self.name!r}: GET {_path(url)} cannot be sent ({type(exc).__name__})"
            ) from None
        if response.status_code >= 400:
            status = response.status_code
            response.close()
            cls = TransientSourceError if status in _TRANSIENT_STATUS or status >= 500 else PermanentSourceError
            hint = {401: " (check the API token)", 403: " (the token may not read returns)",
                    404: " (check the source's URL)"}.get(status, "")
            raise cls(f"source {self.name!r} answered GET {_path(url)} with HTTP {status}{hint}")
        return response


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def _path(url: str) -> str:
    # The token is a header; a user name or password in the URL itself (refused by `sources add`, but perhaps
    # stored before) is masked. The query is dropped for readability.
    parts = urlsplit(url.split("?", 1)[0])
    if "@" in parts.netloc:
        parts = parts._replace(netloc="•••@" + parts.netloc.rpartition("@")[2])
    return parts.geturl()
