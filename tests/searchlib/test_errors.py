"""The one error classification: codes → HTTP status and client/server side, for the search and
document handlers and the content node's gRPC status alike."""
from searchlib.errors import DocumentError, ErrorCode, InvalidParameterError, NullQueryError, QueryError, SchemaError


def test_client_errors_are_the_4xx_codes():
    assert {c for c in ErrorCode if c.is_client_error} == {
        ErrorCode.NULL_QUERY, ErrorCode.ILLEGAL_QUERY, ErrorCode.INVALID_QUERY_PARAMETER, ErrorCode.BAD_REQUEST,
        ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND}
    for error in (QueryError("x"), InvalidParameterError("x"), DocumentError("x"), NullQueryError("x")):
        assert error.code.http_status == 400
    assert SchemaError("x").code.http_status == 500 and not SchemaError("x").code.is_client_error


def test_an_unknown_code_is_an_internal_error():
    assert ErrorCode.of(4) is ErrorCode.INVALID_QUERY_PARAMETER
    assert ErrorCode.of(999) is ErrorCode.INTERNAL_SERVER_ERROR and ErrorCode.of(999).http_status == 500
