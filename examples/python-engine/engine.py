#!/usr/bin/env python3
"""A second, independent individualization engine, in Python (standard library only).

It speaks the testee protocol ``indiv-testee/1`` on stdin/stdout (see
docs/TESTEE.md), individualizes against the harness's loopback service over
real HTTP/1.1 (``http.client``), and reports what happens as ``indiv-trace/1``
records. ``indiv certify -- python3 examples/python-engine/engine.py`` certifies it.

The file reads top to bottom in four layers; README.md beside it explains how
they fit together:

  1. vocabulary     names of statuses and HRESULTs, versions, the offer
  2. transport      ``Exchange``: one HTTP round trip as a stream of events
  3. engine         ``Engine`` and ``Session``: the state machine that turns calls
                    and transport events into trace records
  4. adapter        ``Adapter``: the protocol loop on stdin/stdout

``--bug NAME`` (repeatable, or comma-separated) switches on a deliberate
defect, so that a harness can be seen to catch it; ``--list-bugs`` lists them.
Without ``--bug`` the engine conforms.

``--query-figures zero|body`` chooses between two conforming ways to report
the first exchange (docs/TESTEE.md allows both): progress and total stay 0/0
(the default), or they count the query response's body against its
Content-Length.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import re
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass, field

PROTOCOL = "indiv-testee/1"
IMPLEMENTATION = {"name": "indiv-python-engine", "version": "0.1.0", "language": "Python"}
CAPABILITIES = ["reader", "security"]

# ---------------------------------------------------------------------------
# Deliberate bugs. Each one is a realistic defect that makes certification fail
# with the rule named beside it (other rules may fire as well).

BUGS = {
    # The last RECEIVING status of a download reports one byte more than the
    # total (an off-by-one in the progress counter).
    "progress-past-total": "PROGRESS-WITHIN-TOTAL",
    # A reader session that succeeds never says so: no INDI_SUCCEED (and so no
    # WMT_NO_RIGHTS_EX); the engine goes idle silently.
    "missing-terminal": "SESSION-ENDS",
    # Every terminal status (INDI_SUCCEED, INDI_FAIL, INDI_CANCEL) is reported twice.
    "status-after-terminal": "SESSION-ONE-TERMINAL",
    # A cancel call returns S_OK but the session carries on to its normal end.
    "ignores-cancel": "CANCEL-STOPS-WORK",
    # Individualize(0x1) never locks the client: a later Individualize is accepted.
    "reindividualizes-after-final": "READER-ALREADY-INDIVIDUALIZED",
    # dwHTTPRequest counts the round trips of the current request only: it
    # drops back to 0 when the package download starts.
    "wrong-roundtrip-count": "HTTP-COUNT-MONOTONIC",
    # Individualize while a reader session runs returns S_OK and "joins" the
    # running session instead of NS_E_DRM_INDIVIDUALIZING.
    "accepts-second-individualize": "SESSION-ONE-AT-A-TIME",
    # The status written when the package's head arrives announces a
    # provisional total (body plus a guess at the head); the body statuses then
    # switch to the Content-Length.
    "stale-total": "PROGRESS-TOTAL-STABLE",
    # A security update never sends MEWMDRMIndividualizationCompleted.
    "no-completed-event": "SECURITY-COMPLETED-ONCE",
    # Open never sends WMT_NEEDS_INDIVIDUALIZATION, even for an outdated component.
    "no-needs": "READER-NEEDS-WHEN-OUTDATED",
    # Individualize starts its session before it writes its own record, so the
    # session's INDI_BEGIN comes before the call's record.
    "call-after-begin": "SESSION-CALL-RETURNS-FIRST",
    # The bugs below leave a trace that conforms to the spec; only the
    # certification harness, which ran the service and knows what crossed the
    # wire, can see them (the SERVICE-* rules).
    #
    # The total is sized from the offer's package_size as soon as the package
    # request starts, before the service has announced any Content-Length.
    "total-from-offer": "SERVICE-TOTAL-MATCHES",
    # Progress counts the bytes each read asked for (4096), not the bytes it
    # returned, so a slow download reports bytes that have not arrived yet.
    "optimistic-progress": "SERVICE-PROGRESS-REAL",
    # The response URL is cached in a process-wide setting the first time an
    # offer arrives and never refreshed: later cases report the first one's URL.
    "stale-response-url": "SERVICE-URL-MATCHES",
    # The installer never verifies the package, so a corrupt download installs
    # and the session succeeds.
    "skips-package-check": "SERVICE-FAULT-FAILS",
    # The round-trip counter is bumped however an exchange ends, so one that
    # was refused, reset or cut off counts as completed.
    "counts-failed-roundtrip": "SERVICE-ROUNDTRIPS-MATCH",
    # Hostile services (README.md, "Hostile services"). The package's total is
    # the offer's package_size, announced when the package's head arrives
    # whatever Content-Length the service sent, and the Content-Length is
    # never checked against package_size.
    "trusts-offer-size": "SERVICE-TOTAL-MATCHES",
    # Redirects of the package request are followed without limit, until the
    # service stops redirecting (a looping service gives up after 64 hops).
    "follows-redirect-loop": "SERVICE-REDIRECTS-BOUNDED",
    # The offer's fields are indexed directly (doc["version"], ...), and the
    # KeyError of an offer that lacks one kills the process (exit status 70).
    # No rule names a crash: the harness reports the case as ERROR.
    "crashes-on-missing-field": "ERROR",
    # A package response without Content-Length (chunked, HTTP/1.0) reports
    # the offer's package_size as its total instead of 0.
    "offer-size-as-total": "SERVICE-TOTAL-MATCHES",
    # A package response without Content-Length that ends when the connection
    # closes is taken whole, however short: its length is never checked
    # against package_size (and a truncated good package still verifies).
    "short-close-succeeds": "SERVICE-FAULT-FAILS",
    # Boundaries (docs/CASES.md, "Boundary cases"). These pass every case that
    # does not offer the value at the edge. Versions are compared as text
    # ("2.10" < "2.9"), so a component of minor version 9 meets content that
    # requires 2.10.
    "string-version-compare": "READER-NEEDS-WHEN-OUTDATED",
    # The response URL is reported without its query string.
    "url-drops-query": "SERVICE-URL-MATCHES",
    # The response URL is parsed and rebuilt by urllib, which drops an empty
    # query (another URL) and writes the scheme in lower case (the same URL,
    # which SERVICE-URL-VERBATIM, a should rule, reports).
    "url-normalized": "SERVICE-URL-MATCHES",
    # dwHTTPReadTotal is kept in 16 bits: a total of 65,537 is reported as 1.
    "total-16-bit": "SERVICE-TOTAL-MATCHES",
    # Flags are checked on their low 16 bits only, so 0x80000001 passes as 0x1.
    "flags-ignore-high-bits": "READER-FLAGS-VALID",
}

# The most redirects one package download follows.
MAX_REDIRECTS = 5
# The statuses followed as redirects (of the package request only), always with GET.
REDIRECTS = frozenset({301, 302, 303, 307, 308})

# ---------------------------------------------------------------------------
# 1. Vocabulary

S_OK = "S_OK"
E_INVALIDARG = "E_INVALIDARG"
E_UNEXPECTED = "E_UNEXPECTED"
NS_E_DRM_ALREADY_INDIVIDUALIZED = "NS_E_DRM_ALREADY_INDIVIDUALIZED"
NS_E_DRM_INDIVIDUALIZING = "NS_E_DRM_INDIVIDUALIZING"
NS_E_DRM_INDIVIDUALIZE_ERROR = "NS_E_DRM_INDIVIDUALIZE_ERROR"
NS_E_DRM_INDIVIDUALIZATION_INCOMPLETE = "NS_E_DRM_INDIVIDUALIZATION_INCOMPLETE"
NS_E_DRM_OPERATION_CANCELED = "NS_E_DRM_OPERATION_CANCELED"
NS_E_DRM_INDIV_FRAUD = "NS_E_DRM_INDIV_FRAUD"
NS_E_DRM_INDIV_NO_CABS = "NS_E_DRM_INDIV_NO_CABS"
NS_E_DRM_INDIV_SERVICE_UNAVAILABLE = "NS_E_DRM_INDIV_SERVICE_UNAVAILABLE"

# DRM_INDIVIDUALIZATION_STATUS
INDI_BEGIN, INDI_SUCCEED, INDI_FAIL, INDI_CANCEL = "INDI_BEGIN", "INDI_SUCCEED", "INDI_FAIL", "INDI_CANCEL"
INDI_DOWNLOAD, INDI_INSTALL = "INDI_DOWNLOAD", "INDI_INSTALL"

# DRM_HTTP_STATUS
HTTP_NOTINITIATED, HTTP_CONNECTING, HTTP_REQUESTING = "HTTP_NOTINITIATED", "HTTP_CONNECTING", "HTTP_REQUESTING"
HTTP_RECEIVING, HTTP_COMPLETED = "HTTP_RECEIVING", "HTTP_COMPLETED"

# IWMDRMReader::Individualize flags and IWMDRMSecurity::PerformSecurityUpdate flags
REINDIVIDUALIZABLE, FINAL = 0x0, 0x1
PERFORM_INDIV, PERFORM_REVOCATION_REFRESH, PERFORM_FORCE_INDIV = 0x1, 0x2, 0x4

READER, SECURITY = "reader", "security"
CANCELS = {"CancelIndividualization": READER, "CancelAsyncOperation": SECURITY}

_DECIMAL = re.compile(r"[0-9]+")


def _number(text: str) -> int | None:
    if not _DECIMAL.fullmatch(text):
        return None
    value = int(text)
    return value if value < 2**32 else None


def parse_security_version(text: object) -> tuple[int, int, int, int] | None:
    """``a.b.c.d``, four decimal numbers, the fourth 0 or 1 (individualized)."""
    if not isinstance(text, str):
        return None
    parts = [_number(p) for p in text.split(".")]
    if len(parts) != 4 or None in parts or parts[3] > 1:
        return None
    return tuple(parts)  # type: ignore[return-value]


def parse_required_version(text: object) -> tuple[int, int] | None:
    """A content header's ``major.minor``."""
    if not isinstance(text, str):
        return None
    parts = [_number(p) for p in text.split(".")]
    if len(parts) != 2 or None in parts:
        return None
    return tuple(parts)  # type: ignore[return-value]


def format_version(version: tuple[int, ...]) -> str:
    return ".".join(str(n) for n in version)


def is_loopback_http(url: str) -> bool:
    """Only ever talk to the harness's service on 127.0.0.1."""
    try:
        parts = urllib.parse.urlsplit(url)
        return parts.scheme == "http" and parts.hostname == "127.0.0.1"
    except ValueError:
        return False


def http_host(url: object) -> str | None:
    """The host of an absolute ``http://`` URL, as written; None for anything
    else (another scheme, a relative URL, user info, a bad port)."""
    if not isinstance(url, str) or not url.startswith("http://"):
        return None
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return None
    if not parts.netloc or "@" in parts.netloc or not parts.hostname:
        return None
    return parts.hostname


def same_host(url: object, service_url: str) -> bool:
    """``url`` is an absolute http:// URL on the service's own host (the
    service may serve its package on another of its ports)."""
    host = http_host(url)
    return host is not None and host == http_host(service_url) and is_loopback_http(url)


def _refuse_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    doc = {}
    for key, value in pairs:
        if key in doc:
            raise ValueError(f"duplicate key {key!r}")
        doc[key] = value
    return doc


@dataclass(frozen=True)
class Offer:
    """The service's answer to ``POST {service_url}individualize``."""

    version: tuple[int, int, int, int]
    response_url: str
    package_url: str
    package_size: int

    @staticmethod
    def parse(body: bytes, service_url: str, index_fields: bool = False) -> Offer | None:
        """The offer in ``body``, or None when it is unusable: not one JSON object
        (a duplicated key included), or a field missing, null or of the wrong type,
        a package URL off the service's host, a size outside 1..2**32-1. Other
        fields are ignored.

        ``index_fields`` is the crashes-on-missing-field bug: the fields are
        indexed directly, so a missing one raises KeyError."""
        try:
            doc = json.loads(body.decode("utf-8"), object_pairs_hook=_refuse_duplicate_keys)
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None
        if not isinstance(doc, dict):
            return None
        if index_fields:
            # BUG: a missing field raises KeyError (the caller crashes)
            fields = doc["version"], doc["response_url"], doc["package_url"], doc["package_size"]
        else:
            fields = doc.get("version"), doc.get("response_url"), doc.get("package_url"), doc.get("package_size")
        version_text, response_url, package_url, size = fields
        version = parse_security_version(version_text)
        if version is None or not isinstance(response_url, str) or not isinstance(package_url, str):
            return None
        if not same_host(package_url, service_url):
            return None
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size < 2**32:
            return None
        return Offer(version, response_url, package_url, size)


def package_is_intact(package: bytes) -> bool:
    """A good package has ``i % 251`` at byte ``i``."""
    pattern = bytes(range(251))
    whole, rest = divmod(len(package), 251)
    return package == pattern * whole + pattern[:rest]


def http_failure(status: int, downloading: bool) -> str:
    """The code an HTTP error status ends the session with."""
    if status == 503:
        return NS_E_DRM_INDIV_SERVICE_UNAVAILABLE
    if status == 429:
        return NS_E_DRM_INDIV_FRAUD
    if status == 404 and downloading:
        return NS_E_DRM_INDIV_NO_CABS
    return NS_E_DRM_INDIVIDUALIZE_ERROR


# ---------------------------------------------------------------------------
# 2. Transport: one HTTP/1.1 round trip as a stream of events.


@dataclass(frozen=True)
class Connected:
    """The TCP connection is established."""


@dataclass(frozen=True)
class Sent:
    """The request has been written."""


@dataclass(frozen=True)
class Head:
    """The status line and headers arrived."""

    status: int
    length: int | None  # Content-Length, if announced
    location: str | None = None  # the Location header, if any
    chunked: bool = False  # Transfer-Encoding: chunked (the body ends with its last chunk)


@dataclass(frozen=True)
class Piece:
    """Some body bytes arrived."""

    data: bytes


@dataclass(frozen=True)
class Done:
    """The whole response arrived: the round trip completed."""


@dataclass(frozen=True)
class Failed:
    """The exchange broke below HTTP: ``refused`` (never connected) or ``reset``
    (the connection failed or closed before the whole response arrived)."""

    reason: str


NetEvent = Connected | Sent | Head | Piece | Done | Failed


class _LineWatch:
    """A response's socket file that remembers the last line ``readline`` gave.
    ``http.client`` reads the head line by line and takes an EOF for the end of
    the headers; the blank line that really ends a head is how an unterminated
    head (the service closed mid-head) is told apart."""

    def __init__(self, fp):
        self._fp = fp
        self.last_line: bytes | None = None

    def readline(self, *args):
        line = self._fp.readline(*args)
        self.last_line = line
        return line

    def __getattr__(self, name):
        return getattr(self._fp, name)


class _Response(http.client.HTTPResponse):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fp = _LineWatch(self.fp)

    def head_complete(self) -> bool:
        """The head arrived whole: it ended with a blank line, not with an EOF.
        (Asked right after ``getresponse``, before any body is read.)"""
        return getattr(self.fp, "last_line", b"\r\n") in (b"\r\n", b"\n")


class Exchange:
    """One request/response round trip over ``http.client``, on its own connection.

    ``events()`` performs it and yields what happens, ending with ``Done`` or
    ``Failed``. No retries. Two ways to stop it, from any thread:

    - ``abort()`` cuts the connection at once (``end``, ``reset``);
    - ``stop()`` lets no request leave any more and says whether one is still
      unsettled at the service; when the stopped exchange is abandoned, it reads
      the rest of the response (briefly) before hanging up, and
      ``wait_settled()`` waits for that. So a cancel returns only once the
      service is done with the exchange (README.md, "Cancelling").
    """

    PIECE = 4096  # the most body bytes one Piece carries
    TIMEOUT = 30.0  # seconds per socket operation
    SETTLE = 2.0  # the longest a stopped exchange waits for the service to finish

    def __init__(self, method: str, url: str, body: bytes | None = None):
        self.method, self.url, self.body = method, url, body
        self._conn: http.client.HTTPConnection | None = None
        self._guard = threading.Lock()
        self._stopped = False  # no request may leave any more
        self._aborted = False  # the connection was cut
        self._sent = False  # the request may have reached the service
        self._settled = threading.Event()  # the service is done: answered in full, broke off, or got no request

    def stop(self) -> bool:
        with self._guard:
            self._stopped = True
            return self._sent and not self._settled.is_set()

    def wait_settled(self) -> None:
        self._settled.wait(self.SETTLE + 0.5)

    def abort(self) -> None:
        with self._guard:
            self._stopped = self._aborted = True
        conn = self._conn
        sock = conn.sock if conn is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                # shutdown wakes a thread blocked in recv; close alone may not.
                sock.shutdown(socket.SHUT_RDWR)

    def events(self):
        if not is_loopback_http(self.url):
            print(f"engine: refusing to contact {self.url!r}: not http://127.0.0.1", file=sys.stderr)
            self._settled.set()
            yield Failed("refused")
            return
        parts = urllib.parse.urlsplit(self.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=self.TIMEOUT)
        conn.response_class = _Response
        self._conn = conn
        response = None
        try:
            try:
                conn.connect()
            except OSError:
                self._settled.set()
                yield Failed("refused")
                return
            yield Connected()
            with self._guard:
                self._sent = not self._stopped
            if not self._sent:
                self._settled.set()
                yield Failed("reset")
                return
            headers = {"Connection": "close"}
            if self.body is not None:
                headers["Content-Type"] = "application/json"
            try:
                conn.request(self.method, target, body=self.body, headers=headers)
            except http.client.HTTPException:
                self._settled.set()
                yield Failed("reset")
                return
            except OSError:
                # The service closed or reset while the request was going out.
                # It may have answered before reading it: keep that answer if
                # it is there, else the exchange failed.
                try:
                    response = conn.getresponse()
                except (OSError, http.client.HTTPException):
                    self._settled.set()
                    yield Failed("reset")
                    return
            yield Sent()
            if response is None:
                try:
                    response = conn.getresponse()
                except (OSError, http.client.HTTPException):
                    self._settled.set()  # the service closed or reset without answering
                    yield Failed("reset")
                    return
            if not response.head_complete():
                self._settled.set()  # the service closed mid-head
                yield Failed("reset")
                return
            lengths = {value.strip() for value in response.headers.get_all("Content-Length") or []}
            if len(lengths) > 1:
                # Conflicting Content-Lengths: no length to trust, so no whole
                # response either. Read what comes (up to the first length, or
                # until the service closes), then fail as if cut off.
                print(f"engine: conflicting Content-Length {sorted(lengths)} from {self.url!r}", file=sys.stderr)
                with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
                    while response.read1(65536):
                        pass
                self._settled.set()
                yield Failed("reset")
                return
            yield Head(response.status, response.length, response.getheader("Location"), bool(response.chunked))
            expected = response.length
            received = 0
            while expected is None or received < expected:
                try:
                    data = response.read1(self.PIECE)
                except (OSError, http.client.HTTPException):
                    self._settled.set()
                    yield Failed("reset")
                    return
                if not data:
                    if expected is None and not self._aborted:
                        break  # no Content-Length: the last chunk, or the connection closed
                    self._settled.set()
                    yield Failed("reset")
                    return
                received += len(data)
                yield Piece(data)
            self._settled.set()
            yield Done()
        finally:
            if self._sent and not self._settled.is_set() and not self._aborted:
                self._drain(conn, response)
            self._settled.set()
            conn.close()

    def _drain(self, conn: http.client.HTTPConnection, response) -> None:
        """Abandoned mid-exchange: let the service finish (read and drop the rest
        of its answer, at most SETTLE seconds) before hanging up."""
        deadline = time.monotonic() + self.SETTLE
        with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
            if conn.sock is not None:
                conn.sock.settimeout(self.SETTLE)
            if response is None:
                response = conn.getresponse()
            while time.monotonic() < deadline and response.read1(65536):
                pass


# ---------------------------------------------------------------------------
# 3. The engine: a component, at most one individualization session, pending
# revocation refreshes. Every method that touches state or writes a record
# holds ``Engine.lock``; HTTP I/O happens outside it, in a session's thread.


class Abandoned(Exception):
    """The session this thread works for was cancelled, ended or reset."""


@dataclass(eq=False)
class Session:
    """One individualization, opened by Individualize or PerformSecurityUpdate."""

    path: str  # READER or SECURITY
    flags: int
    force: bool  # install even if the client is up to date
    trips: int = 0  # completed round trips: dwHTTPRequest
    http: str = HTTP_NOTINITIATED
    progress: int = 0
    total: int = 0
    url: str | None = None  # pszIndiRespUrl
    offer: Offer | None = None
    http_error: str | None = None  # set by an HTTP error head, reported when the response completes
    cancelling: bool = False  # a cancel call is stopping it
    exchange: Exchange | None = field(default=None, repr=False)

    def abort(self) -> None:
        if self.exchange is not None:
            self.exchange.abort()


class Engine:
    def __init__(self, write, bugs: frozenset[str], query_figures: str = "zero"):
        self.lock = threading.RLock()
        self._write = write  # writes one JSON object as one line and flushes
        self._bugs = bugs
        self.query_figures = query_figures  # "zero" or "body": how the first exchange is reported
        self.install_seconds = 0.0
        self._component: tuple[int, int, int, int] | None = None
        self._service_url = ""
        self._session: Session | None = None
        # The last reader session to end was an Individualize(FINAL) success
        # and no WMT_NEEDS_INDIVIDUALIZATION came since.
        self._locked = False
        # The required version of the content whose WMT_NEEDS_INDIVIDUALIZATION
        # no WMT_NO_RIGHTS_EX has answered yet.
        self._needs_pending: tuple[int, int] | None = None
        self._refreshes: set[int] = set()
        self._refresh_ids = itertools.count(1)
        self._epoch = 0  # bumped by reset and end: late work of an older epoch is dropped
        self._cached_response_url: str | None = None  # only the stale-response-url bug uses it

    def bug(self, name: str) -> bool:
        return name in self._bugs

    @property
    def ready(self) -> bool:
        return self._component is not None

    # --- lifecycle -----------------------------------------------------------

    def reset(self, component: tuple[int, int, int, int], service_url: str, install_ms: int = 0) -> None:
        with self.lock:
            self.abandon()
            self.install_seconds = install_ms / 1000  # how long the simulated installer takes
            self._component = component
            self._service_url = service_url if service_url.endswith("/") else service_url + "/"
            self._locked = False
            self._needs_pending = None

    def abandon(self) -> None:
        """Drops everything under way; nothing it started will write again."""
        with self.lock:
            self._epoch += 1
            if self._session is not None:
                self._session.abort()
                self._session = None
            self._refreshes.clear()

    # --- application calls: write the call record, then its synchronous effects

    def call(self, message: dict) -> None:
        api = message.get("api")
        if api in CANCELS:
            self._cancel(CANCELS[api], api)
            return
        with self.lock:
            match api:
                case "Open":
                    required = parse_required_version(message.get("required_version"))
                    if required is None:
                        raise ValueError(f"Open needs required_version \"major.minor\", got {message!r}")
                    self._open(message["required_version"], required)
                case "Individualize":
                    self._individualize(_flags(message))
                case "PerformSecurityUpdate":
                    self._perform_security_update(_flags(message))
                case "GetSecurityVersion":
                    self._record_call(api, S_OK, version=format_version(self._component))
                case _:
                    raise ValueError(f"unknown api {api!r}")

    def _open(self, text: str, required: tuple[int, int]) -> None:
        self._record_call("Open", S_OK, required_version=text)
        individualized = self._component[3]
        if (not individualized or self._below(self._component, required)) and not self.bug("no-needs"):
            self._needs_pending = required
            self._locked = False  # a new need lifts the lock
            self._write({"kind": "status", "status": "WMT_NEEDS_INDIVIDUALIZATION", "hr": S_OK})

    def _individualize(self, flags: int) -> None:
        # Refusals in the order the spec judges them: bad flags, busy, locked.
        busy = self._session is not None
        if self._valid_bits(flags) not in (REINDIVIDUALIZABLE, FINAL):
            hr = E_INVALIDARG
        elif busy and self._session.path == READER and self.bug("accepts-second-individualize"):
            self._record_call("Individualize", S_OK, flags=flags)  # BUG: joins the running session
            return
        elif busy:
            hr = NS_E_DRM_INDIVIDUALIZING
        elif self._locked:
            hr = NS_E_DRM_ALREADY_INDIVIDUALIZED
        else:
            hr = S_OK
        if hr == S_OK and self.bug("call-after-begin"):
            self._start(READER, flags, force=True)  # BUG: INDI_BEGIN before the call's record
            self._record_call("Individualize", hr, flags=flags)
            return
        self._record_call("Individualize", hr, flags=flags)
        if hr == S_OK:
            self._start(READER, flags, force=True)

    def _valid_bits(self, flags: int) -> int:
        """The flags as they are checked."""
        if self.bug("flags-ignore-high-bits"):
            return flags & 0xFFFF  # BUG: 0x80000001 passes as 0x1
        return flags

    def _perform_security_update(self, flags: int) -> None:
        mode = self._valid_bits(flags)
        if mode not in (PERFORM_INDIV, PERFORM_REVOCATION_REFRESH, PERFORM_FORCE_INDIV):
            hr = E_INVALIDARG
        elif mode != PERFORM_REVOCATION_REFRESH and self._session is not None:
            hr = NS_E_DRM_INDIVIDUALIZING  # a refresh is no session: it may run beside one
        else:
            hr = S_OK
        self._record_call("PerformSecurityUpdate", hr, flags=flags)
        if hr != S_OK:
            return
        if mode == PERFORM_REVOCATION_REFRESH:
            self._start_refresh()
        else:
            self._start(SECURITY, mode, force=mode == PERFORM_FORCE_INDIV)

    def _cancel(self, path: str, api: str) -> None:
        """CancelIndividualization / CancelAsyncOperation. Takes the lock itself:
        when a request is under way it waits, without the lock, until the service
        is done with it, and only then answers (README.md, "Cancelling")."""
        with self.lock:
            s = self._session
            if s is None or s.path != path:
                self._record_call(api, E_UNEXPECTED)  # nothing of this path is running
                return
            if self.bug("ignores-cancel"):
                self._record_call(api, S_OK)
                return  # BUG: the session carries on
            s.cancelling = True  # its thread reports nothing more and starts no new request
            exchange = s.exchange
            unsettled = exchange is not None and exchange.stop()
        if unsettled:
            exchange.wait_settled()  # the session's thread drains the exchange
        with self.lock:
            s.abort()
            self._record_call(api, S_OK)
            if self._session is s:
                self.finish(s, INDI_CANCEL, NS_E_DRM_OPERATION_CANCELED)

    # --- sessions -------------------------------------------------------------

    def _start(self, path: str, flags: int, force: bool) -> None:
        s = Session(path, flags, force)
        self._session = s
        self.report(s, INDI_BEGIN)
        worker = SessionWorker(self, s, self._service_url, self._component)
        # The thread blocks on the lock until this call's records are written.
        threading.Thread(target=worker.run, name=f"session-{path}", daemon=True).start()

    @contextlib.contextmanager
    def owning(self, s: Session):
        """Holds the lock while ``s`` is the open session and no cancel is stopping
        it; raises Abandoned otherwise."""
        with self.lock:
            if self._session is not s or s.cancelling:
                raise Abandoned
            yield s

    def component(self) -> tuple[int, int, int, int]:
        return self._component

    def _meets(self, required: tuple[int, int]) -> bool:
        return bool(self._component[3]) and not self._below(self._component, required)

    def _below(self, version: tuple[int, ...], other: tuple[int, ...]) -> bool:
        """Whether ``version`` is below ``other``, compared on ``other``'s numbers."""
        mine = version[: len(other)]
        if self.bug("string-version-compare"):
            return format_version(mine) < format_version(other)  # BUG: "2.10" < "2.9"
        return mine < other

    def response_url(self, offer: Offer) -> str:
        """The URL to report in pszIndiRespUrl once ``offer`` has arrived."""
        if self.bug("stale-response-url"):
            # BUG: the first response URL this process saw, kept across reset
            if self._cached_response_url is None:
                self._cached_response_url = offer.response_url
            return self._cached_response_url
        if self.bug("url-drops-query"):
            return offer.response_url.split("?", 1)[0]  # BUG: the query is lost
        if self.bug("url-normalized"):
            return urllib.parse.urlunsplit(urllib.parse.urlsplit(offer.response_url))  # BUG: rewritten
        return offer.response_url

    def install(self, s: Session) -> None:
        """The package is installed: the component takes the offered version."""
        self._component = s.offer.version

    def report(self, s: Session, indi: str, hr: str = S_OK, **overrides) -> None:
        """Writes one status of ``s`` with its current figures."""
        value = {
            "hr": hr,
            "enIndiStatus": indi,
            "pszIndiRespUrl": s.url,
            "dwHTTPRequest": s.trips,
            "enHTTPStatus": s.http,
            "dwHTTPReadProgress": s.progress,
            "dwHTTPReadTotal": s.total,
        }
        value.update(overrides)
        if s.path == READER:
            self._write({"kind": "status", "status": "WMT_INDIVIDUALIZE", "hr": S_OK, "value": value})
        else:
            self._write({"kind": "event", "event": "MEWMDRMIndividualizationProgress", "hr": S_OK, "value": value})

    def finish(self, s: Session, terminal: str, hr: str = S_OK) -> None:
        """Writes the terminal status, closes the session, and sends what follows it."""
        silent = terminal == INDI_SUCCEED and s.path == READER and self.bug("missing-terminal")
        if not silent:
            self.report(s, terminal, hr)
            if self.bug("status-after-terminal"):
                self.report(s, terminal, hr)  # BUG: a second terminal status
        self._session = None
        if s.path == READER:
            succeeded = terminal == INDI_SUCCEED
            self._locked = succeeded and s.flags == FINAL and not self.bug("reindividualizes-after-final")
            # WMT_NO_RIGHTS_EX only when the upgrade met what the content needs.
            if succeeded and self._needs_pending is not None and self._meets(self._needs_pending) and not silent:
                self._needs_pending = None
                self._write({"kind": "status", "status": "WMT_NO_RIGHTS_EX", "hr": S_OK})
        if s.path == SECURITY and not self.bug("no-completed-event"):
            completed = S_OK if terminal == INDI_SUCCEED else hr
            self._write({"kind": "event", "event": "MEWMDRMIndividualizationCompleted", "hr": completed})

    # --- revocation refresh -----------------------------------------------------

    def _start_refresh(self) -> None:
        refresh, epoch = next(self._refresh_ids), self._epoch
        self._refreshes.add(refresh)
        timer = threading.Timer(0.005, self._refresh_done, args=(epoch, refresh))
        timer.daemon = True
        timer.start()

    def _refresh_done(self, epoch: int, refresh: int) -> None:
        with self.lock:
            if epoch == self._epoch and refresh in self._refreshes:
                self._refreshes.discard(refresh)
                self._write({"kind": "event", "event": "MEWMDRMRevocationDownloadCompleted", "hr": S_OK})

    def _record_call(self, api: str, hr: str, **args) -> None:
        self._write({"kind": "call", "api": api, **args, "hr": hr})


def _flags(message: dict) -> int:
    flags = message.get("flags")
    if isinstance(flags, bool) or not isinstance(flags, int) or not 0 <= flags < 2**32:
        raise ValueError(f"{message.get('api')} needs integer flags, got {message!r}")
    return flags


@dataclass(frozen=True)
class Redirect:
    """A whole 3xx answer to a package request: where it sends the engine."""

    status: int
    location: str | None


class SessionWorker:
    """Runs one session in its own thread: ask the service, download, install.

    Network I/O and package verification run without the lock; every step that
    changes the session or writes a status runs inside ``engine.owning(s)``,
    which raises Abandoned once the session was cancelled, ended or reset, so a
    late event is never written.
    """

    def __init__(self, engine: Engine, s: Session, service_url: str, client_version):
        self.engine, self.s = engine, s
        self.service_url, self.client_version = service_url, client_version
        # The last exchange's 2xx head and body: Content-Length (None if not
        # announced), chunked or not, and how many body bytes arrived.
        self.head_length: int | None = None
        self.head_chunked = False
        self.body_length = 0

    def run(self) -> None:
        try:
            offer = self.query()
            if offer is not None:
                package = self.download(offer)
                if package is not None:
                    self.install(package)
        except Abandoned:
            pass
        except Exception:  # a defect of this engine: fail the session rather than hang
            traceback.print_exc(file=sys.stderr)
            with contextlib.suppress(Abandoned), self.engine.owning(self.s):
                self.engine.finish(self.s, INDI_FAIL, NS_E_DRM_INDIVIDUALIZE_ERROR)

    def query(self) -> Offer | None:
        """Round trip 1: what does the service offer? None when the session ended here."""
        request = {"client_version": format_version(self.client_version), "force": self.s.force}
        body = self.exchange("POST", self.service_url + "individualize", json.dumps(request).encode(), False)
        if body is None:
            return None
        engine, s = self.engine, self.s
        with engine.owning(s):
            offer = self.parse_offer(body)
            if offer is None:
                print(f"engine: unusable offer {body[:200]!r}", file=sys.stderr)
                engine.finish(s, INDI_FAIL, NS_E_DRM_INDIVIDUALIZE_ERROR)
                return None
            s.offer, s.url = offer, engine.response_url(offer)
            engine.report(s, INDI_DOWNLOAD)  # HTTP_COMPLETED, with the response URL
            if not s.force and not engine._below(engine.component(), offer.version):
                engine.finish(s, INDI_SUCCEED)  # as-needed and up to date: nothing to install
                return None
            # The query's figures (0/0, or its body with --query-figures body)
            # stay until the package round trip starts.
            if engine.bug("total-from-offer"):
                s.total = offer.package_size  # BUG: announced before the package's Content-Length
            if engine.bug("wrong-roundtrip-count"):
                s.trips = 0  # BUG: counts the round trips of the current request only
            return offer

    def parse_offer(self, body: bytes) -> Offer | None:
        if not self.engine.bug("crashes-on-missing-field"):
            return Offer.parse(body, self.service_url)
        try:
            return Offer.parse(body, self.service_url, index_fields=True)
        except (KeyError, TypeError):
            # BUG: the engine dies on an offer that lacks a field
            traceback.print_exc(file=sys.stderr)
            sys.stderr.flush()
            os._exit(70)

    def download(self, offer: Offer) -> bytes | None:
        """Round trip 2 (and more, one per redirect followed): the package. None
        when the session ended here."""
        engine, s = self.engine, self.s
        url, followed = offer.package_url, 0
        while True:
            result = self.exchange("GET", url, None, True)
            if result is None:
                return None
            if not isinstance(result, Redirect):
                break
            with engine.owning(s):
                # The redirect's round trip is complete and reported; may it be followed?
                if followed >= MAX_REDIRECTS and not engine.bug("follows-redirect-loop"):  # BUG when on: no limit
                    warn(f"more than {MAX_REDIRECTS} redirects for the package; last to {result.location!r}")
                    engine.finish(s, INDI_FAIL, NS_E_DRM_INDIVIDUALIZE_ERROR)
                    return None
                if not same_host(result.location, self.service_url):
                    warn(f"{result.status} redirect to {result.location!r}: not an http URL of the service")
                    engine.finish(s, INDI_FAIL, NS_E_DRM_INDIVIDUALIZE_ERROR)
                    return None
            url, followed = result.location, followed + 1
        body = result
        with engine.owning(s):
            size, got = offer.package_size, self.body_length
            if self.head_length is None and not self.head_chunked and engine.bug("short-close-succeeds"):
                pass  # BUG: whatever arrived before the close is the package
            elif got != size:
                warn(f"package of {got} bytes; the offer said {size}")
                hr = NS_E_DRM_INDIVIDUALIZATION_INCOMPLETE if got < size else NS_E_DRM_INDIVIDUALIZE_ERROR
                engine.finish(s, INDI_FAIL, hr)
                return None
            engine.report(s, INDI_DOWNLOAD)  # HTTP_COMPLETED, with the whole package
            engine.report(s, INDI_INSTALL)
            return body

    def install(self, package: bytes) -> None:
        """Verify the package, then put the component in place."""
        engine, s = self.engine, self.s
        if engine.bug("skips-package-check"):
            intact = True  # BUG: the package is never verified
        else:
            intact = package_is_intact(package)
        with engine.owning(s):
            if not intact:
                engine.finish(s, INDI_FAIL, NS_E_DRM_INDIVIDUALIZE_ERROR)
                return
            engine.report(s, INDI_INSTALL)  # verified
        time.sleep(engine.install_seconds / 2)  # the simulated installer at work; a cancel may come
        with engine.owning(s):
            engine.report(s, INDI_INSTALL)  # written
        time.sleep(engine.install_seconds / 2)
        with engine.owning(s):
            engine.install(s)
            engine.finish(s, INDI_SUCCEED)

    def total(self, length: int | None, downloading: bool) -> int:
        """dwHTTPReadTotal for a 2xx response: its Content-Length, else 0."""
        offered = self.s.offer.package_size if downloading and self.s.offer is not None else None
        if offered is not None and self.engine.bug("trusts-offer-size"):
            return offered  # BUG: the offer's size, not what the service announced
        if length is not None and self.engine.bug("total-16-bit"):
            return length & 0xFFFF  # BUG: a DWORD kept in 16 bits
        if length is not None:
            return length
        if offered is not None and self.engine.bug("offer-size-as-total"):
            return offered  # BUG: a total the service never announced
        return 0

    def exchange(self, method: str, url: str, body: bytes | None, downloading: bool) -> bytes | Redirect | None:
        """One round trip, reported as it happens. Returns the body of a whole
        2xx response, or (package requests only) a Redirect once a whole 3xx
        response arrived; None when the session ended (INDI_FAIL)."""
        engine, s = self.engine, self.s
        ex = Exchange(method, url, body)
        with engine.owning(s):
            s.exchange = ex
            s.http_error = None
        received = bytearray()
        self.head_length, self.head_chunked, self.body_length = None, False, 0
        redirect: Redirect | None = None
        counts = downloading or engine.query_figures == "body"  # progress/total describe this response
        events = ex.events()
        try:
            for event in events:
                with engine.owning(s):
                    match event:
                        case Connected():
                            s.http = HTTP_CONNECTING
                            if engine.query_figures == "body":
                                s.progress = s.total = 0  # the query's figures stay in its round trip
                            engine.report(s, INDI_DOWNLOAD)
                        case Sent():
                            s.http = HTTP_REQUESTING
                            engine.report(s, INDI_DOWNLOAD)
                        case Head(status=status, location=location) if downloading and status in REDIRECTS:
                            # Its body is no part of the package: no RECEIVING, the figures stay.
                            redirect = Redirect(status, location)
                        case Head(status=status, length=length, chunked=chunked) if 200 <= status < 300:
                            self.head_length, self.head_chunked = length, chunked
                            wrong_size = (downloading and length is not None and length != s.offer.package_size
                                          and not engine.bug("trusts-offer-size"))  # BUG when on: never checked
                            if wrong_size:
                                # Not the package offered: read it all (the round trip
                                # completes), then fail.
                                warn(f"package Content-Length {length}; the offer said {s.offer.package_size}")
                                s.http_error = NS_E_DRM_INDIVIDUALIZE_ERROR
                            else:
                                s.http = HTTP_RECEIVING
                                if counts:
                                    s.progress, s.total = 0, self.total(length, downloading)
                                if downloading and engine.bug("stale-total") and s.total:
                                    # BUG: a provisional total, replaced by Content-Length below
                                    engine.report(s, INDI_DOWNLOAD, dwHTTPReadTotal=s.total + 256)
                                else:
                                    engine.report(s, INDI_DOWNLOAD)
                        case Head(status=status):
                            # The error body still has to arrive for the round trip to complete.
                            s.http_error = http_failure(status, downloading)
                        case Piece(data=data):
                            self.body_length += len(data)
                            if len(received) < (1 << 26):  # keep at most 64 MiB; more fails the install
                                received += data
                            if counts and s.http_error is None and s.http == HTTP_RECEIVING:
                                if engine.bug("optimistic-progress"):
                                    got = Exchange.PIECE  # BUG: the size the read asked for
                                else:
                                    got = len(data)
                                if s.total:
                                    s.progress = min(s.progress + got, s.total)  # never more than the total
                                elif downloading:
                                    s.progress += got  # no total announced: the bytes received
                                if engine.bug("progress-past-total") and s.total and s.progress == s.total:
                                    engine.report(s, INDI_DOWNLOAD, dwHTTPReadProgress=s.total + 1)  # BUG
                                else:
                                    engine.report(s, INDI_DOWNLOAD)
                        case Done():
                            s.trips += 1
                            s.http = HTTP_COMPLETED
                            if s.http_error is not None:
                                engine.finish(s, INDI_FAIL, s.http_error)
                                return None
                            if redirect is not None:
                                engine.report(s, INDI_DOWNLOAD)  # the redirect's round trip completed
                                return redirect
                            return bytes(received)
                        case Failed():
                            cut = downloading and s.http == HTTP_RECEIVING
                            hr = NS_E_DRM_INDIVIDUALIZATION_INCOMPLETE if cut else NS_E_DRM_INDIV_SERVICE_UNAVAILABLE
                            if engine.bug("counts-failed-roundtrip"):
                                s.trips += 1  # BUG: a broken exchange counted as completed
                                s.http = HTTP_COMPLETED
                            engine.finish(s, INDI_FAIL, hr)
                            return None
            return None  # unreachable: the stream always ends with Done or Failed
        finally:
            events.close()  # closes the connection


# ---------------------------------------------------------------------------
# 4. The adapter: the protocol loop on stdin/stdout.


class Output:
    """stdout, one JSON object per line, flushed after every line, one writer at a time."""

    def __init__(self, stream):
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, obj: dict) -> None:
        line = json.dumps(obj, separators=(",", ":")) + "\n"
        with self._lock:
            try:
                self._stream.write(line)
                self._stream.flush()
            except (BrokenPipeError, ValueError, OSError):
                os._exit(1)  # the harness is gone: nobody to talk to


class Adapter:
    def __init__(self, bugs: frozenset[str], stdin=None, stdout=None, query_figures: str = "zero"):
        self.stdin = stdin if stdin is not None else sys.stdin.buffer
        self.out = Output(stdout if stdout is not None else sys.stdout)
        self.engine = Engine(self.out, bugs, query_figures)

    def run(self) -> int:
        while True:
            raw = self.stdin.readline()
            if not raw:
                self.engine.abandon()
                return 0  # the harness closed our stdin
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                message = json.loads(text)
            except ValueError:
                warn(f"not JSON: {text[:200]!r}")
                continue
            if not isinstance(message, dict):
                warn(f"not a JSON object: {text[:200]!r}")
                continue
            try:
                if self.handle(message) == "bye":
                    return 0
            except Exception as error:  # never die on an unexpected command
                warn(f"ignored {text[:200]!r}: {error}")

    def handle(self, message: dict) -> str | None:
        match message.get("op"):
            case "hello":
                if message.get("protocol") != PROTOCOL:
                    warn(f"harness speaks {message.get('protocol')!r}; answering as {PROTOCOL}")
                self.out({"op": "hello", "protocol": PROTOCOL, "implementation": IMPLEMENTATION,
                          "capabilities": CAPABILITIES})
            case "reset":
                version = parse_security_version(message.get("component_version"))
                url = message.get("service_url")
                install_ms = message.get("install_ms", 0)
                if version is None or not isinstance(url, str) or not isinstance(install_ms, int):
                    raise ValueError("reset needs component_version a.b.c.d and service_url")
                self.engine.reset(version, url, max(0, min(install_ms, 10_000)))
                self.out({"op": "ready"})
            case "call":
                if not self.engine.ready:
                    raise ValueError("call before reset")
                self.engine.call(message)
            case "end":
                with self.engine.lock:
                    self.engine.abandon()
                    self.out({"op": "ended"})
            case "bye":
                self.engine.abandon()
                return "bye"
            case op:
                raise ValueError(f"unknown op {op!r}")
        return None


def warn(text: str) -> None:
    print(f"engine: {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bug", action="append", default=[], metavar="NAME",
                        help="switch on a deliberate bug (repeatable, or comma-separated); see --list-bugs")
    parser.add_argument("--list-bugs", action="store_true", help="print the bug names, one per line, and exit")
    parser.add_argument("--query-figures", choices=["zero", "body"], default="zero",
                        help="report the first exchange as 0/0 (default) or with the response's body length;"
                             " both conform")
    args = parser.parse_args(argv)
    if args.list_bugs:
        for name in BUGS:
            print(name)
        return 0
    bugs = frozenset(name.strip() for arg in args.bug for name in arg.split(",") if name.strip())
    unknown = sorted(bugs - BUGS.keys())
    if unknown:
        parser.error(f"unknown bug(s) {', '.join(unknown)}; known: {', '.join(BUGS)}")
    if bugs:
        warn("bugs on: " + ", ".join(f"{b} ({BUGS[b]})" for b in sorted(bugs)))
    return Adapter(bugs, query_figures=args.query_figures).run()


if __name__ == "__main__":
    sys.exit(main())
