"""``config/report.yaml``: titles, texts and layout rules of the report."""

from __future__ import annotations

import json
from pathlib import Path

from analysis.config import load_yaml
from analysis.errors import ConfigError
from analysis.findings import style

#: Fallback texts when ``config/report.yaml`` lacks a key.
DEFAULTS: dict = {
    "title": {"fi": "Tulokset", "en": "Findings"},
    "subtitle": None,
    "authors": [],
    "organisations": [],
    "language": "fi",
    "labels": {
        "figure": {"fi": "Kuvio", "en": "Figure"},
        "table": {"fi": "Taulukko", "en": "Table"},
        "source": {"fi": "Lähde", "en": "Source"},
        "notes": {"fi": "Huom.", "en": "Note"},
        "no_data": {"fi": "ei aineistoa", "en": "no data"},
        "failed_run": {
            "fi": "Ajo {run} epäonnistui; sen tuloksia ei ole otettu mukaan.",
            "en": "Run {run} failed; its findings are not included.",
        },
        "suppressed": {"fi": "Peitetyt solut: alle {k} havaintoa (<{k}).", "en": "Suppressed cells: fewer than {k} observations (<{k})."},
        "not_suppressed": {"fi": "Lukuja ei ole peitetty.", "en": "Counts are not suppressed."},
    },
    "sections": {
        "methods": {"fi": "Menetelmät", "en": "Methods"},
        "results": {"fi": "Tulokset", "en": "Findings"},
        "joint": {"fi": "Yhdistetty tarkastelu", "en": "Joint displays"},
        "appendix": {"fi": "Liite: jäljitettävyys", "en": "Appendix: provenance"},
    },
    "exclude_runs": ["findings*"],
    "runs": {},
    "columns": {},
    "value_columns": ["role", "speaker_role", "writer_role", "wave"],
    "hide_other_language_columns": True,
}


def _merge(default: object, value: object) -> object:
    if isinstance(default, dict) and isinstance(value, dict):
        return {**default, **{k: _merge(default.get(k), v) for k, v in value.items()}}
    return default if value is None else value


def load_report_config(path: str | Path | None = None) -> dict:
    """Read ``config/report.yaml`` merged over :data:`DEFAULTS`.

    Raises
    ------
    ConfigError
        When the file is not a mapping, the language is unknown or a text lacks fi/en.
    """
    if path is None:
        return json.loads(json.dumps(DEFAULTS))
    path = Path(path)
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping at the top level", file=path, hint="See the comments in the file.")
    config = _merge(json.loads(json.dumps(DEFAULTS)), data)
    if config["language"] not in style.LANGUAGES:
        raise ConfigError(f"unknown language {config['language']!r}", file=path, location="language", hint="Use fi or en.")
    for group in ("labels", "sections", "runs", "columns"):
        if not isinstance(config[group], dict):
            raise ConfigError(f"'{group}' must be a mapping", file=path, location=group)
        for key, text in config[group].items():
            if not isinstance(text, dict) or not all(isinstance(text.get(l), str) for l in style.LANGUAGES):
                raise ConfigError(
                    "expected Finnish and English texts", file=path, location=f"{group}.{key}", hint="Write {fi: ..., en: ...}."
                )
    for key in ("title",):
        if not isinstance(config[key], dict) or not all(isinstance(config[key].get(l), str) for l in style.LANGUAGES):
            raise ConfigError("expected Finnish and English texts", file=path, location=key, hint="Write {fi: ..., en: ...}.")
    for key in ("authors", "organisations", "exclude_runs", "value_columns"):
        if not isinstance(config[key], list):
            raise ConfigError(f"'{key}' must be a list", file=path, location=key)
    return config
