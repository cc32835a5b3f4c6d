"""Who the coders are: ``config/coders.yaml`` and the display names QDA tools write.

The writer puts each coder in the REFI-QDA ``<Users>`` list with ``User@id`` = the workspace
coder id and ``User@name`` = a display name (the built-in ``"Jäkälä auto-coder"`` for
``auto``). On import, a coding's ``creatingUser`` is looked up in ``<Users>``; tools that drop
``User@id`` on export (QualCoder keeps only guid and name) return the display name, which
:func:`coder_id` maps back to the coder id by the built-in names and the ``names:`` of
``config/coders.yaml`` (:func:`load_coders`), case- and space-insensitively, so the
auto-coder's codings are not counted as another human coder.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


#: Display names of well-known coders.
_USER_NAMES = {"auto": "Jäkälä auto-coder"}


@dataclass(frozen=True)
class CoderConfig:
    """Who the coders are (``config/coders.yaml``).

    Attributes
    ----------
    names : dict
        Display name in a QDA tool → workspace coder id (adds to the built-in names).
    exclude : tuple of str
        Coder ids left out of the manual codings and the inter-coder agreement (the
        auto-coder; a trainee's test coding …).
    """

    names: dict[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ("auto",)

    def as_kwargs(self) -> dict:
        """Keyword arguments of :func:`analysis.coding.coding_sheet.read_codings_folder`."""
        return {"coder_names": dict(self.names), "exclude_coders": tuple(self.exclude)}


def load_coders(path: str | Path) -> CoderConfig:
    """Read ``config/coders.yaml``: ``names`` (display name → coder id) and ``exclude_from_agreement``.

    Raises
    ------
    ConfigError
        For an unknown key or values of the wrong type (the message names the key).

    Examples
    --------
    >>> from analysis.workspace import PACKAGE_PROJECT_DIR
    >>> load_coders(PACKAGE_PROJECT_DIR / "config" / "coders.yaml").exclude
    ('auto',)
    """
    from analysis.config import load_config

    data = load_config(path, "coders")
    names = data.get("names") or {}
    exclude = data.get("exclude_from_agreement", ["auto"])
    exclude = [exclude] if isinstance(exclude, str) else (exclude or [])
    return CoderConfig(names={str(k): str(v) for k, v in names.items()}, exclude=tuple(exclude))


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", str(name)).split()).casefold()


def coder_id(name: str | None, names: Mapping[str, str] | None = None) -> str | None:
    """The workspace coder id of a display name (built-in names and ``names``), else the name.

    Examples
    --------
    >>> coder_id("Jäkälä auto-coder"), coder_id("  jäkälä  AUTO-coder "), coder_id("Liisa")
    ('auto', 'auto', 'Liisa')
    """
    if name is None:
        return None
    lookup = {_name_key(display): cid for cid, display in _USER_NAMES.items()}
    lookup.update({_name_key(display): str(cid) for display, cid in (names or {}).items()})
    return lookup.get(_name_key(name), name)
