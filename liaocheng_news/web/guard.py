"""Credentials and security headers, as one ASGI middleware around the whole site.

With a token (``LIAOCHENG_NEWS_WEB_TOKEN``), every request must carry it: ``Authorization:
Bearer TOKEN``, or HTTP basic auth with any user name and the token as password (what a browser
asks for).  The token is compared in constant time.  Every response carries a
Content-Security-Policy that allows nothing from another host and no script at all, and headers
against sniffing, framing and referrers.
"""

from __future__ import annotations

import base64
import binascii
import hmac

TOKEN_VARIABLE = "LIAOCHENG_NEWS_WEB_TOKEN"
MIN_TOKEN = 16  # characters

SECURITY_HEADERS = (
    (b"content-security-policy", b"default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
                                 b"frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


class TokenError(ValueError):
    """A token that cannot protect the site."""


def check_token(token: str) -> str:
    if len(token) < MIN_TOKEN:
        raise TokenError(f"{TOKEN_VARIABLE} needs at least {MIN_TOKEN} characters")
    if not token.isprintable() or not token.isascii():
        raise TokenError(f"{TOKEN_VARIABLE} must be printable ASCII")
    return token


def _presented(authorization: bytes) -> bytes | None:
    """The secret a request's Authorization header carries (bearer token or basic password)."""
    scheme, _, value = authorization.strip().partition(b" ")
    scheme = scheme.lower()
    if scheme == b"bearer":
        return value.strip()
    if scheme == b"basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return None
        return decoded.partition(b":")[2]
    return None


class Guard:
    """ASGI middleware: the token check (when a token is set) and the security headers."""

    def __init__(self, app, token: str | None = None):
        self.app = app
        self.token = token.encode() if token else None

    def _allowed(self, scope) -> bool:
        if self.token is None:
            return True
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                secret = _presented(value)
                return secret is not None and hmac.compare_digest(secret, self.token)
        return False

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *SECURITY_HEADERS]}
            await send(message)

        if not self._allowed(scope):
            body = b"This archive's site needs credentials: the token as the password (any user name).\n"
            await send_with_headers({"type": "http.response.start", "status": 401, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Basic realm="liaocheng-news", charset="UTF-8"'),
                (b"cache-control", b"no-store")]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send_with_headers)
