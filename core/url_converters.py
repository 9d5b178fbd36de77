"""Path converters for the URLs that carry a primary key or a token: what no row can have is
no match (404) before the database sees it.

``int`` alone matches any run of digits, and a key past the bigint range makes SQLite
overflow (a 500); ``str`` matches anything without a slash, and a NUL byte (``%00``) makes
PostgreSQL refuse the query (a 500 too).
"""

from .integers import MAX_BIGINT, MAX_BIGINT_DIGITS


class PrimaryKeyConverter:
    """A primary key: ASCII digits, within the bigint range."""

    regex = f"[0-9]{{1,{MAX_BIGINT_DIGITS}}}"

    def to_python(self, value: str) -> int:
        pk = int(value)
        if pk > MAX_BIGINT:
            raise ValueError("past the bigint range")  # Django answers 404
        return pk

    def to_url(self, value) -> str:
        return str(int(value))


class UrlTokenConverter:
    """A token of URL-safe base64 (``secrets.token_urlsafe``), at most 64 characters: the
    alphabet and length the tokens are made with and stored in."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
