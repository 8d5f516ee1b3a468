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
    "scenario_needs_target": {
        "en": "say where the scenario goes: --out FOLDER and/or --to-kafka",
        "es": "indique adónde va el escenario: --out CARPETA y/o --to-kafka",
    },
    "scenario_written": {"en": "{count} event(s) written to {path}", "es": "{count} evento(s) escritos en {path}"},
    "scenario_published": {"en": "{count} event(s) published", "es": "{count} evento(s) publicados"},
    "unknown_bench": {
        "en": "unknown benchmark {name!r}; choose one of: {choices}",
        "es": "prueba de rendimiento desconocida {name!r}; elija una de: {choices}",
    },
    "records_seeded": {
        "en": "{rows:,} record rows loaded in {seconds:.1f} s ({rate:,.0f} rows/s).",
        "es": "{rows:,} filas de registros cargadas en {seconds:.1f} s ({rate:,.0f} filas/s).",
    },
    "topic": {"en": "topic", "es": "tópico"},
    "partitions": {"en": "partitions", "es": "particiones"},
    "cleanup": {"en": "cleanup", "es": "limpieza"},
    "retention": {"en": "retention", "es": "retención"},
    "purpose": {"en": "purpose", "es": "propósito"},
    "lag_title": {"en": "Consumer lag per partition", "es": "Retraso de consumo por partición"},
    "lag_stages_title": {"en": "Lag per stage (input topic)", "es": "Retraso por etapa (tópico de entrada)"},
    "lag_group": {"en": "group", "es": "grupo"},
    "lag_partition": {"en": "partition", "es": "partición"},
    "lag_committed": {"en": "committed", "es": "confirmado"},
    "lag_end": {"en": "end", "es": "final"},
    "lag_lag": {"en": "lag", "es": "retraso"},
    "lag_seconds_behind": {"en": "behind", "es": "atraso"},
    "lag_stage": {"en": "stage", "es": "etapa"},
    "lag_state": {"en": "group state", "es": "estado del grupo"},
    "lag_group_total": {"en": "total", "es": "total"},
    "lag_changelog": {"en": "(changelog)", "es": "(changelog)"},
    "lag_never_committed": {
        "en": "- = never committed: lag counted from the oldest record still kept (log start); ? = age unknown",
        "es": "- = nunca confirmado: retraso contado desde el registro más antiguo conservado; ? = edad desconocida",
    },
    "lag_taken_at": {"en": "taken at {when}", "es": "tomado a las {when}"},
    "lag_no_groups": {"en": "No consumer groups match.", "es": "Ningún grupo de consumidores coincide."},
    "lag_watch_positive": {
        "en": "--watch must be a positive number of seconds, got {value}",
        "es": "--watch debe ser un número positivo de segundos, se recibió {value}",
    },
}


def t(key: str, lang: str = "en", **values: object) -> str:
    """Return the message `key` in `lang` (English if that language lacks it), formatted with `values`."""
    entry = MESSAGES[key]
    return entry.get(lang, entry["en"]).format(**values)
