"""The web app's words in English and Spanish, and dates and numbers in the reader's locale (Babel)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from pipeline.api.text import say

LOCALES = {"en": "en_US", "es": "es_MX"}

WEB_MESSAGES: dict[str, dict[str, str]] = {
    "app_title": {"en": "tracepipe: firearm traces", "es": "tracepipe: rastreo de armas"},
    "skip_to_content": {"en": "Skip to content", "es": "Ir al contenido"},
    "nav_search": {"en": "Search", "es": "Búsqueda"},
    "nav_submit": {"en": "Submit", "es": "Enviar"},
    "nav_duplicates": {"en": "Possible duplicates", "es": "Posibles duplicados"},
    "nav_leads": {"en": "Leads", "es": "Pistas"},
    "sign_in": {"en": "Sign in", "es": "Iniciar sesión"},
    "sign_out": {"en": "Sign out", "es": "Cerrar sesión"},
    "token_label": {"en": "Account token", "es": "Token de la cuenta"},
    "token_help": {"en": "The token your administrator gave you (tpk_…).",
                   "es": "El token que le entregó su administrador (tpk_…)."},
    "sign_in_failed": {"en": "That token is not valid, has expired or was revoked.",
                       "es": "Ese token no es válido, venció o fue revocado."},
    "signed_in_as": {"en": "{agency} · {role}", "es": "{agency} · {role}"},
    "language": {"en": "Language", "es": "Idioma"},
    "csrf_failed": {"en": "The form expired; please try again.", "es": "El formulario expiró; intente de nuevo."},
    "page_not_found": {"en": "Not found.", "es": "No encontrado."},
    "search_title": {"en": "Search traces", "es": "Buscar rastreos"},
    "filters": {"en": "Filters", "es": "Filtros"},
    "f_serial": {"en": "Serial", "es": "Número de serie"},
    "f_serial_near": {"en": "Also one typo away", "es": "También con un error de captura"},
    "f_maker": {"en": "Maker", "es": "Fabricante"},
    "f_model": {"en": "Model", "es": "Modelo"},
    "f_caliber": {"en": "Caliber", "es": "Calibre"},
    "f_state": {"en": "Recovered in (state)", "es": "Asegurada en (estado)"},
    "f_any": {"en": "any", "es": "cualquiera"},
    "f_outcome": {"en": "Outcome", "es": "Resultado"},
    "f_from": {"en": "Recovered from", "es": "Asegurada desde"},
    "f_to": {"en": "Recovered until", "es": "Asegurada hasta"},
    "f_ttc_max": {"en": "Time to crime at most (days)", "es": "Tiempo al delito máximo (días)"},
    "f_source_state": {"en": "US source state", "es": "Estado de origen en EE. UU."},
    "f_sort": {"en": "Sort by", "es": "Ordenar por"},
    "sort_recent": {"en": "newest recovery", "es": "aseguramiento más reciente"},
    "sort_oldest": {"en": "oldest recovery", "es": "aseguramiento más antiguo"},
    "sort_ttc": {"en": "shortest time to crime", "es": "menor tiempo al delito"},
    "apply": {"en": "Search", "es": "Buscar"},
    "clear": {"en": "Clear", "es": "Limpiar"},
    "export_csv": {"en": "Export this search (CSV)", "es": "Exportar esta búsqueda (CSV)"},
    "results": {"en": "Results", "es": "Resultados"},
    "no_results": {"en": "No trace matches.", "es": "Ningún rastreo coincide."},
    "next_page": {"en": "Next page", "es": "Página siguiente"},
    "first_page": {"en": "First page", "es": "Primera página"},
    "col_trace": {"en": "Trace", "es": "Rastreo"},
    "col_firearm": {"en": "Firearm", "es": "Arma"},
    "col_recovered": {"en": "Recovered", "es": "Asegurada"},
    "col_outcome": {"en": "Outcome", "es": "Resultado"},
    "col_ttc": {"en": "Time to crime", "es": "Tiempo al delito"},
    "col_source": {"en": "Source", "es": "Origen"},
    "days_n": {"en": "{n} days", "es": "{n} días"},
    "short_ttc": {"en": "under 3 years", "es": "menos de 3 años"},
    "map_mexico": {"en": "Recoveries by Mexican state (this search)", "es": "Aseguramientos por estado de México (esta búsqueda)"},
    "map_usa": {"en": "First retail sale by US state (this search)", "es": "Primera venta al menudeo por estado de EE. UU. (esta búsqueda)"},
    "outcome_COMPLETED": {"en": "completed", "es": "completado"},
    "outcome_CLOSED": {"en": "closed", "es": "cerrado"},
    "trace_title": {"en": "Trace {trace}", "es": "Rastreo {trace}"},
    "custody": {"en": "Chain of custody", "es": "Cadena de custodia"},
    "party_MANUFACTURER": {"en": "Manufacturer", "es": "Fabricante"},
    "party_IMPORTER": {"en": "Importer", "es": "Importador"},
    "party_WHOLESALER": {"en": "Wholesaler", "es": "Mayorista"},
    "party_DEALER": {"en": "Dealer (FFL)", "es": "Armería (FFL)"},
    "party_PURCHASER": {"en": "First purchaser", "es": "Primer comprador"},
    "recoveries": {"en": "Recoveries in Mexico", "es": "Aseguramientos en México"},
    "hidden_recoveries": {"en": "{n} more recovered by agencies you cannot see", "es": "{n} más aseguradas por agencias que usted no puede ver"},
    "time_to_crime": {"en": "Time to crime", "es": "Tiempo al delito"},
    "ttc_short": {"en": "under 3 years: a trafficking indicator", "es": "menos de 3 años: indicador de tráfico"},
    "ttc_long": {"en": "3 years or more", "es": "3 años o más"},
    "close_reason": {"en": "Result", "es": "Resultado"},
    "duplicates_here": {"en": "Possible duplicates", "es": "Posibles duplicados"},
    "none": {"en": "none", "es": "ninguno"},
    "stage_timings": {"en": "Time in each stage", "es": "Tiempo en cada etapa"},
    "seconds_n": {"en": "{n} s", "es": "{n} s"},
    "purchaser": {"en": "Purchaser identity", "es": "Identidad del comprador"},
    "purchaser_reason": {"en": "Reason for this read (recorded in the audit log)", "es": "Motivo de esta consulta (queda en la bitácora de auditoría)"},
    "purchaser_show": {"en": "Show purchaser", "es": "Mostrar comprador"},
    "purchaser_ref_note": {"en": "Shown as a pseudonym; only investigators may see the identity.", "es": "Se muestra como seudónimo; solo los investigadores pueden ver la identidad."},
    "agency": {"en": "Agency", "es": "Agencia"},
    "full_name": {"en": "Name", "es": "Nombre"},
    "born": {"en": "Born", "es": "Fecha de nacimiento"},
    "address": {"en": "Address", "es": "Domicilio"},
    "place": {"en": "Where", "es": "Dónde"},
    "when": {"en": "When", "es": "Cuándo"},
    "forbidden_page": {"en": "Your role may not see this page.", "es": "Su rol no permite ver esta página."},
}


def w(key: str, lang: str, **values: object) -> str:
    """The web text `key` in `lang`; falls back to the API's and the project's catalogues."""
    entry = WEB_MESSAGES.get(key)
    if entry is None:
        return say(key, lang, **values)
    return entry.get(lang, entry["en"]).format(**values)


def number(value: Any, lang: str) -> str:
    """1,234 or 1 234 / 1,234 as the locale writes it; '—' for nothing."""
    return "—" if value is None else format_decimal(value, locale=LOCALES[lang])


def day(value: date | str | None, lang: str) -> str:
    """A date as the locale writes it (27 jul 2024 / Jul 27, 2024)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_date(value, format="medium", locale=LOCALES[lang])


def moment(value: datetime | str | None, lang: str) -> str:
    """A timestamp as the locale writes it."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value, format="medium", locale=LOCALES[lang])
