"""Path converters that admit only the characters real tokens and references hold.

A value no case could have (a NUL byte, a space, a non-ASCII letter, an
overlong string) is a 404 at the resolver: it never reaches a query, where
PostgreSQL would refuse a NUL with an error instead of finding nothing.
"""


class _UrlSafeConverter:
    regex: str

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TrackingTokenConverter(_UrlSafeConverter):
    """A case's tracking token: ``secrets.token_urlsafe`` output, at most the column's 64 characters."""

    regex = "[A-Za-z0-9_-]{1,64}"


class ReferenceConverter(_UrlSafeConverter):
    """A case reference such as ``CX-2026-000123``, at most the column's 32 characters."""

    regex = "[A-Za-z0-9_-]{1,32}"
