"""Talking to the Zendesk Support API: authentication, rate limits, errors users can act on, and
the three pagination styles the endpoints Rungs needs use.

The API token is only ever placed in the Authorization header by httpx; it is not kept in any
attribute that a repr, a log line or an error message would show.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from pipelines.errors import SourceError

MAX_RETRIES = 6
DEFAULT_RETRY_AFTER_S = 60.0  # Zendesk's rate-limit window is a minute
MAX_RETRY_AFTER_S = 600.0
PAGE_SIZE = 100

FIXES = {
    401: "the email/token pair was refused. Fix: check --email is the agent's sign-in "
    "address and that the variable named by --token-env holds an active API token "
    "(Admin Center > Apps and integrations > Zendesk API)",
    403: "the account may not read this. Fix: use an admin's email and token; incremental "
    "exports and satisfaction ratings need admin rights",
    404: "not found. Fix: check --subdomain (the part before .zendesk.com); a 404 on survey "
    "responses means the new CSAT survey is not enabled",
    422: "Zendesk rejected the request parameters. Fix: check --since is a past date",
}


class ZendeskHTTPError(SourceError):
    """Zendesk answered with an error status; `status` lets callers treat some as expected."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Page:
    """One response page: its JSON body and the URL of the next page, if any."""

    body: dict
    next_url: str | None


class ZendeskClient:
    def __init__(
        self,
        base_url: str,
        email: str,
        token: str,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 60.0,
    ):
        self.base_url = base_url.rstrip("/")
        self._host = urlsplit(self.base_url).netloc
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=(f"{email}/token", token),
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json"},
        )
        self.requests = 0
        self.retries = 0

    def __repr__(self) -> str:
        return f"ZendeskClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def get(self, url: str, params: dict | None = None) -> dict:
        """GET a JSON body, waiting out rate limits; any other failure is a SourceError."""
        self._check_host(url)
        for attempt in range(MAX_RETRIES + 1):
            self.requests += 1
            try:
                response = self._http.get(url, params=params)
            except httpx.TransportError as exc:
                raise SourceError(
                    f"cannot reach {self.base_url} ({type(exc).__name__}). Fix: "
                    "check --subdomain and the network, then run the same "
                    "command again: the pull resumes where it stopped"
                ) from exc
            if response.status_code in (429, 503) and attempt < MAX_RETRIES:
                self.retries += 1
                self._sleep(_retry_after(response))
                continue
            if response.status_code >= 400:
                path = urlsplit(str(response.request.url)).path
                fix = FIXES.get(
                    response.status_code,
                    "Fix: run the same command again later; the pull resumes where it stopped",
                )
                raise ZendeskHTTPError(
                    response.status_code,
                    f"Zendesk answered HTTP {response.status_code} for {path}: {fix}",
                )
            try:
                return response.json()
            except ValueError as exc:
                raise SourceError(
                    f"Zendesk answered {urlsplit(url).path} with something that "
                    "is not JSON. Fix: check --subdomain points at a Zendesk "
                    "account"
                ) from exc
        raise SourceError(
            f"Zendesk kept answering 429 (rate limited) after {MAX_RETRIES} "
            "retries. Fix: run the same command again later; it resumes"
        )

    def _check_host(self, url: str) -> None:
        # Next-page links come from the response; credentials must never follow one elsewhere.
        host = urlsplit(url).netloc
        if host and host != self._host:
            raise SourceError(
                f"Zendesk sent a next-page link to another host ({host}). "
                "Fix: none needed on your side; report this, nothing was sent"
            )

    # -- pagination ------------------------------------------------------------------------

    def incremental_cursor(self, path: str, params: dict, resume: str | None) -> Iterator[Page]:
        """Cursor-based incremental export (tickets): follow after_url until end_of_stream."""
        url, query = (resume, None) if resume else (path, params)
        while True:
            body = self.get(url, query)
            done = bool(body.get("end_of_stream")) or not body.get("after_url")
            yield Page(body, None if done else body["after_url"])
            if done:
                return
            url, query = body["after_url"], None

    def incremental_time(
        self, path: str, params: dict, key: str, resume: str | None
    ) -> Iterator[Page]:
        """Time-based incremental export (ticket metric events): follow next_page."""
        url, query = (resume, None) if resume else (path, params)
        while True:
            body = self.get(url, query)
            next_url = body.get("next_page")
            done = (
                bool(body.get("end_of_stream"))
                or not next_url
                or not body.get(key)
                or next_url == url
            )
            yield Page(body, None if done else next_url)
            if done:
                return
            url, query = next_url, None

    def cursor_pages(self, path: str, params: dict, resume: str | None) -> Iterator[Page]:
        """Ordinary cursor pagination (users, ratings, survey responses): meta.has_more."""
        url, query = (resume, None) if resume else (path, {**params, "page[size]": PAGE_SIZE})
        while True:
            body = self.get(url, query)
            next_url = (body.get("links") or {}).get("next")
            more = bool((body.get("meta") or {}).get("has_more")) and bool(next_url)
            yield Page(body, next_url if more else None)
            if not more:
                return
            url, query = next_url, None


def _retry_after(response: httpx.Response) -> float:
    try:
        wait = float(response.headers.get("Retry-After", DEFAULT_RETRY_AFTER_S))
    except ValueError:
        wait = DEFAULT_RETRY_AFTER_S
    return min(max(wait, 1.0), MAX_RETRY_AFTER_S)
