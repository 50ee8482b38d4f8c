"""One error taxonomy for the whole engine, mapped once to HTTP status (Vespa's Error.java codes)."""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class ErrorCode(enum.IntEnum):
    NO_BACKENDS_IN_SERVICE = 0
    NULL_QUERY = 1
    REQUEST_TOO_LARGE = 2
    ILLEGAL_QUERY = 3
    INVALID_QUERY_PARAMETER = 4
    UNSPECIFIED = 5
    ERROR_IN_PLUGIN = 6
    INVALID_QUERY_TRANSFORMATION = 7
    RESULT_HAS_ERRORS = 8
    SERVER_IS_MISCONFIGURED = 9
    BACKEND_COMMUNICATION_ERROR = 10
    NO_ANSWER_WHEN_PINGING_NODE = 11
    TIMEOUT = 12
    EMPTY_DOCUMENTS = 13
    UNAUTHORIZED = 14
    FORBIDDEN = 15
    NOT_FOUND = 16
    BAD_REQUEST = 17
    INTERNAL_SERVER_ERROR = 18
    INSUFFICIENT_STORAGE = 19

    @property
    def summary(self) -> str:
        return _SUMMARIES[self]

    @property
    def http_status(self) -> int:
        """Status of a result that has this error and no hits (VespaHeaders)."""
        return _HTTP_STATUS.get(self, 500)

    @property
    def is_client_error(self) -> bool:
        """The request was wrong (a 4xx): retrying it elsewhere does not help."""
        return 400 <= self.http_status < 500

    @classmethod
    def of(cls, code: int) -> "ErrorCode":
        """The code a node or a message carries; one this engine does not know is an internal error."""
        try:
            return cls(code)
        except ValueError:
            return cls.INTERNAL_SERVER_ERROR


_SUMMARIES = {
    ErrorCode.NO_BACKENDS_IN_SERVICE: "No backends in service. Try later",
    ErrorCode.NULL_QUERY: "Null query",
    ErrorCode.REQUEST_TOO_LARGE: "Request too large",
    ErrorCode.ILLEGAL_QUERY: "Illegal query",
    ErrorCode.INVALID_QUERY_PARAMETER: "Invalid query parameter",
    ErrorCode.UNSPECIFIED: "Unspecified error",
    ErrorCode.ERROR_IN_PLUGIN: "Error in plugin",
    ErrorCode.INVALID_QUERY_TRANSFORMATION: "Invalid query transformation",
    ErrorCode.RESULT_HAS_ERRORS: "Result has errors",
    ErrorCode.SERVER_IS_MISCONFIGURED: "Service is misconfigured",
    ErrorCode.BACKEND_COMMUNICATION_ERROR: "Backend communication error",
    ErrorCode.NO_ANSWER_WHEN_PINGING_NODE: "No answer when pinging node",
    ErrorCode.TIMEOUT: "Timed out",
    ErrorCode.EMPTY_DOCUMENTS: "Empty documents",
    ErrorCode.UNAUTHORIZED: "Unauthorized",
    ErrorCode.FORBIDDEN: "Forbidden",
    ErrorCode.NOT_FOUND: "Resource not found",
    ErrorCode.BAD_REQUEST: "Bad request",
    ErrorCode.INTERNAL_SERVER_ERROR: "Internal server error",
    ErrorCode.INSUFFICIENT_STORAGE: "Insufficient storage",
}

_HTTP_STATUS = {
    ErrorCode.NO_BACKENDS_IN_SERVICE: 503,
    # Vespa's VespaHeaders leaves a null query at 500; here a query with nothing to match is the
    # client's to fix, and a client error is a 4xx
    ErrorCode.NULL_QUERY: 400,
    ErrorCode.ILLEGAL_QUERY: 400,
    ErrorCode.INVALID_QUERY_PARAMETER: 400,
    ErrorCode.BACKEND_COMMUNICATION_ERROR: 503,
    ErrorCode.TIMEOUT: 504,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.INSUFFICIENT_STORAGE: 507,
}


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where something was written: file (or a name like 'yql'), 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class SearchlibError(Exception):
    """Base of every error raised by searchlib; carries an ErrorCode and an optional location."""

    code: ErrorCode = ErrorCode.ILLEGAL_QUERY

    def __init__(self, message: str, location: SourceLocation | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class SchemaError(SearchlibError):
    """An application package that cannot be deployed: always names file:line:column."""

    code = ErrorCode.SERVER_IS_MISCONFIGURED


class ExpressionError(SearchlibError):
    """A ranking expression or tensor literal that does not parse, type-check or evaluate."""

    code = ErrorCode.ILLEGAL_QUERY


class QueryError(SearchlibError):
    """A malformed query (YQL, parameters): HTTP 400."""

    code = ErrorCode.ILLEGAL_QUERY


class NullQueryError(SearchlibError):
    """A query whose where held only empty items (Vespa's NullItem root): Vespa's backend answers
    "Null query" (code 1) rather than matching nothing; HTTP 400 here."""

    code = ErrorCode.NULL_QUERY


class InvalidParameterError(SearchlibError):
    """A well-formed query with a bad parameter value (unknown profile, bad tensor): HTTP 400."""

    code = ErrorCode.INVALID_QUERY_PARAMETER


class DocumentError(SearchlibError):
    """A document operation that does not fit the schema: HTTP 400 on /document/v1."""

    code = ErrorCode.BAD_REQUEST


class OperationTimeout(DocumentError):
    """A document operation that cannot finish within its timeout (an indexing script's `sleep`
    past the time left): HTTP 504, answered at once rather than holding a worker to the end."""

    code = ErrorCode.TIMEOUT


class WrongDistributionError(SearchlibError):
    """A write sent to a content node that does not own the document's bucket (Vespa's
    WRONG_DISTRIBUTION): the sender's view of the cluster disagrees with the node's."""

    code = ErrorCode.SERVER_IS_MISCONFIGURED


class NoBackendsError(SearchlibError):
    """No content node to send a query to (a container started without any): Vespa's 503 "No
    backends in service. Try later"."""

    code = ErrorCode.NO_BACKENDS_IN_SERVICE


class UnsyncedReplicaError(SearchlibError):
    """A write that reads the stored document (a partial update, a test-and-set condition, a write by
    selection) sent to a copy that may be stale: the content node has replicas and has not finished
    catching up from them since it started (content_node/catch_up.py), or a replica it knows may hold
    newer versions is unsynced (the container's own record: SearchCluster.unsynced_replicas). Applied
    there, its result would carry a newer timestamp than the replica's acknowledged version and replace
    it (newest wins). Nothing was written: HTTP 503, retry later. Puts and removes are not refused."""

    code = ErrorCode.NO_BACKENDS_IN_SERVICE


UNSYNCED_STATUS = UnsyncedReplicaError.code.http_status  # 503: a write refused as the copy may be stale


class StorageError(SearchlibError):
    """A content node cannot store a write (disk full, read-only, I/O error): HTTP 507, not acked."""

    code = ErrorCode.INSUFFICIENT_STORAGE


QUOTE_LIMIT = 100  # characters of offending input an error message repeats


def quote_input(text: object, limit: int = QUOTE_LIMIT) -> str:
    """User input as an error message may repeat it: a short prefix (a 10^7-cell tensor is not
    echoed back), with unencodable characters (lone surrogates) escaped."""
    shown = str(text)
    if len(shown) > limit:
        shown = f"{shown[:limit]}... ({len(shown)} characters)"
    return shown.encode("utf-8", "backslashreplace").decode("utf-8")


_LONG_QUOTE = re.compile(r"'([^']{%d,})'" % (QUOTE_LIMIT + 40))  # longer than quote_input makes


def shorten_quotes(message: str, limit: int = 1000) -> str:
    """The HTTP edge's safety net for messages that quote input whole ('...'): each quoted part
    is cut to a short prefix, and the message to `limit` characters."""
    message = _LONG_QUOTE.sub(lambda found: f"'{quote_input(found.group(1))}'", message)
    return quote_input(message, limit)
