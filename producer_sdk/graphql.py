"""GraphQL over HTTP: request headers, answer checking, and sync/async executors.

Every request carries `X-Lineage-Min-Sequence` (the highest sequence acked to this
process) so the answer includes this process's own events, and
`Authorization: Bearer <LINEAGE_API_TOKEN>` when a token is configured.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from producer_sdk.errors import ProjectionLag, QueryError, ServiceUnreachable, Unauthenticated

if TYPE_CHECKING:
    import httpx

MIN_SEQUENCE_HEADER = "X-Lineage-Min-Sequence"
TIMEOUT_SECONDS = 15.0  # above the service's 5 s read-your-writes limit


def endpoint(api_url: str) -> str:
    """The GraphQL endpoint of an API base URL (`http://host:port` -> `.../graphql`)."""
    url = api_url.rstrip("/")
    return url if url.endswith("/graphql") else url + "/graphql"


def headers(token: str | None, min_sequence: int) -> dict[str, str]:
    out = {"Content-Type": "application/json"}
    if min_sequence > 0:
        out[MIN_SEQUENCE_HEADER] = str(min_sequence)
    if token:
        out["Authorization"] = f"Bearer {token}"
    return out


def check_answer(status: int, body: Any, url: str) -> dict[str, Any]:
    """The `data` of a GraphQL answer, or the SDK error it means."""
    if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        raise Unauthenticated(
            f"the lineage API at {url} refused the request (HTTP {status}); "
            "set LINEAGE_API_TOKEN to its token",
            "UNAUTHENTICATED",
        )
    if not isinstance(body, dict):
        raise QueryError(f"the lineage API at {url} answered HTTP {status} without GraphQL JSON")
    errors = body.get("errors") or []
    if errors:
        first: dict[str, Any] = (
            errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
        )
        code = (first.get("extensions") or {}).get("code")
        message = str(first.get("message", "GraphQL error"))
        if code == "PROJECTION_LAG":
            raise ProjectionLag(
                f"the lineage service has not caught up with this process's events: {message}", code
            )
        if code == "UNAUTHENTICATED":
            raise Unauthenticated(f"{message}; set LINEAGE_API_TOKEN", code)
        raise QueryError(f"lineage API error: {message}", code)
    data = body.get("data")
    if not isinstance(data, dict):
        raise QueryError(f"the lineage API at {url} answered HTTP {status} without data")
    return data


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class GraphQLClient:
    """Blocking GraphQL client (httpx, imported on first use), keep-alive connections."""

    def __init__(self, api_url: str, token: str | None) -> None:
        self.url = endpoint(api_url)
        self.token = token
        self._http: httpx.Client | None = None

    def execute(
        self, document: str, variables: dict[str, Any], min_sequence: int
    ) -> dict[str, Any]:
        import httpx

        if self._http is None:
            self._http = httpx.Client(timeout=TIMEOUT_SECONDS)
        try:
            response = self._http.post(
                self.url,
                json={"query": document, "variables": variables},
                headers=headers(self.token, min_sequence),
            )
        except httpx.TransportError as exc:
            raise ServiceUnreachable(self.url, f"{type(exc).__name__}: {exc}") from None
        return check_answer(response.status_code, _body(response), self.url)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None


class AsyncGraphQLClient:
    """The same over httpx.AsyncClient, for `producer_sdk.aio`."""

    def __init__(self, api_url: str, token: str | None) -> None:
        self.url = endpoint(api_url)
        self.token = token
        self._http: httpx.AsyncClient | None = None

    async def execute(
        self, document: str, variables: dict[str, Any], min_sequence: int
    ) -> dict[str, Any]:
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
        try:
            response = await self._http.post(
                self.url,
                json={"query": document, "variables": variables},
                headers=headers(self.token, min_sequence),
            )
        except httpx.TransportError as exc:
            raise ServiceUnreachable(self.url, f"{type(exc).__name__}: {exc}") from None
        return check_answer(response.status_code, _body(response), self.url)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
