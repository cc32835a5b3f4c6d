"""Plan the batch: read ``pipeline.yaml``, expand grids, check parameters, fingerprint runs.

A *run* is one notebook with one set of parameters. Runs are grouped in ordered
*stages*; a run depends on every run of the earlier stages unless it lists its own
``needs``. A *grid* expands one notebook over parameter values (for example one run per
municipality for a thesis).

Examples
--------
>>> from analysis.workspace import Workspace
>>> plan = load_pipeline(Workspace.discover())            # doctest: +SKIP
>>> [run.name for run in plan.runs]                        # doctest: +SKIP
['data_quality', 'survey', 'needs', 'workshops', 'diaries', 'coding_quality', 'findings']
"""

from __future__ import annotations

import ast
import glob
import hashlib
import itertools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analysis.config import load_config
from analysis.errors import ConfigError, PipelineError
from analysis.provenance.hashes import package_source_hash, sha256_file
from analysis.workspace import Workspace

#: Parameters the runner itself gives every notebook.
RUNNER_PARAMETERS = ("project_root", "run_name")


@dataclass(frozen=True)
class Run:
    """One notebook execution.

    Attributes
    ----------
    name : str
        Unique run name; names the output folders ``figures/<name>/`` and
        ``reports/tables/<name>/`` and the executed notebook.
    stage : str
        Name of the stage the run belongs to.
    notebook : str
        Notebook path relative to the project folder.
    parameters : dict
        Resolved parameters (defaults, run parameters, grid values, ``--set``
        overrides), without the runner's own ``project_root`` and ``run_name``.
    inputs : tuple of str
        Declared inputs (files or glob patterns relative to the workspace root or the
        project folder) whose content decides whether the run is up to date.
    needs : tuple of str
        Names of the runs this run depends on.
    outputs : tuple of str
        Extra output files (glob patterns relative to the workspace root) beyond the
        run's own folders, e.g. ``reports/findings.*`` for the assembly run.
    """

    name: str
    stage: str
    notebook: str
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()

    def output_paths(self, ws: Workspace) -> dict[str, Path]:
        """Folders and files this run writes."""
        return {
            "figures": ws.figures / self.name,
            "tables": ws.reports / "tables" / self.name,
            "registry": ws.reports / "registry" / f"{self.name}.json",
            "notebook": ws.reports / "notebooks" / f"{self.name}.ipynb",
        }


@dataclass
class Pipeline:
    """The planned batch: runs in execution order, grouped by stage."""

    file: Path
    stages: list[str]
    runs: list[Run]

    def run(self, name: str) -> Run:
        for run in self.runs:
            if run.name == name:
                return run
        raise PipelineError(
            f"no run named '{name}'", file=self.file, hint=f"Known runs: {', '.join(r.name for r in self.runs)}."
        )

    def dependants(self, name: str) -> set[str]:
        """Every run that depends, directly or not, on run ``name``."""
        found: set[str] = set()
        frontier = {name}
        while frontier:
            nxt = {r.name for r in self.runs if set(r.needs) & frontier} - found
            found |= nxt
            frontier = nxt
        return found


def _slug(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = "-".join(str(v) for v in value) or "all"
    text = str(value).lower()
    text = text.translate(str.maketrans("äöå", "aoa"))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "x"


def parse_override(text: str) -> tuple[str | None, str, Any]:
    """Parse one ``--set`` value: ``key=value`` or ``run.key=value``.

    The value is read as YAML, so ``0.01``, ``true``, ``[Kemi, Tornio]`` keep their types.

    Examples
    --------
    >>> parse_override("survey.alpha=0.01")
    ('survey', 'alpha', 0.01)
    >>> parse_override("municipalities=[Kemi, Tornio]")
    (None, 'municipalities', ['Kemi', 'Tornio'])
    """
    if "=" not in text:
        raise ConfigError(f"--set '{text}' is not key=value", hint="Write for example --set language=en.")
    key, raw = text.split("=", 1)
    key = key.strip()
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    run, _, name = key.rpartition(".")
    return (run or None), name, value


def load_pipeline(
    ws: Workspace,
    *,
    path: str | Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
) -> Pipeline:
    """Read and validate ``pipeline.yaml`` into a :class:`Pipeline`.

    Parameters
    ----------
    ws : Workspace
        The workspace (``pipeline.yaml`` is looked up in ``ws.project``).
    path : str or Path, optional
        Another pipeline file.
    overrides : sequence of str
        ``--set`` values: ``key=value`` applies to every run whose notebook has the
        parameter ``key``; ``run.key=value`` to one run.

    Raises
    ------
    ConfigError
        For a malformed file, duplicate run names, unknown ``needs`` or an override
        that no run accepts.
    """
    file = Path(path) if path else ws.project / "pipeline.yaml"
    load_parameter_cache(ws)
    doc = load_config(file, "pipeline")
    defaults = doc.get("defaults") or {}
    stages_doc = doc["stages"]

    parsed = [parse_override(o) for o in overrides]
    runs: list[Run] = []
    stage_names: list[str] = []
    earlier: list[str] = []
    for s_index, stage in enumerate(stages_doc):
        where = f"stages[{s_index}]"
        stage_name = str(stage["name"])
        stage_runs = stage["runs"]
        stage_names.append(stage_name)
        this_stage: list[str] = []
        for r_index, spec in enumerate(stage_runs):
            rwhere = f"{where}.runs[{r_index}]"
            name = str(spec["name"])
            notebook = str(spec["notebook"])
            params = dict(spec.get("parameters") or {})
            inputs = tuple(str(p) for p in (spec.get("inputs") or []))
            outputs = tuple(str(p) for p in (spec.get("outputs") or []))
            needs_spec = spec.get("needs")
            grid = spec.get("grid") or {}
            combos = [dict(zip(grid, combo)) for combo in itertools.product(*grid.values())] if grid else [{}]
            for combo in combos:
                run_name = name
                if combo:
                    fields = {k: _slug(v) for k, v in combo.items()}
                    try:
                        run_name = name.format(**fields) if "{" in name else f"{name}-" + "-".join(fields.values())
                    except KeyError as exc:
                        raise ConfigError(
                            f"run name '{name}' uses {{{exc.args[0]}}}, which is not a grid key",
                            file=file,
                            location=f"{rwhere}.name",
                        ) from None
                if needs_spec is None:
                    needs = tuple(earlier)
                elif needs_spec == "all":
                    needs = tuple(earlier)
                else:
                    needs = tuple(str(n) for n in needs_spec)
                resolved = {**params, **combo}
                runs.append(
                    Run(
                        name=run_name,
                        stage=stage_name,
                        notebook=notebook,
                        parameters=resolved,
                        inputs=inputs,
                        needs=needs,
                        outputs=outputs,
                    )
                )
                this_stage.append(run_name)
        earlier.extend(this_stage)

    names = [r.name for r in runs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"duplicate run name(s): {', '.join(duplicates)}", file=file, hint="Give every run a unique name.")
    stage_of = {r.name: stage_names.index(r.stage) for r in runs}
    for run in runs:
        unknown = [n for n in run.needs if n not in names]
        if unknown:
            raise ConfigError(f"run '{run.name}' needs unknown run(s) {unknown}", file=file)
        not_earlier = [n for n in run.needs if stage_of[n] >= stage_of[run.name]]
        if not_earlier:
            raise ConfigError(
                f"run '{run.name}' (stage '{run.stage}') needs {', '.join(not_earlier)}, "
                f"which is not in an earlier stage", file=file,
                hint="A run can need only runs of earlier stages; move it to a later stage.")

    # defaults and overrides apply where the notebook declares the parameter
    final: list[Run] = []
    used_overrides: set[int] = set()
    for run in runs:
        declared = notebook_parameters(ws.project / run.notebook)
        params = {k: v for k, v in defaults.items() if k in declared}
        params.update(run.parameters)
        for i, (target, key, value) in enumerate(parsed):
            if target in (None, run.name) and key in declared:
                params[key] = value
                used_overrides.add(i)
            elif target == run.name:
                raise ConfigError(
                    f"--set {target}.{key}: notebook {run.notebook} has no parameter '{key}'",
                    hint=f"Its parameters: {', '.join(sorted(declared))}.",
                )
        final.append(Run(run.name, run.stage, run.notebook, params, run.inputs, run.needs, run.outputs))
    save_parameter_cache(ws)
    for i, (target, key, _value) in enumerate(parsed):
        if i not in used_overrides:
            if target is not None and target not in names:
                raise ConfigError(f"--set {target}.{key}: no run named '{target}'", hint=f"Known runs: {', '.join(names)}.")
            raise ConfigError(f"--set {key}: no notebook in the batch has a parameter '{key}'")
    return Pipeline(file=file, stages=stage_names, runs=final)


def read_notebook(path: Path) -> dict[str, Any]:
    """A notebook as plain JSON (cheaper than importing nbformat for hashing and checks)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read the notebook ({exc})", file=path, hint="Is it a valid .ipynb file?") from None


def _cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


#: papermill's inspection of each notebook, keyed by the notebook's SHA-256 (see load_pipeline).
_PARAMETER_CACHE: dict[str, dict[str, dict]] = {}


def notebook_parameters(path: str | Path) -> dict[str, dict]:
    """The parameters a notebook declares in its ``parameters`` cell (papermill).

    Papermill only warns about a line of the cell it cannot parse and then ignores
    that parameter; here such a line is an error naming the line.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError("notebook not found", file=path, hint="Check 'notebook:' in pipeline.yaml.")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest in _PARAMETER_CACHE:
        return _PARAMETER_CACHE[digest]
    nb = read_notebook(path)
    cells = [c for c in nb.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise ConfigError(
            "the notebook has no cell tagged 'parameters'",
            file=path,
            hint="Tag the cell holding the defaults with 'parameters' (View → Cell metadata in JupyterLab).",
        )
    import papermill as pm

    params = pm.inspect_notebook(str(path))
    try:
        tree = ast.parse(_cell_source(cells[0]))
    except SyntaxError as exc:
        raise ConfigError(f"the parameters cell is not valid Python ({exc.msg})", file=path,
                          location=f"parameters cell, line {exc.lineno}") from None  # fmt: skip
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name) and target.id not in params:
                raise ConfigError(
                    f"papermill cannot read the parameter '{target.id}'",
                    file=path,
                    location=f"parameters cell, line {node.lineno}",
                    hint="Keep one 'name = value  # comment' per line, without '=' inside the comment.",
                )
    _PARAMETER_CACHE[digest] = {name: dict(info) for name, info in params.items()}
    return _PARAMETER_CACHE[digest]


def _parameter_cache_file(ws: Workspace) -> Path:
    return ws.reports / ".cache" / "notebook_parameters.json"


def load_parameter_cache(ws: Workspace) -> None:
    """Fill the in-memory inspection cache from ``reports/.cache`` (saves importing papermill)."""
    file = _parameter_cache_file(ws)
    if file.is_file():
        try:
            _PARAMETER_CACHE.update(json.loads(file.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            pass


def save_parameter_cache(ws: Workspace) -> None:
    file = _parameter_cache_file(ws)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f".{file.name}.tmp")
        tmp.write_text(json.dumps(_PARAMETER_CACHE, sort_keys=True), encoding="utf-8")
        os.replace(tmp, file)
    except OSError:
        pass


def _default_value(info: dict) -> Any:
    try:
        return ast.literal_eval(info.get("default", "None"))
    except (ValueError, SyntaxError):
        return _Unknown


class _Unknown:  # a default that is an expression: any value accepted
    pass


def _type_ok(value: Any, default: Any) -> bool:
    if default is _Unknown or default is None or value is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    if isinstance(default, dict):
        return isinstance(value, dict)
    return True


def validate_parameters(pipeline: Pipeline, ws: Workspace, only: list[str] | None = None) -> None:
    """Check every run's parameters against its notebook before anything runs.

    Papermill itself only warns about an unknown parameter; here an unknown name or a
    value whose type differs from the default's stops the batch at once.

    Raises
    ------
    PipelineError
        Listing every problem found, one per line.
    """
    problems: list[str] = []
    for run in pipeline.runs:
        if only and run.name not in only:
            continue
        nb_path = ws.project / run.notebook
        declared = notebook_parameters(nb_path)
        for name in RUNNER_PARAMETERS:
            if name not in declared:
                problems.append(f"run '{run.name}': notebook {run.notebook} lacks the parameter '{name}'")
        for key, value in run.parameters.items():
            if key not in declared:
                problems.append(
                    f"run '{run.name}': unknown parameter '{key}' (notebook {run.notebook} has: "
                    f"{', '.join(sorted(declared))})"
                )
                continue
            default = _default_value(declared[key])
            if not _type_ok(value, default):
                problems.append(
                    f"run '{run.name}': parameter '{key}' = {value!r} is {type(value).__name__}, "
                    f"but the notebook's default {declared[key].get('default')} is {type(default).__name__}"
                )
    if problems:
        raise PipelineError(
            "parameters do not match the notebooks:\n  " + "\n  ".join(problems),
            file=pipeline.file,
            hint="Fix pipeline.yaml or the --set values; nothing was run.",
        )


# --------------------------------------------------------------------------- fingerprints
def notebook_source_hash(path: Path) -> str:
    """Hash of a notebook's code and Markdown (outputs and metadata ignored)."""
    digest = hashlib.sha256()
    for cell in read_notebook(path).get("cells", []):
        digest.update(str(cell.get("cell_type", "")).encode())
        digest.update(b"\0")
        digest.update(_cell_source(cell).encode("utf-8"))
        digest.update(b"\1")
    return digest.hexdigest()


def resolve_inputs(run: Run, ws: Workspace) -> list[tuple[str, Path]]:
    """Expand a run's declared inputs to existing files, as (label, path) pairs, sorted.

    A pattern is looked up below the workspace root first (data), then the project
    folder (config); labels are the paths relative to that base.
    """
    found: dict[str, Path] = {}
    own = {p.resolve() for p in run.output_paths(ws).values()}
    registry_dir = ws.reports / "registry"
    for pattern in run.inputs:
        for base in (ws.root, ws.project):
            matches = sorted(Path(p) for p in glob.glob(str(base / pattern), recursive=True))
            files = [m for m in matches if m.is_file()]
            for m in matches:
                if m.is_dir():
                    files.extend(sorted(f for f in m.rglob("*") if f.is_file()))
            files = [f for f in files if f.resolve() not in own and not any(o in f.resolve().parents for o in own)]
            # another run's registry counts only when this run needs that run
            files = [f for f in files if f.parent != registry_dir or f.stem in run.needs]
            if files:
                for f in files:
                    found[str(f.relative_to(base))] = f
                break
    return sorted(found.items())


def run_fingerprint(run: Run, ws: Workspace, input_hashes: dict[str, str] | None = None) -> str:
    """The cache key of a run: notebook source, parameters, inputs and package source."""
    if input_hashes is None:
        input_hashes = {label: sha256_file(path) for label, path in resolve_inputs(run, ws)}
    payload = {
        "notebook": notebook_source_hash(ws.project / run.notebook),
        "parameters": run.parameters,
        "inputs": input_hashes,
        "package": package_source_hash(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
