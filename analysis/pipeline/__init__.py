"""The batch: plan runs from ``pipeline.yaml`` and execute them with papermill."""

from analysis.pipeline.plan import Pipeline, Run, load_pipeline, validate_parameters
from analysis.pipeline.run import BatchResult, PlannedRun, RunResult, explain, run_batch, summary_lines

__all__ = [
    "BatchResult",
    "Pipeline",
    "PlannedRun",
    "Run",
    "RunResult",
    "explain",
    "load_pipeline",
    "run_batch",
    "summary_lines",
    "validate_parameters",
]
