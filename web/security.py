"""What every page of the web application gets: security headers, CSRF tokens, rate limits, masked tokens in logs."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
import time
from collections import deque
from pathlib import Path

# No scripts at all; styles and images only from this site; never inside a frame; no referrer, so
# the token in the address never leaves with a link the client follows.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
_TOKEN_IN_PATH = re.compile(r"(/a/)([A-Za-z0-9_-]{4})[A-Za-z0-9_-]*")


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response (static files too); a plain ASGI middleware, no body copy."""

    def __init__(self, app) -> None:
        self.app = app
        self._headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self._headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def mask_path(text: str) -> str:
    """`/a/AbCdEf…` → `/a/AbCd…`: what a log line may show of an approval token."""
    return _TOKEN_IN_PATH.sub(r"\1\2…", text)


class MaskTokens(logging.Filter):
    """A log filter that masks approval tokens in paths (uvicorn's access log, our own lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(mask_path(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = mask_path(record.msg)
        return True


def install_log_masking() -> None:
    """Put MaskTokens on the loggers and handlers that may see a request path."""
    mask = MaskTokens()
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn", "sbrflow"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskTokens) for f in logger.filters):
            logger.addFilter(mask)


def csrf_key(configured: str | None, var_dir: Path) -> str:
    """SBRFLOW_WEB_SECRET_KEY, else a random key kept in var/web-secret-key (made once, mode 0600).

    Every web process of one installation reads the same file, so a form rendered by one worker
    is accepted by another.
    """
    if configured:
        return configured
    path = Path(var_dir) / "web-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".web-secret-key.{os.getpid()}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(partial, path)  # atomic: the first process to get there wins, the others read its key
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    return path.read_text().strip()


class CsrfSigner:
    """CSRF tokens bound to one approval request: HMAC(key, purpose + token hash)."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def token(self, subject: str) -> str:
        return hmac.new(self._key, b"csrf:" + subject.encode(), hashlib.sha256).hexdigest()

    def valid(self, subject: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.token(subject), given)


class RateLimiter:
    """At most `per_minute` hits per key (client address) in any 60 s; 0 means no limit."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.per_minute, self._clock = per_minute, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        if self.per_minute <= 0:
            return True
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle addresses so the table cannot grow without bound
                for idle in [k for k, v in self._hits.items() if not v or v[-1] <= now - 60]:
                    del self._hits[idle]
            return True
