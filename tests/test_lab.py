"""JupyterLab as the workbench: scratch runs, inline findings, the batch kept intact, `make lab`, QDA tools.

The slow part (marked ``integration``) prepares one small batch workspace (demo data,
ingestion, three runs of the batch) and executes notebooks with nbclient the way
JupyterLab does: from a ``notebooks/`` folder, with the parameters cell's defaults, and
once with a changed parameter. Afterwards the batch's ``reports/``, ``figures/`` and
manifest must be byte-identical, and ``jakala report`` must build the batch's draft.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.coding import explore  # noqa: E402
from analysis.coding.codebook import Codebook  # noqa: E402
from analysis.errors import ConfigError, DataError  # noqa: E402
from analysis.findings import Registry, load_registries, style  # noqa: E402
from analysis.findings import registry as registry_module  # noqa: E402
from analysis.findings.registry import UnrecordedRunWarning, is_scratch_run, scratch_dir  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]
CAPTION = {"fi": "Pylväät", "en": "Bars"}


def _figure():
    fig, ax = style.new_figure("half", height_cm=4)
    ax.bar(["a", "b"], [3, 4])
    return fig


def _tree_hashes(root: Path, *names: str) -> dict[str, str]:
    out = {}
    for name in names:
        path = root / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            out[file.relative_to(root).as_posix()] = hashlib.sha256(file.read_bytes()).hexdigest()
    return out


# --------------------------------------------------------------------------- parameters cells
@pytest.mark.parametrize("path", sorted((PROJECT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_defaults_to_its_scratch_run(path):
    nb = nbformat.read(path, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    namespace: dict = {}
    exec(params.source, namespace)  # noqa: S102 - plain assignments
    assert namespace["run_name"] == f"lab-{path.stem}"
    assert is_scratch_run(namespace["run_name"])


def test_no_batch_run_is_a_scratch_run():
    from analysis.pipeline.plan import load_pipeline
    from analysis.workspace import Workspace

    pipeline = load_pipeline(Workspace.discover(project=PROJECT))
    assert pipeline.runs and all(not is_scratch_run(run.name) for run in pipeline.runs)


# --------------------------------------------------------------------------- registry: scratch and previews
def test_scratch_run_writes_only_below_scratch(tmp_path):
    reg = Registry.for_run("lab-10_survey", root=tmp_path)
    assert reg.scratch and not reg.preview  # not in a kernel here
    paths = reg.figure("bars", _figure(), caption=CAPTION)
    reg.table("t", pd.DataFrame({"group": ["a", "b"], "n": [12, 9]}), caption=CAPTION, count_columns=["n"])
    saved = reg.save()
    base = tmp_path / "scratch" / "lab-10_survey"
    assert paths["png"] == base / "figures" / "bars.png" and (base / "tables" / "t.csv").is_file()
    assert saved == base / "registry.json"
    assert not (tmp_path / "figures").exists() and not (tmp_path / "reports").exists()
    record = json.loads(saved.read_text(encoding="utf-8"))
    assert record["items"][0]["files"]["png"] == "scratch/lab-10_survey/figures/bars.png"
    assert scratch_dir("lab-10_survey", tmp_path) == base and scratch_dir("survey", tmp_path) is None


def test_batch_run_writes_published_folders(tmp_path):
    reg = Registry.for_run("survey", root=tmp_path)
    assert not reg.scratch and not reg.preview
    assert reg.figure("bars", _figure(), caption=CAPTION)["png"] == tmp_path / "figures" / "survey" / "bars.png"
    assert reg.save() == tmp_path / "reports" / "registry" / "survey.json"


def test_preview_displays_caption_image_and_published_table(tmp_path, monkeypatch):
    from IPython.display import Image, Markdown

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    reg = Registry.for_run("lab-x", root=tmp_path, preview=True)
    reg.figure("bars", _figure(), caption=CAPTION)
    published = reg.table("roles", pd.DataFrame({"role": ["a", "b", "c"], "n": [12, 9, 3]}), caption=CAPTION,
                          count_columns=["n"])
    kinds = [type(o).__name__ for o in shown]
    assert kinds == ["Markdown", "Image", "Markdown", "DataFrame"]
    assert isinstance(shown[0], Markdown) and "Kuvio bars." in shown[0].data and "Pylväät" in shown[0].data
    assert isinstance(shown[1], Image) and shown[1].data[:8] == b"\x89PNG\r\n\x1a\n"
    # the preview is screen-sized, the published file keeps 300 dpi
    assert len(shown[1].data) < (tmp_path / "scratch/lab-x/figures/bars.png").stat().st_size
    assert shown[3].equals(published) and "<5" in shown[3]["n"].tolist()  # what is published, suppressed


def test_no_preview_for_a_batch_run_even_in_a_kernel(tmp_path, monkeypatch):
    monkeypatch.setattr(registry_module.write, "in_interactive_kernel", lambda: True)  # where for_run looks it up
    assert Registry.for_run("lab-x", root=tmp_path).preview
    assert not Registry.for_run("survey", root=tmp_path).preview


def test_batch_run_name_in_a_lab_session_warns(tmp_path, monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "notebooks" / "10_survey.ipynb"))
    with pytest.warns(UserWarning, match="batch run"):
        Registry.for_run("survey", root=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Registry.for_run("lab-10_survey", root=tmp_path)


# --------------------------------------------------------------------------- load_registries and the manifest
def _published(root: Path, run: str, text: str) -> Path:
    reg = Registry.for_run(run, root=root)
    reg.methods("m", {"fi": text, "en": text})
    return reg.save()


def _manifest(root: Path, runs: dict[str, Path]) -> None:
    record = {name: {"status": "succeeded",
                     "outputs": {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()}}
              for name, path in runs.items()}  # fmt: skip
    (root / "reports" / "provenance.json").write_text(json.dumps({"runs": record}), encoding="utf-8")


def test_report_reads_only_what_the_batch_recorded(tmp_path):
    _manifest(tmp_path, {"workshops": _published(tmp_path, "workshops", "7 työpajaa")})
    _published(tmp_path, "workshops_w04", "1 työpajaa")  # hand-set run_name outside the batch
    Registry.for_run("lab-20_workshops", root=tmp_path).save()  # a scratch run: not even looked at
    with pytest.warns(UnrecordedRunWarning, match="workshops_w04.json"):
        runs = load_registries(tmp_path)
    assert [r.run for r in runs] == ["workshops"] and runs[0].items[0]["text"]["fi"] == "7 työpajaa"
    assert {r.run for r in load_registries(tmp_path, recorded_only=False)} == {"workshops", "workshops_w04"}


def test_report_refuses_a_registry_overwritten_after_the_batch(tmp_path):
    _manifest(tmp_path, {"workshops": _published(tmp_path, "workshops", "7 työpajaa")})
    _published(tmp_path, "workshops", "1 työpajaa")  # Lab run with the batch's run_name
    with pytest.raises(DataError, match="not the one the batch recorded") as info:
        load_registries(tmp_path)
    assert "jakala run --only workshops" in str(info.value)


def test_jakala_report_prints_the_warning(tmp_path, capsys):
    from analysis.cli import main

    _manifest(tmp_path, {"workshops": _published(tmp_path, "workshops", "7 työpajaa")})
    _published(tmp_path, "extra", "1 työpajaa")
    assert main(["--root", str(tmp_path), "--project", str(PROJECT), "report", "--language", "fi"]) == 0
    err = capsys.readouterr().err
    assert "jakala report: warning: left out 1 registry the batch did not record" in err and "extra.json" in err


# --------------------------------------------------------------------------- explore: concordance
@pytest.fixture()
def small_corpus():
    texts = {"s1": ("Nuori 1", "young_person", "W01", "Mä etin asuntoa Kemistä."),
             "s2": ("ST 1", "social_worker", "W01", "Asunnon saaminen on vaikeaa."),
             "s3": ("Nuori 2", "young_person", "W02", "Tukiasunto oli hyvä, asunto jäi."),
             "s4": ("Nuori 2", "young_person", "W02", "Ihan hyvä päivä.")}
    lemmas = {"s1": ["minä", "etsiä", "asunto", "kemi"], "s2": ["asunto", "saaminen", "olla", "vaikea"],
              "s3": ["tukiasunto", "olla", "hyvä", "asunto", "jäädä"], "s4": ["ihan", "hyvä", "päivä"]}
    segments = pd.DataFrame([{"segment_id": k, "unit": "turn", "speaker": v[0], "speaker_role": v[1], "doc_id": v[2],
                              "text": v[3]} for k, v in texts.items()])  # fmt: skip
    rows = []
    for sid, text in ((k, v[3]) for k, v in texts.items()):
        words, pos = [], 0
        for word in text.replace(".", " ").replace(",", " ").split():
            start = text.index(word, pos)
            words.append((word, start, start + len(word)))
            pos = start + len(word)
        for i, ((word, start, end), lemma) in enumerate(zip(words, lemmas[sid])):
            rows.append({"segment_id": sid, "position": i, "token": word, "lemma": lemma, "start": start, "end": end})
    codebook = Codebook.from_dict({"version": "1", "themes": [
        {"id": "housing", "name": {"fi": "Asuminen", "en": "Housing"}, "colour": "#DDCC77",
         "rules": {"lemmas": ["asunto"]},
         "children": [{"id": "support_housing", "name": {"fi": "Tuettu", "en": "Supported"}, "colour": "#EE8866",
                       "rules": {"lemmas": ["tukiasunto"]}}]},
        {"id": "mood", "name": {"fi": "Mieli", "en": "Mood"}, "colour": "#332288", "rules": {"lemmas": ["hyvä"]}}]})
    return segments, pd.DataFrame(rows), codebook


def test_concordance_filters_sorts_and_pages(small_corpus):
    segments, tokens, _ = small_corpus
    every = explore.concordance(tokens, segments, "asunto", width=2)
    assert every.attrs["n_hits"] == 3 and every["keyword"].tolist() == ["asuntoa", "Asunnon", "asunto"]
    young = explore.concordance(tokens, segments, ["asunto"], where={"speaker_role": "young_person"})
    assert young["speaker"].tolist() == ["Nuori 1", "Nuori 2"]
    by_right = explore.concordance(tokens, segments, "asunto tukiasunto", sort="right")
    assert by_right["right"].str.lower().tolist() == sorted(by_right["right"].str.lower().tolist())
    assert by_right.attrs["n_hits"] == 4
    page2 = explore.concordance(tokens, segments, "asunto", per_page=2, page=2)
    assert page2["hit"].tolist() == [3] and page2.attrs["n_pages"] == 2
    with pytest.raises(DataError, match="page 3 does not exist"):
        explore.concordance(tokens, segments, "asunto", per_page=2, page=3)
    with pytest.raises(DataError, match="no segment column 'role'"):
        explore.concordance(tokens, segments, "asunto", where={"role": "x"})
    with pytest.raises(DataError, match="no lemma"):
        explore.concordance(tokens, segments, " ")
    html = explore.concordance_html(every)
    assert html.count("<tr>") == 4 and "<b>Asunnon</b>" in html and "3 osumaa" in html


def test_concordance_left_sort_uses_the_nearest_word_first(small_corpus):
    segments, tokens, _ = small_corpus
    view = explore.concordance(tokens, segments, "asunto", width=2, sort="left")
    # left contexts: "Mä etin" (etin), "" (s2), "oli hyvä" (hyvä): nearest words "", "etin", "hyvä"
    assert view["segment_id"].tolist() == ["s2", "s1", "s3"]


# --------------------------------------------------------------------------- explore: rule tester
def test_rule_tester_shows_gained_lost_and_kept(small_corpus):
    segments, tokens, codebook = small_corpus
    result = explore.test_rules(segments, tokens, codebook, "mood", {"lemmas": ["vaikea"]})
    assert result.summary() == {"code": "mood", "n_segments": 4, "n_before": 2, "n_after": 1, "gained": 1,
                                "lost": 2, "kept": 0}
    assert result.gained[["segment_id", "matched", "speaker"]].values.tolist() == [["s2", "vaikea", "ST 1"]]
    assert sorted(result.lost["segment_id"]) == ["s3", "s4"] and set(result.lost["matched"]) == {"hyvä"}
    same = explore.test_rules(segments, tokens, codebook, "mood", {"lemmas": ["hyvä"]})
    assert same.summary()["gained"] == same.summary()["lost"] == 0 and set(same.coded["change"]) == {"kept"}


def test_rule_tester_keeps_the_parent_rule_from_children_and_exclusions(small_corpus):
    segments, tokens, codebook = small_corpus
    result = explore.test_rules(segments, tokens, codebook, "housing", {"lemmas": ["asunto"],
                                                                        "exclude": {"lemmas": ["etsiä"]}})
    assert result.lost["segment_id"].tolist() == ["s1"]
    # s3 stays coded: by its own lemma and through the sub-theme
    assert "via support_housing" in result.coded.set_index("segment_id").loc["s3", "matched"]
    no_own = explore.test_rules(segments, tokens, codebook, "housing", None)
    assert no_own.coded["segment_id"].tolist() == ["s3"]


def test_rule_tester_against_human_coders(small_corpus):
    segments, tokens, codebook = small_corpus
    human = pd.DataFrame({"segment_id": ["s1", "s2", "s4"], "coder": ["K1"] * 3, "code": ["housing", "mood", "mood"]})
    coverage = pd.DataFrame({"segment_id": ["s1", "s2", "s3", "s4"], "coder": ["K1"] * 4})
    result = explore.test_rules(segments, tokens, codebook, "mood", {"lemmas": ["vaikea", "päivä"]}, human=human,
                                coverage=coverage)
    scores = result.against_human.set_index("rules")
    assert scores.loc["before", ["n_auto", "n_human", "precision", "recall"]].tolist() == [2, 2, 0.5, 0.5]
    assert scores.loc["after", ["precision", "recall", "f1"]].tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(DataError, match="lack column"):
        explore.test_rules(segments, tokens, codebook, "mood", None, human=human.drop(columns="coder"))


def test_rule_tester_validates_rules_like_the_codebook(small_corpus):
    segments, tokens, codebook = small_corpus
    with pytest.raises(ConfigError, match="unknown key"):
        explore.test_rules(segments, tokens, codebook, "mood", {"lemma": ["hyvä"]})
    with pytest.raises(ConfigError, match="invalid regular expression"):
        explore.test_rules(segments, tokens, codebook, "mood", {"regex": ["(hyvä"]})
    with pytest.raises(DataError, match="no code 'moods'"):
        explore.test_rules(segments, tokens, codebook, "moods", None)


def test_current_rules_is_an_editable_copy_of_the_codebook_file():
    first = explore.current_rules(PROJECT / "config" / "codebook.yaml", "housing_worries")
    first.setdefault("lemmas", []).append("uusi")
    again = explore.current_rules(PROJECT / "config" / "codebook.yaml", "housing_worries")
    assert "uusi" not in (again.get("lemmas") or []) and again


# --------------------------------------------------------------------------- make lab
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - local server
        return response.status, response.read()


def _make_lab_command(*options: str) -> str:
    venv = Path(sys.prefix)
    done = subprocess.run(["make", "-n", "-s", "-C", str(PROJECT), "-o", str(venv / ".jakala-installed"), "lab",
                           f"VENV={venv}", *options], capture_output=True, text=True, check=True, timeout=30)
    return " ".join(done.stdout.replace("\\\n", " ").split())


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_options():
    default = _make_lab_command()
    assert f'--ServerApp.root_dir="{PROJECT}"' in default and "--ServerApp.port=8888" in default
    assert "--MappingKernelManager.default_kernel_name=jakala" in default and "--no-browser" not in default
    assert ("--allow-root" in default) == (os.geteuid() == 0)  # containers run as root
    custom = _make_lab_command("PORT=8890", "BROWSER=no", "IP=0.0.0.0", "LAB_ARGS=--LabApp.default_url=/lab/tree/notebooks")
    assert "--ServerApp.port=8890" in custom and "--no-browser" in custom and "--ServerApp.ip=0.0.0.0" in custom
    assert custom.endswith("--LabApp.default_url=/lab/tree/notebooks")


@pytest.mark.slow  # starts a JupyterLab server
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_serves_the_project_root(tmp_path):
    venv = Path(sys.prefix)
    if not (venv / "bin" / "jupyter").is_file():
        pytest.skip("jupyter is not installed in this environment")
    port, token = _free_port(), "jakala-test-token"
    cmd = ["make", "-s", "-C", str(PROJECT), "-o", str(venv / ".jakala-installed"), "lab", f"VENV={venv}",
           f"PORT={port}", "IP=127.0.0.1", "BROWSER=no", f"LAB_ARGS=--IdentityProvider.token={token}"]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")}
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, contents = time.monotonic() + 90, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, body = _get(f"{base}/api/contents/?token={token}")
                if status == 200:
                    contents = json.loads(body)
                    break
            except OSError:
                time.sleep(0.5)
        assert contents is not None, (tmp_path / "lab.log").read_text()
        names = {item["name"] for item in contents["content"]}
        assert {"notebooks", "analysis", "config", "pipeline.yaml", "figures"} <= names  # the project root
        status, body = _get(f"{base}/lab?token={token}")
        assert status == 200 and b"JupyterLab" in body
        status, body = _get(f"{base}/api/contents/notebooks?token={token}")
        assert "10_survey.ipynb" in {item["name"] for item in json.loads(body)["content"]}
        status, body = _get(f"{base}/api/kernelspecs?token={token}")
        assert json.loads(body)["default"] == "jakala"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
    assert proc.returncode is not None


# --------------------------------------------------------------------------- notebooks the way Lab runs them
BATCH_RUNS = ["workshops", "coding_quality", "findings"]


@pytest.fixture(scope="module")
def lab_workspace(tmp_path_factory):
    """A small batch (workshops, coding_quality, findings) and the notebooks copied next to it."""
    from analysis.cli import main

    root = tmp_path_factory.mktemp("labws")
    project = ["--root", str(root), "--project", str(PROJECT)]
    assert main([*project, "demo-data", "--seed", "2024", "--scale", "1"]) == 0
    assert main([*project, "ingest"]) == 0
    assert main([*project, "run", "--no-progress", *[a for run in BATCH_RUNS for a in ("--only", run)]]) == 0
    shutil.copytree(PROJECT / "notebooks", root / "notebooks")
    before = _tree_hashes(root, "reports", "figures")
    return root, before


def _execute_like_lab(root: Path, name: str, edit: tuple[str, str] | None = None) -> nbformat.NotebookNode:
    """Run a notebook as JupyterLab does: cwd notebooks/, the parameters cell as written (or edited)."""
    from nbclient import NotebookClient

    path = root / "notebooks" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    if edit:
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        old, new = edit
        assert old in params.source
        params.source = params.source.replace(old, new)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def _outputs(nb, mime: str) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.get("output_type") in ("display_data", "execute_result") and mime in o.get("data", {})]


@pytest.mark.integration
def test_lab_runs_show_findings_inline_and_leave_the_batch_untouched(lab_workspace):
    root, before = lab_workspace
    provenance = json.loads((root / "reports" / "provenance.json").read_text(encoding="utf-8"))
    assert [provenance["runs"][r]["status"] for r in BATCH_RUNS] == ["succeeded"] * 3
    batch_nb = nbformat.read(root / "reports" / "notebooks" / "workshops.ipynb", as_version=4)
    assert _outputs(batch_nb, "image/png") == []  # the batch keeps no image previews
    assert not any("Tutki itse" in str(o) for o in _outputs(batch_nb, "text/html"))  # exploration skipped

    # 1. the workshops notebook with its defaults (run_name = "lab-20_workshops")
    nb = _execute_like_lab(root, "20_workshops")
    images = _outputs(nb, "image/png")
    scratch = root / "scratch" / "lab-20_workshops"
    assert len(images) == len([p for p in (scratch / "figures").glob("*.png") if not p.name.endswith(".en.png")]) >= 5  # one preview a figure; the English copy is not shown
    captions = [o["data"]["text/markdown"] for o in _outputs(nb, "text/markdown")]
    assert any(c.startswith("**Kuvio ") and "scratch/lab-20_workshops/figures/" in c for c in captions)
    assert any(c.startswith("**Taulukko ") for c in captions)
    html = "\n".join(o["data"]["text/html"] for o in _outputs(nb, "text/html"))
    assert "osumaa / hits" in html  # the concordance browser
    assert any("segmenttiä / segments" in c and "housing" in c for c in captions)  # the rule tester
    lab_registry = json.loads((scratch / "registry.json").read_text(encoding="utf-8"))
    assert "(7 työpajaa)" in json.dumps(lab_registry, ensure_ascii=False)

    # 2. one workshop chosen in the parameters cell: the case that used to replace the published figures
    nb = _execute_like_lab(root, "20_workshops", edit=("workshops = []", 'workshops = ["W04"]'))
    assert _outputs(nb, "image/png")
    lab_registry = json.loads((scratch / "registry.json").read_text(encoding="utf-8"))
    assert "(1 työpajaa)" in json.dumps(lab_registry, ensure_ascii=False)

    # 3. coding quality with the rule tester against the human coders
    nb = _execute_like_lab(root, "40_coding_quality")
    assert _outputs(nb, "image/png")
    texts = "\n".join(o["data"].get("text/html", "") for o in _outputs(nb, "text/html"))
    assert "precision" in texts and "before" in texts and "after" in texts

    assert _tree_hashes(root, "reports", "figures") == before  # reports/, figures/, manifest byte-identical

    # jakala report builds the batch's draft, without the explorations
    from analysis.cli import main

    out = root / "draft"
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnrecordedRunWarning)
        assert main(["--root", str(root), "--project", str(PROJECT), "report", "--out", str(out)]) == 0
    md = (out / "findings.md").read_text(encoding="utf-8")
    assert "7 työpajaa" in md and "1 työpajaa" not in md and "lab-" not in md
