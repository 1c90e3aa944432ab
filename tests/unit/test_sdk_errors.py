"""Typed errors rebuilt from ARM error bodies (code first, status as fallback)."""

from __future__ import annotations

import httpx
import pytest

from amlite.sdk.errors import (
    AuthorizationFailedError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    error_from_body,
    error_from_response,
)


def _response(status: int, body: object | None = None, text: str | None = None) -> httpx.Response:
    request = httpx.Request("GET", "http://127.0.0.1/x")
    if text is not None:
        return httpx.Response(status, text=text, request=request)
    return httpx.Response(status, json=body, request=request)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (404, "ResourceGroupNotFound", ResourceNotFoundError),
        (404, "ResourceNotFound", ResourceNotFoundError),
        (404, "InvalidResourceNamespace", ResourceNotFoundError),
        (401, "AuthenticationFailed", ClientAuthenticationError),
        (401, "ExpiredAuthenticationToken", ClientAuthenticationError),
        (403, "AuthorizationFailed", AuthorizationFailedError),
        (409, "ResourceGroupNotEmpty", ResourceExistsError),
        (412, "PreconditionFailed", ResourceModifiedError),
        (400, "InvalidWorkspaceName", HttpResponseError),
        (500, "InternalServerError", HttpResponseError),
    ],
)
def test_class_from_code_and_status(status: int, code: str, cls: type[HttpResponseError]) -> None:
    err = error_from_response(_response(status, {"error": {"code": code, "message": "m"}}))
    assert type(err) is cls
    assert err.status_code == status
    assert err.error.code == code


def test_code_wins_over_status() -> None:
    # A failed operation's status body has no HTTP status of its own: the code alone decides.
    err = error_from_body({"code": "ResourceGroupNotFound", "message": "gone"})
    assert isinstance(err, ResourceNotFoundError)
    assert err.status_code is None


def test_fields_and_str() -> None:
    body = {"error": {"code": "ResourceGroupNotEmpty", "message": "Group 'rg1' holds resources.",
                      "target": "resourceGroupName",
                      "details": [{"code": "Inner", "message": "ws1", "target": "ws1"}]}}
    err = error_from_response(_response(409, body))
    assert str(err) == "(ResourceGroupNotEmpty) Group 'rg1' holds resources."
    assert err.error.target == "resourceGroupName"
    assert err.error.details[0].code == "Inner"
    assert err.error.details[0].target == "ws1"
    assert err.error.message == "Group 'rg1' holds resources."


def test_oauth_error_body() -> None:
    err = error_from_response(_response(400, {"error": "invalid_grant", "error_description": "Bad password."}))
    assert isinstance(err, ClientAuthenticationError)
    assert str(err) == "(invalid_grant) Bad password."


def test_non_json_body_still_gives_a_code() -> None:
    err = error_from_response(_response(502, text="upstream exploded"))
    assert type(err) is HttpResponseError
    assert err.error.code == "BadGateway"
    assert "upstream exploded" in err.error.message


def test_errors_are_catchable_by_base_class() -> None:
    err = error_from_body({"error": {"code": "ResourceNotFound", "message": "x"}}, status_code=404)
    with pytest.raises(HttpResponseError):
        raise err
