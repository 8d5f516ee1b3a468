"""User-facing text in English and Spanish: one catalogue, looked up by key."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "error": {"en": "error", "es": "error"},
    "component": {"en": "component", "es": "componente"},
    "state": {"en": "state", "es": "estado"},
    "where": {"en": "where", "es": "dónde"},
    "hint": {"en": "hint", "es": "sugerencia"},
    "running": {"en": "running", "es": "en ejecución"},
    "stopped": {"en": "stopped", "es": "detenido"},
    "start_hint": {"en": "start it with: tracepipe stack up", "es": "inícielo con: tracepipe stack up"},
    "stack_up_done": {
        "en": "Local stack is up ({seconds:.1f} s).",
        "es": "El entorno local está en marcha ({seconds:.1f} s).",
    },
    "stack_down_done": {"en": "Local stack stopped.", "es": "Entorno local detenido."},
    "topics_ensured": {
        "en": "{created} topic(s) created, {existing} already present.",
        "es": "{created} tópico(s) creado(s), {existing} ya existían.",
    },
    "migrations_applied": {
        "en": "{count} migration(s) applied.",
        "es": "{count} migración(es) aplicada(s).",
    },
    "file_not_found": {"en": "no such file: {path}", "es": "no existe el archivo: {path}"},
    "publishing": {"en": "publishing", "es": "publicando"},
    "publish_summary": {
        "en": "{lines} line(s) read, {published} published, {rejected} rejected.",
        "es": "{lines} línea(s) leída(s), {published} publicada(s), {rejected} rechazada(s).",
    },
    "schemas_checked": {
        "en": "{records} record type(s), {versions} version(s): {problems} problem(s).",
        "es": "{records} tipo(s) de registro, {versions} versión(es): {problems} problema(s).",
    },
    "workers_starting": {"en": "starting workers: {names}", "es": "iniciando procesadores: {names}"},
    "topic": {"en": "topic", "es": "tópico"},
    "partitions": {"en": "partitions", "es": "particiones"},
    "cleanup": {"en": "cleanup", "es": "limpieza"},
    "retention": {"en": "retention", "es": "retención"},
    "purpose": {"en": "purpose", "es": "propósito"},
}


def t(key: str, lang: str = "en", **values: object) -> str:
    """Return the message `key` in `lang` (English if that language lacks it), formatted with `values`."""
    entry = MESSAGES[key]
    return entry.get(lang, entry["en"]).format(**values)
