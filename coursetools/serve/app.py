"""The web layer (FastAPI): the HTTP API ``helpers.submit()`` uses, and the pages of students and the instructor.

API (documented at ``/docs``, schema at ``/openapi.json``), authenticated with ``Authorization: Bearer <token>``:

* ``POST /api/submissions`` (multipart ``assignment``, ``notebook``) -> 202 ``{"status_url": ..., ...}``;
* ``GET /api/submissions/{id}`` -> ``status`` (``queued``, ``grading``, then ``graded``, ``timed_out``,
  ``kernel_died``, ``error``), ``score``, ``max_score``, ``feedback_url``, the exercises and their messages;
* ``GET /api/submissions`` -> the caller's attempts; ``GET /api/queue`` (instructor) -> the queue's counts.

Pages (a session cookie after signing in with the token; forms carry a CSRF token): ``/`` the upload form and the
student's attempts, ``/submissions/{id}`` the status page (it refreshes itself until the feedback appears),
``/submissions/{id}/feedback``, ``/instructor``, ``/instructor/report``.

Errors are plain sentences: JSON ``{"detail": ...}`` on the API, a page otherwise; 401 for a missing or wrong
token, 403 for what this token may not do, 404 for what it may not see (another student's attempt does not exist
for it), 413 too large, 415 not a notebook file, 422 not this assignment's notebook, 429 the attempt limit (with
``Retry-After`` and when the next attempt is possible), 503 the queue is full.
"""

# No `from __future__ import annotations`: FastAPI reads the dependencies of the endpoints from their annotations.
import hmac
import secrets
import time
from contextlib import asynccontextmanager
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from . import intake, pages
from .service import Identity, Service
from .store import DONE, Refused

SESSION_COOKIE, LOGIN_COOKIE = "coursetools_session", "coursetools_login"
#: Multipart framing and the small fields, on top of the notebook itself.
FORM_OVERHEAD = 256 * 1024
SMALL_FORM = 64 * 1024
UPLOAD_PATHS = ("/submit", "/api/submissions")
DRAIN_CAP = 64 * 1024 * 1024

bearer = HTTPBearer(auto_error=False, description="the token from `coursetools tokens` (a student's or the "
                                                  "instructor's)")


class Exercise(BaseModel):
    notebook: str
    grade_id: str
    score: float | None
    max_score: float
    messages: list[str]


class SubmissionStatus(BaseModel):
    """One attempt, as ``POST /api/submissions`` and ``GET /api/submissions/{id}`` answer."""

    id: str
    assignment: str
    attempt: int
    status: str
    submitted_at: str
    late: bool
    score: float | None
    max_score: float | None
    of_record: bool
    status_url: str
    feedback_url: str | None
    reason: str
    queue_position: int | None
    exercises: list[Exercise]


class Problem(BaseModel):
    detail: str


class QueueStatus(BaseModel):
    queued: int
    grading: int
    done: int
    grader: str
    workers: int


ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Problem, "description": "no token, or not a valid one"},
          403: {"model": Problem, "description": "not allowed for this token"},
          404: {"model": Problem, "description": "no such assignment or attempt (for this token)"}}
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 400: {"model": Problem, "description": "not a plain file name, or an empty file"},
                 413: {"model": Problem, "description": "larger than the course's limit"},
                 415: {"model": Problem, "description": "not an .ipynb file"},
                 422: {"model": Problem, "description": "not a notebook, or not this assignment's"},
                 429: {"model": Problem, "description": "the attempt limit: Retry-After says when"},
                 503: {"model": Problem, "description": "the queue is full: try again in a few minutes"}}


class TooLarge(HTTPException):
    """The body passed the limit (raised from inside the request's body stream)."""


def _is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/api"


def _problem(path: str, status: int, text: str, headers: dict | None = None) -> Response:
    if _is_api(path):
        return JSONResponse({"detail": text}, status_code=status, headers=headers)
    return HTMLResponse(pages.message("Not handed in" if status in (400, 413, 415, 422, 429, 503) else "Sorry",
                                      text), status_code=status, headers=headers)


class BodyLimit:
    """Refuse request bodies over the limit (413) before they are parsed or kept, whatever the client says."""

    def __init__(self, app, upload_limit: int):
        self.app, self.upload_limit = app, upload_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        path = scope["path"]
        limit = self.upload_limit + FORM_OVERHEAD if path in UPLOAD_PATHS else SMALL_FORM
        message = intake.too_large(self.upload_limit) if path in UPLOAD_PATHS else "This request is too large."
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _drain(receive, int(length))
            return await _problem(path, 413, message, {"Connection": "close"})(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            event = await receive()
            if event["type"] == "http.request":
                seen += len(event.get("body", b""))
                if seen > limit:
                    if event.get("more_body"):
                        await _drain(receive, DRAIN_CAP)
                    raise TooLarge(413, message)
            return event

        await self.app(scope, limited, send)


async def _drain(receive, cap: int) -> None:
    """Read (and drop) the rest of a refused body, so the client reads the answer instead of a reset connection."""
    read = 0
    while read <= min(cap, DRAIN_CAP):
        event = await receive()
        if event["type"] != "http.request":
            return
        read += len(event.get("body", b""))
        if not event.get("more_body"):
            return


class SecurityHeaders:
    """Headers every answer carries: no framing, no sniffing, no caching of private pages, no script on pages."""

    CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
           "frame-ancestors 'none'; base-uri 'none'")

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        docs = scope["path"] in ("/docs", "/docs/oauth2-redirect")

        async def send_(event):
            if event["type"] == "http.response.start":
                headers = list(event.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                            (b"referrer-policy", b"no-referrer"), (b"cache-control", b"no-store")]
                if not docs:
                    headers.append((b"content-security-policy", self.CSP.encode()))
                event = {**event, "headers": headers}
            await send(event)

        await self.app(scope, receive, send_)


def create_app(service: Service) -> FastAPI:
    """The ASGI application of ``service`` (started and stopped with the application's lifespan)."""

    @asynccontextmanager
    async def lifespan(_app):
        await run_in_threadpool(service.start)
        yield
        await run_in_threadpool(service.stop)

    app = FastAPI(title="Course grading service", lifespan=lifespan, redoc_url=None,
                  description="Hand in a notebook, get it graded in the course's sandbox, read the feedback. "
                              "Authenticate with `Authorization: Bearer <token>` (the token your instructor sent).")
    app.add_middleware(BodyLimit, upload_limit=service.settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders)

    # -- errors -------------------------------------------------------------------------------------------------
    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused):
        headers = {"Retry-After": str(int(error.retry_after + 0.999))} if error.retry_after else None
        if _is_api(request.url.path):
            body: dict = {"detail": error.message}
            if error.next_at:
                body["next_attempt_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(error.next_at))
            return JSONResponse(body, status_code=error.status, headers=headers)
        who = _page_identity(request)
        return HTMLResponse(pages.message("Not handed in", error.message, who=who.subject if who else "",
                                          csrf=_csrf(request)), status_code=error.status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException):
        return _problem(request.url.path, error.status_code, str(error.detail), getattr(error, "headers", None))

    # -- who is asking ------------------------------------------------------------------------------------------
    def _page_identity(request: Request) -> Identity | None:
        secret = request.cookies.get(SESSION_COOKIE, "")
        return service.session(secret) if secret else None

    def _csrf(request: Request) -> str:
        secret = request.cookies.get(SESSION_COOKIE, "")
        return service.store.csrf(secret) if secret else ""

    def _check_csrf(request: Request, value: str) -> None:
        expected = _csrf(request)
        if not expected or not hmac.compare_digest(expected.encode(), (value or "").encode()):
            raise HTTPException(403, "This form is out of date or did not come from this site (its CSRF token is "
                                     "missing or wrong): reload the page and try again.")

    def api_identity(request: Request,
                     credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Identity:
        if credentials is None:
            raise HTTPException(401, "No token: send the header 'Authorization: Bearer <your token>'.",
                                headers={"WWW-Authenticate": "Bearer"})
        who = service.identify(credentials.credentials)
        if who is None:
            raise HTTPException(401, "This token is not valid: check it against the one your instructor sent you.",
                                headers={"WWW-Authenticate": "Bearer"})
        return who

    def any_identity(request: Request,
                     credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Identity:
        if credentials is None:
            who = _page_identity(request)
            if who is not None:
                return who
        return api_identity(request, credentials)

    def _sign_in_page(request: Request, message: str = "") -> HTMLResponse:
        nonce = secrets.token_urlsafe(24)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/"
        response = HTMLResponse(pages.login(message or "Please sign in with your token.", _safe_next(target), nonce),
                                status_code=401)
        response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    def urls(request: Request, public_id: str) -> tuple[str, str]:
        base = str(request.base_url).rstrip("/")
        return f"{base}/api/submissions/{quote(public_id)}", f"{base}/submissions/{quote(public_id)}/feedback"

    def _status(request: Request, attempt) -> dict:
        status_url, feedback_url = urls(request, attempt.public_id)
        return {**service.status(attempt, feedback_url), "status_url": status_url}

    # -- the API --------------------------------------------------------------------------------------------------
    @app.post("/api/submissions", status_code=202, response_model=SubmissionStatus, responses=UPLOAD_ERRORS,
              tags=["submissions"], summary="Hand in a notebook")
    def submit_api(request: Request, who: Annotated[Identity, Depends(api_identity)],
                   assignment: Annotated[str, Form(description="the assignment, e.g. 01_numpy_basics")],
                   notebook: Annotated[UploadFile, File(description="the .ipynb file")],
                   student: Annotated[str | None, Form(description="optional: if given, it must be the token's "
                                                                   "own student id")] = None):
        """Keep the notebook (on disk, before answering) and queue it for grading; poll `status_url`."""
        data = notebook.file.read(service.settings.max_upload_bytes + 1)
        attempt = service.admit(who, assignment, notebook.filename, data, "api", student)
        return _status(request, attempt)

    @app.get("/api/submissions/{public_id}", response_model=SubmissionStatus, responses=ERRORS,
             tags=["submissions"], summary="The status of a hand-in")
    def status_api(request: Request, public_id: str, who: Annotated[Identity, Depends(any_identity)]):
        """`queued`, `grading`, then the autograde status (`graded`, `timed_out`, `kernel_died`, `error`) with
        `score`, `max_score` and `feedback_url`."""
        attempt = service.attempt_for(who, public_id)
        if attempt is None:
            raise HTTPException(404, "There is no such submission for this token.")
        return _status(request, attempt)

    @app.get("/api/submissions", response_model=list[SubmissionStatus], responses=ERRORS, tags=["submissions"],
             summary="Your hand-ins")
    def list_api(request: Request, who: Annotated[Identity, Depends(api_identity)]):
        mine = service.store.attempts(None if who.instructor else who.subject)
        return [_status(request, a) for a in mine]

    @app.get("/api/queue", response_model=QueueStatus, responses=ERRORS, tags=["instructor"],
             summary="The queue (instructor)")
    def queue_api(who: Annotated[Identity, Depends(api_identity)]):
        if not who.instructor:
            raise HTTPException(403, "This is for the instructor's token.")
        counts = service.store.counts()
        state = service.loop.state if service.loop else None
        return {"queued": counts["queued"], "grading": counts["grading"], "done": counts["done"],
                "grader": state.phase if state else "off", "workers": state.workers if state else 0}

    @app.get("/healthz", include_in_schema=False)
    def health():
        return {"ok": True}

    # -- pages ----------------------------------------------------------------------------------------------------
    @app.get("/login", include_in_schema=False)
    def login_page(request: Request, next: str = "/"):
        nonce = secrets.token_urlsafe(24)
        response = HTMLResponse(pages.login("", _safe_next(next), nonce))
        response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    @app.post("/login", include_in_schema=False)
    def login(request: Request, token: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
              next: Annotated[str, Form()] = "/"):
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not nonce or not hmac.compare_digest(nonce.encode(), csrf.encode()):
            raise HTTPException(403, "This sign-in form did not come from this site or is out of date (its CSRF "
                                     "token is missing or wrong): reload the page and try again.")
        who = service.identify(token)
        if who is None:
            return _sign_in_page(request, "This token is not valid: check it against the one your instructor "
                                          "sent you.")
        secret = service.store.new_session(who.subject, who.role, service.settings.session_hours)
        target = _safe_next(next)
        if target == "/" and who.instructor:
            target = "/instructor"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, secret, max_age=int(service.settings.session_hours * 3600),
                            httponly=True, samesite="lax", secure=request.url.scheme == "https")
        response.delete_cookie(LOGIN_COOKIE)
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: Annotated[str, Form()] = ""):
        _check_csrf(request, csrf)
        service.store.end_session(request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/", include_in_schema=False)
    def home(request: Request):
        who = _page_identity(request)
        if who is None:
            return _sign_in_page(request)
        if who.instructor:
            return RedirectResponse("/instructor", status_code=303)
        return HTMLResponse(pages.home(who.subject, _csrf(request), list(service.assignments.values()),
                                       service.store.attempts(who.subject), service.settings, service.due))

    @app.post("/submit", include_in_schema=False)
    def submit_page(request: Request, assignment: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
                    notebook: Annotated[UploadFile | None, File()] = None):
        who = _page_identity(request)
        if who is None:
            return _sign_in_page(request, "Your session has ended: sign in again, then hand in.")
        _check_csrf(request, csrf)
        if notebook is None:
            raise Refused(400, "Choose the notebook file to hand in.")
        data = notebook.file.read(service.settings.max_upload_bytes + 1)
        attempt = service.admit(who, assignment, notebook.filename, data, "browser")
        return RedirectResponse(f"/submissions/{quote(attempt.public_id)}", status_code=303)

    def _attempt_page(request: Request, public_id: str):
        who = _page_identity(request)
        header = request.headers.get("authorization", "")
        if who is None and header.lower().startswith("bearer "):
            who = service.identify(header[7:])  # the feedback_url of the API, fetched with the token
        if who is None:
            return None, _sign_in_page(request)
        attempt = service.attempt_for(who, public_id)
        if attempt is None:
            raise HTTPException(404, "There is no such submission for you.")
        return (who, attempt), None

    @app.get("/submissions/{public_id}", include_in_schema=False)
    def status_page(request: Request, public_id: str):
        found, answer = _attempt_page(request, public_id)
        if answer is not None:
            return answer
        who, attempt = found
        if attempt.state == DONE:
            return RedirectResponse(f"/submissions/{quote(attempt.public_id)}/feedback", status_code=303)
        position = service.store.queue_position(attempt) + 1 if attempt.state == "queued" else None
        return HTMLResponse(pages.status(attempt, position, who.subject, _csrf(request)))

    @app.get("/submissions/{public_id}/feedback", include_in_schema=False)
    def feedback_page(request: Request, public_id: str):
        found, answer = _attempt_page(request, public_id)
        if answer is not None:
            return answer
        who, attempt = found
        if attempt.state != DONE:
            return RedirectResponse(f"/submissions/{quote(attempt.public_id)}", status_code=303)
        html_ = service.feedback_html(attempt)
        if html_ is None:
            raise HTTPException(404, "The feedback of this submission is not there (it was graded by an older "
                                     "version, or its files were removed).")
        record = service.store.record_of(attempt.student, attempt.assignment)
        banner = pages.feedback_banner(attempt, record, service.settings)
        return HTMLResponse(html_.replace("<body>", "<body>\n" + banner, 1))

    def _instructor(request: Request):
        who = _page_identity(request)
        if who is None:
            return _sign_in_page(request)
        if not who.instructor:
            raise HTTPException(403, "This page is for the instructor.")
        return None

    @app.get("/instructor", include_in_schema=False)
    def instructor_page(request: Request):
        answer = _instructor(request)
        if answer is not None:
            return answer
        attempts = service.store.attempts()
        students = sorted(set(service.store.subjects("student")) | {a.student for a in attempts})
        state = service.loop.state if service.loop else _Off()
        return HTMLResponse(pages.instructor(service.store.counts(), state, list(service.assignments.values()),
                                             attempts, students, _csrf(request), service.report_path().is_file(),
                                             service.due))

    @app.get("/instructor/report", include_in_schema=False)
    def report_page(request: Request):
        answer = _instructor(request)
        if answer is not None:
            return answer
        path = service.report_path()
        if not path.is_file():
            _write_report(service)
        return HTMLResponse(path.read_text(encoding="utf-8"))

    @app.post("/instructor/report", include_in_schema=False)
    def report_again(request: Request, csrf: Annotated[str, Form()] = ""):
        answer = _instructor(request)
        if answer is not None:
            return answer
        _check_csrf(request, csrf)
        _write_report(service)
        return RedirectResponse("/instructor/report", status_code=303)

    return app


class _Off:
    phase, notice, problem, workers = "off", "", "", 0
    unavailable: dict[str, str] = {}


def _write_report(service: Service) -> None:
    from ..reporting.class_report import report

    report(service.cd, service.report_path())


def _safe_next(target: str) -> str:
    """Where to go after signing in: a path of this site only."""
    if not target.startswith("/") or target.startswith("//") or target.startswith("/\\") or "\n" in target:
        return "/"
    return target[:500]
