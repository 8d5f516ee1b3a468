"""The submit page: one seizure by form, or a CSV / JSON Lines file, always as the signed-in account's agency;
the per-record report in the reader's language; and the status of a seizure by its event id.

Nothing here validates a seizure: the form becomes one JSON record and the file stays as uploaded, and both
go through the API's own submission path (pipeline/api/routes/submissions.py `publish_body`: the CLI's
parsing and reasons, the caller's agency put in every record, the broker's confirmation, the `submissions`
row that makes the status answer "received" at once). Both forms carry the session's CSRF token.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from pipeline.api.deps import Connection
from pipeline.api.errors import ApiError
from pipeline.api.routes.submissions import DRAIN_LIMIT, publish_body
from pipeline.api.routes.traces import PRINTABLE
from pipeline.api.submit import CSV, JSON, MAX_BODY_BYTES, NDJSON
from pipeline.api.trace_detail import seizure_status
from pipeline.producers.agency_file import ID_LIMIT
from pipeline.rules.access import may_submit
from pipeline.vocab import load_vocabulary
from pipeline.web.pages import check_csrf, current_session, page_lang, render, require
from pipeline.web.sessions import Session
from pipeline.web.text import WEB_MESSAGES, w

router = APIRouter(prefix="/app", include_in_schema=False)
LIMIT_TEXT = f"{MAX_BODY_BYTES // (1024 * 1024)} MB"
FORM_LIMIT = 64 * 1024  # the one-seizure form is a few hundred bytes
# The form's fields: the CLI's English names (pipeline/producers/agency_file.py), firearm ones under "firearm".
EVENT_FIELDS = ("event_id", "recovery_date", "state", "municipality", "crime_type", "priority", "case_number",
                "latitude", "longitude", "notes")
FIREARM_FIELDS = ("manufacturer", "model", "caliber", "serial", "firearm_type", "country", "importer")
REQUIRED_FIELDS = ("event_id", "recovery_date", "state", "crime_type")
PRIORITIES = ("ROUTINE", "URGENT")
KINDS = {".csv": CSV, ".jsonl": NDJSON, ".ndjson": NDJSON, ".json": JSON}


def record_of(values: dict[str, str]) -> dict[str, Any]:
    """The form's filled fields as one submission record (blank fields are left out, as a file leaves them)."""
    record: dict[str, Any] = {k: values[k] for k in EVENT_FIELDS if values.get(k, "").strip()}
    firearm = {k: values[f"firearm.{k}"] for k in FIREARM_FIELDS if values.get(f"firearm.{k}", "").strip()}
    if firearm:
        record["firearm"] = firearm
    return record


def kind_of(filename: str | None, content_type: str | None) -> str | None:
    """The media type of an uploaded file, by its extension, else by what the browser said."""
    name = (filename or "").lower()
    for extension, kind in KINDS.items():
        if name.endswith(extension):
            return kind
    given = (content_type or "").split(";")[0].strip().lower()
    return given if given in (CSV, NDJSON, JSON) else None


def field_label(field: str, lang: str) -> str:
    """A reported field (agency_file's names: recovery_date, firearm.serial, "-") as the form labels it."""
    key = "s_" + field.removeprefix("firearm.").replace(".", "_") if field != "-" else "s_whole_record"
    return w(key, lang) if key in WEB_MESSAGES else field


def _choices() -> dict[str, Any]:
    vocabulary = load_vocabulary()
    return {"states": sorted(state.name for state in vocabulary.states),
            "crimes": [crime.aliases[0] for crime in vocabulary.crimes if crime.aliases],
            "priorities": PRIORITIES, "event_fields": EVENT_FIELDS, "firearm_fields": FIREARM_FIELDS,
            "required": REQUIRED_FIELDS, "id_limit": ID_LIMIT, "limit_text": LIMIT_TEXT}


def _status(conn: Any, session: Session, event_id: str | None, lang: str) -> dict[str, Any] | None:
    """The status of one of the agency's seizures; {"missing": id} when the agency has none under that id."""
    if not event_id:
        return None
    try:
        return seizure_status(conn, session.caller.agency_id, event_id, lang)
    except ApiError:
        return {"missing": event_id}


def _page(request: Request, conn: Any, session: Session, lang: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("values", {})
    context.setdefault("report", None)
    context.setdefault("failure", None)
    context.setdefault("seizure", None)
    context.setdefault("looked_up", "")
    context.setdefault("source", None)
    context["field_label"] = lambda field: field_label(field, lang)
    return render(request, "submit.html", lang, session, status=status, **_choices(), **context)


def _submit(request: Request, conn: Any, session: Session, body: bytes, kind: str,
            lang: str) -> tuple[dict[str, Any] | None, str | None]:
    """(the report, None) or (None, the failure in words): the API's path, as the session's account."""
    try:
        report, _refused = publish_body(request.app, conn, session.caller, body, kind, lang)
    except ApiError as exc:
        return None, w(exc.key, lang, **exc.values)
    return report, None


@router.get("/submit")
def submit_page(request: Request, conn: Connection,
                event_id: Annotated[str | None, Query(max_length=ID_LIMIT, pattern=PRINTABLE)] = None) -> Response:
    """The form, the upload and the status lookup (`?event_id=`: that seizure of the agency)."""
    session = current_session(request, conn)
    require(session, may_submit)
    lang = page_lang(request)
    return _page(request, conn, session, lang, seizure=_status(conn, session, event_id, lang),
                 looked_up=event_id or "")


@router.post("/submit")
async def submit_form(request: Request, conn: Connection) -> Response:
    """One seizure typed into the form."""
    session = await run_in_threadpool(current_session, request, conn)
    require(session, may_submit)
    lang = page_lang(request)
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > FORM_LIMIT:
        return await run_in_threadpool(_page, request, conn, session, lang, 413,
                                       failure=w("body_too_large", lang, limit="64 KB"))
    form = await request.form(max_files=0, max_fields=len(EVENT_FIELDS) + len(FIREARM_FIELDS) + 5)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    check_csrf(session, values.get("csrf"))
    body = json.dumps(record_of(values), ensure_ascii=False).encode()
    report, failure = await run_in_threadpool(_submit, request, conn, session, body, JSON, lang)
    published = bool(report and report["published"])
    submitted = values.get("event_id", "").strip()
    seizure = await run_in_threadpool(_status, conn, session, submitted, lang) if published else None
    return await run_in_threadpool(_page, request, conn, session, lang, 200 if published else 422, report=report,
                                   failure=failure, values={} if published else values, seizure=seizure,
                                   looked_up=submitted if published else "", source="form")


@router.post("/submit/file")
async def submit_file(request: Request, conn: Connection) -> Response:
    """A CSV or JSON Lines file of seizures (multipart upload, at most MAX_BODY_BYTES)."""
    session = await run_in_threadpool(current_session, request, conn)
    require(session, may_submit)
    lang = page_lang(request)
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > DRAIN_LIMIT:
        return await run_in_threadpool(_page, request, conn, session, lang, 413,
                                       failure=w("body_too_large", lang, limit=LIMIT_TEXT), source="file")
    form = await request.form(max_files=1, max_fields=5)
    csrf = form.get("csrf")
    check_csrf(session, csrf if isinstance(csrf, str) else None)
    upload = form.get("file")
    failure: str | None = None
    report: dict[str, Any] | None = None
    if not isinstance(upload, UploadFile) or not upload.filename:
        failure = w("upload_missing", lang)
    else:
        data = await upload.read(MAX_BODY_BYTES + 1)
        kind = kind_of(upload.filename, upload.content_type)
        if len(data) > MAX_BODY_BYTES:
            failure = w("body_too_large", lang, limit=LIMIT_TEXT)
        elif kind is None:
            failure = w("upload_kind", lang)
        else:
            report, failure = await run_in_threadpool(_submit, request, conn, session, data, kind, lang)
    published = bool(report and report["published"])
    return await run_in_threadpool(_page, request, conn, session, lang, 200 if published else 422, report=report,
                                   failure=failure, source="file")
