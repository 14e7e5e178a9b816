"""The OpenAPI 3.1 document of the API: spectree collects the routes it validates and
their Pydantic models; :func:`document` completes what spectree does not write (problem
details as ``application/problem+json``, the common problems of every operation, the
links between operations that a stateful test walks)."""

from __future__ import annotations

import copy
from typing import Any

from flask import current_app
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from .problems import MEDIA_TYPE, problem

spectree = SpecTree(
    "flask",
    title="Guichet API",
    version="1",
    description=(
        "The REST API of Guichet for the departments' own systems. Authenticate with "
        "`Authorization: Bearer TOKEN` (a client token, created by an administrator). "
        "Errors are RFC 9457 problem details in French."
    ),
    path="api-spectree",  # no route: the document is served by the blueprint itself
    mode="strict",
    annotations=True,
    page_templates={},
    security_schemes=[
        SecurityScheme(
            name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer")
        ),
    ],
    security={"bearer": []},
    before=lambda *args: _request_problem(*args),
    after=lambda *args: _response_problem(*args),
)


def _request_problem(request, response, error, instance, adapter=None) -> None:
    """A request spectree refused: its answer becomes a 422 problem."""
    if error is None or response is None:
        return
    errors = [
        {"field": ".".join(str(part) for part in item.get("loc", ())), "message": item.get("msg")}
        for item in (adapter.validation_errors(error) if adapter else [])
    ]
    answer = problem(422, errors=errors)
    response.set_data(answer.get_data())
    response.status_code = 422
    response.headers.update(answer.headers)


def _response_problem(request, response, error, instance, adapter=None) -> None:
    """An answer that does not match its own schema is our fault: logged, and a 500."""
    if error is None:
        return
    current_app.logger.error("API answer does not match its schema: %s", error)
    answer = problem(500)
    response.set_data(answer.get_data())
    response.status_code = 500
    response.headers.update(answer.headers)


#: The problems every authenticated operation may answer.
COMMON_PROBLEMS = {
    "400": "A request Guichet refuses to read (a NUL character anywhere, a malformed body)",
    "401": "Missing, unknown or revoked token",
    "403": "The client's token lacks the scope",
    "429": "Too many requests from this client",
}
#: Links a stateful test (and a reader) follows: (operation, status, name, target, parameters)
LINKS = (
    ("list_cases", "200", "ReadCase", "read_case", {"case_id": "$response.body#/items/0/id"}),
    ("file_case", "201", "ReadCase", "read_case", {"case_id": "$response.body#/id"}),
    ("file_case", "200", "ReadCase", "read_case", {"case_id": "$response.body#/id"}),
    ("read_case", "200", "PostMessage", "post_message", {"case_id": "$response.body#/id"}),
    ("read_case", "200", "AttachDocument", "attach_document", {"case_id": "$response.body#/id"}),
    (
        "read_case",
        "200",
        "DownloadAttachment",
        "download_attachment",
        {"case_id": "$response.body#/id", "attachment_id": "$response.body#/attachments/0/id"},
    ),
    (
        "read_case",
        "200",
        "FireTransition",
        "fire_transition",
        {"case_id": "$response.body#/id", "transition_id": "$response.body#/transitions/0"},
    ),
    (
        "list_procedures",
        "200",
        "ReadVersion",
        "read_procedure_version",
        {
            "slug": "$response.body#/items/0/slug",
            "version": "$response.body#/items/0/versions/0/version",
        },
    ),
)


#: The download of an attachment, streamed from storage: not validated by spectree (which
#: reads a whole answer to validate it), so described here.
DOWNLOAD_PATH = "/api/v1/cases/{case_id}/attachments/{attachment_id}"
DOWNLOAD = {
    "get": {
        "operationId": "download_attachment",
        "summary": "Download an attachment of a case",
        "description": (
            "Always as `application/octet-stream`, with its name in `Content-Disposition`."
        ),
        "tags": ["documents"],
        "parameters": [
            {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}},
            {
                "name": "attachment_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            },
        ],
        "responses": {
            "200": {
                "description": "The file",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            },
            "404": {"description": "No such attachment of a case of the client's departments"},
        },
    }
}


def document() -> dict[str, Any]:
    """The OpenAPI document, built once per application."""
    cached = current_app.extensions.get("guichet.api.openapi")
    if cached is None:
        cached = current_app.extensions["guichet.api.openapi"] = _complete(
            copy.deepcopy(spectree.spec)
        )
    return cached


def _complete(spec: dict[str, Any]) -> dict[str, Any]:
    spec["paths"][DOWNLOAD_PATH] = copy.deepcopy(DOWNLOAD)
    schemas = spec["components"]["schemas"]
    problem_ref = next(
        (f"#/components/schemas/{name}" for name in schemas if name.split(".")[0] == "Problem"),
        None,
    )
    operations = {}
    for methods in spec["paths"].values():
        for operation in methods.values():
            operations[operation["operationId"]] = operation
            responses = operation["responses"]
            if problem_ref is not None:
                for code, text in COMMON_PROBLEMS.items():
                    responses.setdefault(
                        code,
                        {
                            "description": text,
                            "content": {MEDIA_TYPE: {"schema": {"$ref": problem_ref}}},
                        },
                    )
            for code, response in responses.items():
                if code[0] in "45" and "content" not in response and problem_ref is not None:
                    response["content"] = {"application/json": {"schema": {}}}
                content = response.get("content", {})
                if code[0] in "45" and "application/json" in content:
                    schema = content.pop("application/json")["schema"]
                    if problem_ref is not None:
                        schema = {"$ref": problem_ref}
                    content[MEDIA_TYPE] = {"schema": schema}
            operation.setdefault("security", [{"bearer": []}])
    for source, status, name, target, parameters in LINKS:
        if source in operations and target in operations:
            response = operations[source]["responses"].get(status)
            if response is not None:
                response.setdefault("links", {})[name] = {
                    "operationId": target,
                    "parameters": parameters,
                }
    # the description of the API is public
    for path in ("/api/v1/openapi.json",):
        spec["paths"].pop(path, None)
    return spec
