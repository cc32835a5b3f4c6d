"""The ``jakala`` command: a small command line over the package's Python API.

Each sub-command is a thin wrapper; the work is done by functions in ``analysis``.
Errors of the workspace's own types are printed as one line (file, location, what to
do) and end with a non-zero exit code; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from analysis.errors import JakalaError, LeakError
from analysis.workspace import Workspace


def _workspace(args: argparse.Namespace) -> Workspace:
    return Workspace.discover(root=args.root, project=args.project)


# --------------------------------------------------------------------------- commands
def cmd_demo_data(args: argparse.Namespace) -> int:
    """Write the synthetic raw data (and its manifest)."""
    from analysis.synthetic import generate

    ws = _workspace(args)
    out = Path(args.out) if args.out else ws.raw
    if args.if_empty and out.is_dir():
        present = sorted(p.name for p in out.iterdir() if p.name not in (".gitkeep", "README.md"))
        if present:
            print(f"{out} already holds data ({', '.join(present[:5])}{' …' if len(present) > 5 else ''}); "
                  "not generating demo data.")
            return 0
    started = time.perf_counter()
    manifest = generate(out, seed=args.seed, scale=args.scale)
    print(f"Synthetic raw data (seed {args.seed}, scale {args.scale}) written to {out} in "
          f"{time.perf_counter() - started:.1f} s; manifest: {manifest}")  # fmt: skip
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    """Raw → processed: read, validate, pseudonymise, quarantine, write atomically."""
    from analysis.ingest import ingest

    from analysis.workspace import workspace_lock

    ws = _workspace(args)
    with workspace_lock(ws, "jakala ingest", wait=args.wait):
        report = ingest(ws, manifest=Path(args.manifest) if args.manifest else None, force=args.force)
    for line in report.summary_lines():
        print(line)
    for warning in report.warnings:
        print(f"jakala ingest: warning: {warning}", file=sys.stderr)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Show what the batch would run, with resolved parameters, and why."""
    from analysis.pipeline import explain, load_pipeline

    ws = _workspace(args)
    pipeline = load_pipeline(ws, path=args.pipeline, overrides=args.set or [])
    rows = explain(pipeline, ws, force=args.force, only=args.only)
    if any(p.startswith("data/processed") for row in rows if row.action == "run" for p in row.run.inputs):
        from analysis.ingest import check_ingested

        problem = check_ingested(ws)
        if problem:
            print(f"Before the batch can run: {problem}.")
    current = None
    for row in rows:
        run = row.run
        if run.stage != current:
            current = run.stage
            print(f"[{current}]")
        params = ", ".join(f"{k}={v!r}" for k, v in run.parameters.items())
        print(f"  {row.action:<12} {run.name:<28} {run.notebook}  ({row.reason})")
        if params:
            print(f"  {'':<12} {'':<28} {params}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the papermill batch, then the leak gate."""
    from analysis.pipeline import load_pipeline, run_batch, summary_lines

    from analysis.workspace import workspace_lock

    ws = _workspace(args)
    pipeline = load_pipeline(ws, path=args.pipeline, overrides=args.set or [])
    with workspace_lock(ws, "jakala run", wait=args.wait):
        batch = run_batch(
            pipeline,
            ws,
            only=args.only,
            force=args.force,
            jobs=args.jobs,
            kernel=args.kernel,
            execution_timeout=args.cell_timeout,
            progress=not args.no_progress,
            warm_kernels=args.warm_kernels,
            scan=not args.no_scan,
        )
        for line in summary_lines(batch, ws):  # with the reports of the leak gate and the disclosure audit
            print(line)
    batch.raise_for_status()
    findings = ws.reports / "findings.html"
    if findings.is_file():
        print(f"\nFindings: {findings}")
        for other in ("findings.docx", "findings.md", "tables.xlsx"):
            if (ws.reports / other).is_file():
                print(f"          {ws.reports / other}")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    """Scan files or folders for identity codes, phone numbers, e-mails and key names."""
    from analysis.pipeline.checks import scan_targets
    from analysis.privacy import PseudonymKey, format_findings, scan_paths

    ws = _workspace(args)
    key = PseudonymKey.load(ws.keys)
    paths = [Path(p) for p in args.paths] or scan_targets(ws)
    found = scan_paths(paths, key=key)
    if found:
        print(format_findings(found))
        raise LeakError(f"{len(found)} identifier(s) found", hint="Remove them before anything is published.")
    print(f"No identifiers found in {', '.join(str(p) for p in paths)}.")
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    """Write an anonymised data package for the Finnish Social Science Data Archive."""
    from analysis.privacy import write_archive

    ws = _workspace(args)
    extra = [ws.resolve_config(p) for p in ("config/instrument_professionals.yaml", "config/instrument_needs.yaml",
                                           "config/codebook.yaml")]  # fmt: skip
    out = write_archive(ws, Path(args.out), config_files=[p for p in extra if p.is_file()])
    print(f"Archive package written to {out}")
    return 0


def cmd_qdpx(args: argparse.Namespace) -> int:
    """Export coded transcripts and diaries as a REFI-QDA project (.qdpx) or codebook (.qdc)."""
    from analysis.coding.refi import export_qdc, export_workspace_qdpx

    ws = _workspace(args)
    out_path = Path(args.out)
    if out_path.suffix.lower() == ".qdc":
        from analysis.coding.codebook import load_codebook

        out = export_qdc(out_path, load_codebook(ws.resolve_config(args.codebook)).codes)
    else:
        out = export_workspace_qdpx(out_path, root=ws.root, codebook=str(ws.resolve_config(args.codebook)),
                                    unit=args.unit)  # fmt: skip
    print(f"REFI-QDA export written to {out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Re-assemble the findings report from the registries of earlier runs."""
    from analysis.findings.report import write_report

    ws = _workspace(args)
    runs = list(args.runs or [])
    out_dir = Path(args.out) if args.out else (Path("reports") / "drafts" / "+".join(runs) if runs else None)
    paths = write_report(ws.root, language=args.language, out_dir=out_dir, include_runs=runs or None)
    for fmt, path in paths.items():
        print(f"{fmt:<5} {path}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure ingestion, batch, re-runs and the text pipeline at several scales."""
    from analysis.bench import run_benchmark

    table = run_benchmark(scales=args.scales, out=Path(args.out), jobs=args.jobs, keep=args.keep)
    print(table)
    return 0


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jakala",
        description="Jäkälä analysis workspace: synthetic data, ingestion, the papermill batch and its checks.",
    )
    parser.add_argument("--root", help="workspace root holding data/, figures/, reports/ (default: the project)")
    parser.add_argument("--project", help="project folder holding pipeline.yaml, config/, notebooks/")
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, func: Callable, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=(func.__doc__ or help_).strip())
        p.set_defaults(func=func)
        return p

    p = add("demo-data", cmd_demo_data, "write the synthetic raw data")
    p.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
    p.add_argument("--scale", type=int, default=1, help="multiply respondents, transcripts and entries (default 1)")
    p.add_argument("--out", help="output folder (default data/raw of the workspace)")
    p.add_argument("--if-empty", action="store_true", help="do nothing when the folder already holds any data")

    p = add("ingest", cmd_ingest, "raw → processed")
    p.add_argument("--manifest", help="data manifest (default data/raw/manifest.yaml)")
    p.add_argument("--force", action="store_true", help="re-process every file, ignoring the per-file cache")
    p.add_argument("--wait", action="store_true",
                   help="if another batch or ingestion is using the workspace, wait for it instead of refusing")

    def batch_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--pipeline", help="pipeline file (default pipeline.yaml)")
        p.add_argument("--only", action="append", metavar="RUN", help="only this run (repeatable)")
        p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter (run.key=value for one run)")
        p.add_argument("--force", action="store_true", help="re-run even what is up to date")

    p = add("list", cmd_list, "show what the batch would run and why")
    batch_options(p)

    p = add("run", cmd_run, "run the papermill batch and the leak gate")
    batch_options(p)
    p.add_argument("--jobs", type=int, default=None, help="parallel runs per stage (default: number of cores)")
    p.add_argument("--kernel", help="Jupyter kernel name (default: jakala if registered, else python3)")
    p.add_argument("--cell-timeout", type=int, default=1800, help="seconds one cell may take (default 1800)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-scan", action="store_true", help="skip the leak gate (never before publishing)")
    p.add_argument("--warm-kernels", action=argparse.BooleanOptionalAction, default=True,
                   help="reuse each worker's kernel across runs, reset to a fresh state before each run "
                        "(imports paid once; the default); --no-warm-kernels: a new kernel for every run")
    p.add_argument("--wait", action="store_true",
                   help="if another batch or ingestion is using the workspace, wait for it instead of refusing")

    p = add("scan", cmd_scan, "leak gate: scan outputs for identifiers")
    p.add_argument("paths", nargs="*", help="files or folders (default: reports/, figures/, data/processed/)")

    p = add("archive", cmd_archive, "write an anonymised package for the Data Archive")
    p.add_argument("out", help="output folder")

    p = add("qdpx", cmd_qdpx, "export a REFI-QDA project (.qdpx) or codebook (.qdc)")
    p.add_argument("out", help="output file, .qdpx or .qdc")
    p.add_argument("--codebook", default="config/codebook.yaml", help="codebook YAML")
    p.add_argument("--unit", default="turn", choices=["turn", "sentence"], help="auto-coding unit for transcripts")

    p = add("report", cmd_report, "re-assemble reports/findings.* from the run registries")
    p.add_argument("--language", default="fi", choices=["fi", "en"])
    p.add_argument("--out", help="output folder (default reports/, or reports/drafts/<runs> for --runs)")
    p.add_argument("--runs", nargs="+", metavar="RUN",
                   help="a subset draft of these runs only (e.g. a thesis on survey-tornio); shell patterns allowed")

    p = add("bench", cmd_bench, "benchmark at several data scales")
    p.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", default="bench/results", help="where workspaces and the table go")
    p.add_argument("--keep", action="store_true", help="keep the benchmark workspaces")
    return parser


def _warning_printer(command: str, default):  # noqa: ANN001 - the warnings.showwarning signature
    """Print the workspace's own warnings as ``jakala <command>: warning: …``; others as Python does."""

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        if category.__module__.startswith("analysis."):
            print(f"jakala {command}: warning: {message}", file=file or sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jakala`` console script."""
    import warnings

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_printer(args.command, warnings.showwarning)
            return int(args.func(args) or 0)
    except JakalaError as exc:
        if args.debug:
            raise
        print(f"jakala {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
