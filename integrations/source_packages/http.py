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
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
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
                 max_bytes: int = 32 * 1024 * 1024, concurrency: int = 4) -> None:
        self.name = name
        self.url = url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.max_bytes = max_bytes
        self.concurrency = max(1, concurrency)
        self._session = requests.Session()
        # Proxies from the environment are read once here, not on every request (requests' trust_env
        # re-reads them and ~/.netrc per call: a third of the time of a 5 KB download on loopback).
        self._session.proxies.update(requests.utils.get_environ_proxies(self.url))
        self._session.trust_env = False
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, other=0,
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
        response = self._get(f"{self.url}/returns", params=params, stream=False)
        try:
            body = response.json()
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
        response = self._get(f"{self.url}/returns/{quote(ref.reference, safe='')}", stream=True)
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(_CHUNK):
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_bytes:  # do not download a hostile gigabyte; the parser rejects it
                    break
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise TransientSourceError(
                f"source {self.name!r}: document {ref.reference!r} broke off while downloading "
                f"({type(exc).__name__})"
            ) from None
        finally:
            response.close()
        data = b"".join(chunks)[: self.max_bytes + 1]
        expected = ref.sha256 or response.headers.get("X-Content-SHA256")
        if expected and size <= self.max_bytes and hashlib.sha256(data).hexdigest() != expected.lower():
            raise TransientSourceError(
                f"source {self.name!r}: document {ref.reference!r} arrived damaged (SHA-256 differs from the listing)"
            )
        return data

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


def _path(url: str) -> str:
    # The URL has no credentials in it (the token is a header); drop the query for readability.
    return url.split("?", 1)[0]
