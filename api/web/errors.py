"""The one error hierarchy of :mod:`api.web` (the server-rendered pages).

::

    WebError
     ├── StaticFileNotFoundError   no such file under static/          (404)
     ├── CsrfError                 a form post without a matching token (403)
     ├── PageInputError            a form field is not what the page asked for (422)
     └── FiguresNotReadyError      the log's figures are still being folded (503)

The pages turn service and domain errors (:mod:`api.errors`, schedule verdicts) into
readable HTML themselves; these are the errors of the page layer alone.
"""

from __future__ import annotations

__all__ = [
    "CsrfError",
    "FiguresNotReadyError",
    "PageInputError",
    "StaticFileNotFoundError",
    "WebError",
]


class WebError(Exception):
    """Base of every error raised by :mod:`api.web`."""


class StaticFileNotFoundError(WebError, LookupError):
    """The requested static file does not exist."""

    def __init__(self, name: str) -> None:
        super().__init__(f"expected a file under static/, found no file named {name!r}")
        self.name = name


class CsrfError(WebError):
    """A state-changing form post whose CSRF token or origin does not match."""


class PageInputError(WebError, ValueError):
    """A form field of a page holds something other than what the page asked for."""

    def __init__(self, field: str, expected: str, found: str) -> None:
        super().__init__(f"field {field}: expected {expected}, found {found!r}")
        self.field = field


class FiguresNotReadyError(WebError):
    """The figures a page shows are still being folded from the log (after a restart,
    :class:`api.web.sources.StatsFollower` catches up in the background); ask again in
    ``retry_after_s`` seconds."""

    def __init__(self, behind: int, retry_after_s: int = 5) -> None:
        super().__init__(
            f"expected the page's figures to be up to date, found them {behind} log entries "
            "behind: they are being prepared"
        )
        self.behind = behind
        self.retry_after_s = retry_after_s
