"""Raw → processed: read, validate, pseudonymise, quarantine, write atomically.

Driven by the data manifest (``data/raw/manifest.yaml``, see ``docs/architecture.md``):

1. every source is read by its reader (:mod:`analysis.io`), which reads and does not judge;
2. surveys are matched to their instrument (:mod:`analysis.survey.instrument`); rows that
   cannot be used go to the ``quarantine`` table with the reason, nothing is dropped;
3. respondent codes, speaker labels, voice names and diary writers become stable
   pseudonyms from the key in ``data/keys/`` (:mod:`analysis.privacy`); identity codes,
   phone numbers, e-mail addresses, street addresses and known names in free text are
   replaced by bracketed markers;
4. transcripts and diaries are segmented, tokenised and lemmatised once
   (:mod:`analysis.text.pipeline`) so no notebook re-lemmatises the corpus;
5. every table is written to a staging folder, the key is saved, and the staging
   folder replaces ``data/processed/`` in one rename. A failed ingestion leaves
   ``data/processed/`` exactly as it was.

Each source's results are cached in ``data/processed/cache/<source>-<hash>/``; the hash
covers the file's bytes, its manifest entry, the instrument (surveys), every file of
``config/text/`` (workshops and diaries), ``config/diary_form.yaml`` (diaries), the names
to redact, the lemmatiser backend with its version and the ``analysis`` package source,
so only changed inputs are recomputed. Every other workspace file the ingestion opens is
recorded (:mod:`analysis.provenance.reads`) in ``ingest_state.json`` (``reads``); when one
of them changes the next ingestion ignores the cache. That file also records the data
manifest's and the config files' SHA-256 and each raw file's size and time, which
``jakala run`` checks before any kernel starts (:func:`check_ingested`).
``ingest_report.json`` (read by the data-quality notebook) holds only what the data and
config determine, and warns when the quarantine takes more than
``quarantine_warning_share`` (``config/ingest.yaml``) of a source.

The modules, one concern each (the public API is re-exported here):

* :mod:`analysis.ingest.manifest`: the data manifest (:func:`load_manifest`);
* :mod:`analysis.ingest.sources`: one raw source → its pseudonymised, redacted tables
  and quarantine;
* :mod:`analysis.ingest.cache`: the per-source cache, what its key covers, the recorded reads;
* :mod:`analysis.ingest.state`: what ``data/processed/`` holds and the pre-run check
  (:func:`check_ingested`, :func:`survey_instruments`);
* :mod:`analysis.ingest.report`: what an ingestion did (:class:`IngestReport`);
* :mod:`analysis.ingest.staging`: one ingestion (:func:`ingest`), written to a staging
  folder and swapped in.

This package imports nothing of :mod:`analysis.pipeline` (the batch imports it, not the
other way round); what both need is in :mod:`analysis.provenance`.
"""

from analysis.ingest.cache import lemmatiser_info
from analysis.ingest.manifest import SPEAKER_ROLES, WAVES, WORK_PACKAGES, Manifest, Source, load_manifest
from analysis.ingest.report import IngestReport, quarantine_warnings
from analysis.ingest.staging import ingest
from analysis.ingest.state import STATE_FILE, SURVEYS_FILE, TABLES, check_ingested, survey_instruments

__all__ = [
    "IngestReport",
    "Manifest",
    "SPEAKER_ROLES",
    "STATE_FILE",
    "SURVEYS_FILE",
    "Source",
    "TABLES",
    "WAVES",
    "WORK_PACKAGES",
    "check_ingested",
    "ingest",
    "lemmatiser_info",
    "load_manifest",
    "quarantine_warnings",
    "survey_instruments",
]
