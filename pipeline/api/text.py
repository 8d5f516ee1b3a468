"""The API's user-facing text in English and Spanish, and how a request picks its language."""

from __future__ import annotations

from pipeline.i18n import MESSAGES, t

LANGS = ("en", "es")

API_MESSAGES: dict[str, dict[str, str]] = {
    "unauthorized": {"en": "a valid account token is required (Authorization: Bearer <token>)",
                     "es": "se requiere un token de cuenta válido (Authorization: Bearer <token>)"},
    "forbidden": {"en": "your role ({role}) may not do this", "es": "su rol ({role}) no permite esta acción"},
    "not_found": {"en": "not found", "es": "no encontrado"},
    "invalid_request": {"en": "invalid request", "es": "solicitud no válida"},
    "invalid_field": {"en": "{field}: {problem}", "es": "{field}: {problem}"},
    "invalid_cursor": {"en": "the page cursor is not valid; start again without it",
                       "es": "el cursor de página no es válido; empiece de nuevo sin él"},
    "reason_required": {"en": "reading purchaser identity needs a reason (?reason=...)",
                        "es": "leer la identidad del comprador requiere un motivo (?reason=...)"},
    "database_unavailable": {"en": "the database is unavailable; try again shortly",
                             "es": "la base de datos no está disponible; intente de nuevo en un momento"},
    "broker_unavailable": {"en": "the message broker is unavailable; nothing was published, try again shortly",
                           "es": "el intermediario de mensajes no está disponible; no se publicó nada, "
                                 "intente de nuevo en un momento"},
    "agency_mismatch": {"en": "agency_id {given!r} is not your agency ({own}): an account submits only as its agency",
                        "es": "agency_id {given!r} no es su agencia ({own}): una cuenta solo envía como su agencia"},
    # Seizure submission (routes/submissions.py, submit.py); per-record reasons of the CLI are agency_file.REASONS.
    "body_too_large": {"en": "the body is larger than {limit}: send at most {limit} per request",
                       "es": "el cuerpo supera {limit}: envíe como máximo {limit} por solicitud"},
    "too_many_records": {"en": "at most {limit} records per request",
                         "es": "como máximo {limit} registros por solicitud"},
    "unsupported_media_type": {"en": "send the seizures as {types}, in UTF-8 (the Content-Type header)",
                               "es": "envíe los aseguramientos como {types}, en UTF-8 (el encabezado Content-Type)"},
    "bad_json_body": {"en": "the body is not valid JSON (line {line}, column {column})",
                      "es": "el cuerpo no es JSON válido (línea {line}, columna {column})"},
    "too_deeply_nested": {"en": "the JSON is nested too deeply", "es": "el JSON está anidado a demasiada profundidad"},
    "body_not_records": {"en": "the body must be a JSON object or an array of objects",
                         "es": "el cuerpo debe ser un objeto JSON o un arreglo de objetos"},
    "bad_csv": {"en": "the CSV cannot be read: {problem}", "es": "el CSV no se puede leer: {problem}"},
    "no_records": {"en": "the body holds no records", "es": "el cuerpo no contiene registros"},
    "records_rejected": {"en": "nothing was published: every record was rejected (see errors)",
                         "es": "no se publicó nada: se rechazaron todos los registros (vea errors)"},
    "record_not_encodable": {"en": "the record does not fit the seizure schema: {detail}",
                             "es": "el registro no se ajusta al esquema de aseguramientos: {detail}"},
    "record_not_confirmed": {"en": "the broker did not confirm this record; send it again (a re-send is recognised "
                                   "as a duplicate)",
                             "es": "el intermediario de mensajes no confirmó este registro; envíelo de nuevo (un "
                                   "reenvío se reconoce como duplicado)"},
    # Operations (routes/admin.py)
    "lag_unavailable": {"en": "consumer lag could not be read from the broker; try again shortly",
                        "es": "no se pudo leer el retraso de consumo del intermediario de mensajes; intente de nuevo "
                              "en un momento"},
    "status_received": {"en": "received; the pipeline has not read it yet",
                        "es": "recibido; el sistema aún no lo ha procesado"},
}


def say(key: str, lang: str, **values: object) -> str:
    """The message `key` in `lang`: the API's catalogue first, then the project's."""
    entry = API_MESSAGES.get(key)
    if entry is None:
        return t(key, lang, **values) if key in MESSAGES else key
    return entry.get(lang, entry["en"]).format(**values)


def negotiate(lang_param: str | None, accept_language: str | None, default: str) -> str:
    """`?lang=` if it names en or es, else the best of Accept-Language, else the default."""
    if lang_param and lang_param.lower()[:2] in LANGS:
        return lang_param.lower()[:2]
    best: tuple[float, str] | None = None
    for part in (accept_language or "")[:500].split(","):
        tag, _, params = part.strip().partition(";")
        code = tag.strip().lower()[:2]
        if code not in LANGS:
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if best is None or quality > best[0]:
            best = (quality, code)
    return best[1] if best else default
