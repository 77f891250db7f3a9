"""The command line helps: help that names what exists, did-you-mean, quiet pipes, safe -o."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import BASELINE, ROOT, bordersim, bordersim_command, bordersim_in_process, bordersim_process

SECONDS = re.compile(r"\d+(\.\d+)? s\b|(?<=_s: )\d+(\.\d+)?")  # "took 1.8 s", "simulated_in_s: 0.22"
TWO_DAYS = ["--set", "run.days=2", "--set", "run.warmup_days=0", "-o", "out"]
SAME_BOTH_WAYS = {
    "help": ["--help"],
    "a subcommand's help": ["compare", "--help"],
    "a check": ["check", str(BASELINE)],
    "a check with warnings": ["check", str(BASELINE), "--set", "run.warmup_days=0"],
    "a short run and its folder": ["run", str(BASELINE), *TWO_DAYS, "-n", "2", "--plots", "none"],
    "a misspelt key": ["check", str(BASELINE), "--set", "gates.huu_nghi.quarantine.lane=3"],
    "a file that is not there": ["run", "nowhere.yaml", "-o", "out"],
    "an argument argparse refuses": ["run", str(BASELINE), "-n", "many"],
    "no subcommand": [],
    "a table of KPIs": ["kpis"],
    "a run with its default figures": ["run", str(BASELINE), *TWO_DAYS, "-n", "1"],
    "a comparison": [
        *("compare", str(BASELINE), str(ROOT / "scenarios" / "more_lanes_huu_nghi.yaml")),
        *(*TWO_DAYS, "-n", "2", "--no-plots"),
    ],
}
TEXT_FILES = {".csv", ".yaml", ".md", ".txt", ".html"}


REFUSED = {"a misspelt key", "a file that is not there", "an argument argparse refuses", "no subcommand"}
"""The cases of :data:`SAME_BOTH_WAYS` that end with status 2; the others end with 0."""


@pytest.mark.parametrize(("case", "args"), SAME_BOTH_WAYS.items(), ids=SAME_BOTH_WAYS.keys())
def test_the_command_in_this_process_says_what_its_own_process_says(
    case: str, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tests call ``bordersim`` through its ``main`` in the test's process (no interpreter to
    start each time); a command of each kind (help, a check, runs with and without figures and
    their folders, a comparison, bad input of each sort, argparse's own refusals) prints the same
    words, writes the same files with the same text and ends with the same status as the installed
    command in a process of its own, and again when called a second time in the same process."""
    monkeypatch.chdir(tmp_path)  # a helper that lost the working folder writes here, not in the checkout
    folders = {name: tmp_path / name for name in ("own", "here", "again")}
    for folder in folders.values():
        folder.mkdir()
    own = bordersim_process(*args, cwd=folders["own"])

    def said(done: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
        return done.returncode, *(SECONDS.sub("<t> s", text) for text in (done.stdout, done.stderr))

    def written(folder: Path) -> dict[str, str]:
        return {
            str(p.relative_to(folder)): SECONDS.sub("<t> s", p.read_text()) if p.suffix in TEXT_FILES else ""
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    assert own.returncode == (2 if case in REFUSED else 0), own.stderr
    assert "Traceback" not in own.stderr
    for name in ("here", "again"):
        here = bordersim_in_process(*args, cwd=folders[name])
        assert said(here) == said(own)  # the same words but for how long it took
        assert written(folders[name]) == written(folders["own"])


def test_help_names_the_four_gates_and_every_option_has_help() -> None:
    done = bordersim("--help")
    for gate in ("Huu Nghi", "Tan Thanh", "Chi Ma", "Coc Nam"):
        assert gate in done.stdout.replace("\n", " ")
    from sim.presentation.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    missing = [
        f"{name} {'/'.join(a.option_strings)}"
        for name, p in sub.choices.items()
        for a in p._actions
        if a.option_strings and a.help is None
    ]
    assert missing == []


def test_a_misspelt_key_gets_a_did_you_mean_with_the_keys_allowed() -> None:
    done = bordersim("check", str(BASELINE), "--set", "gates.huu_nghi.quarantine.lane=3")
    assert done.returncode == 2
    assert "did you mean 'lanes'?" in done.stderr
    assert "allowed here: enabled, hours, lanes, priority, service_min" in done.stderr


def test_an_unknown_cargo_class_lists_the_known_ones(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(
        f"extends: {BASELINE}\nname: s\nevents:\n"
        "  - {kind: demand, start: 2025-10-01, end: 2025-10-02, factor: 2, cargo: [fruits]}\n"
    )
    done = bordersim("check", str(f))
    assert done.returncode == 2
    assert "unknown cargo class 'fruits'; did you mean 'fruit'? (known: " in done.stderr


def test_a_closed_pipe_ends_quietly() -> None:
    cmd = " ".join([*bordersim_command(), "schema"]) + " | head -1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "Broken pipe" not in done.stderr
    assert "Traceback" not in done.stderr


def test_o_onto_another_scenarios_results_is_refused_without_force(tmp_path: Path) -> None:
    out = tmp_path / "fruit"
    short = [
        "--set",
        "run.days=3",
        "--set",
        "run.warmup_days=1",
        "-n",
        "1",
        "--jobs",
        "1",
        "--no-plots",
        "-q",
    ]
    fruit = str(ROOT / "scenarios" / "fruit_harvest_peak.yaml")
    assert bordersim("run", fruit, "-o", str(out), *short).returncode == 0
    before = (out / "summary.csv").read_bytes()
    done = bordersim("run", str(BASELINE), "-o", str(out), *short)
    assert done.returncode == 2
    assert "holds the results of scenario 'fruit_harvest_peak', not 'baseline'" in done.stderr
    assert (out / "summary.csv").read_bytes() == before  # nothing replaced
    # The same scenario replaces its own results; --force replaces another's.
    assert bordersim("run", fruit, "-o", str(out), *short).returncode == 0
    assert bordersim("run", str(BASELINE), "-o", str(out), *short, "--force").returncode == 0
    assert "name: baseline" in (out / "scenario.yaml").read_text()


def test_the_docs_glossary_table_is_the_code_s() -> None:
    from sim.presentation.glossary import glossary_markdown

    assert (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8") == glossary_markdown()


def test_a_target_with_a_strict_operator_names_the_operators_there_are() -> None:
    done = bordersim(
        "optimise", str(BASELINE), "--target", "time_in_system_h_mean < 4",
        "--lever", "gates.huu_nghi.customs_docs.lanes=4,6",
    )  # fmt: skip
    assert done.returncode == 2
    assert "the operators are <= and >=" in done.stderr


def test_plots_chooses_the_figures_a_run_draws(tmp_path: Path) -> None:
    """``--plots`` writes exactly the figures named (a family, a single one), the default set
    without it, none with ``none``; the run's tables are written whatever it says."""
    short = ["--set", "run.days=2", "--set", "run.warmup_days=0", "-n", "1", "--quiet"]

    def stems(plots: list[str], name: str) -> set[str]:
        out = tmp_path / name
        done = bordersim("run", str(BASELINE), *short, "-o", str(out), *plots)
        assert done.returncode == 0, done.stderr
        assert (out / "summary.csv").exists()
        return {p.stem for p in (out / "plots").glob("*.png")}

    gates = ("huu_nghi", "tan_thanh", "chi_ma", "coc_nam")
    assert stems([], "default") == {"overview", "daily_cleared", "time_in_system"}
    assert stems(["--plots", "hourly,queues_huu_nghi"], "list") == {
        *(f"hourly_{g}" for g in gates),
        "queues_huu_nghi",
    }
    assert stems(["--plots", "none"], "none") == set()
    assert len(stems(["--plots", "all"], "all")) == 19


def test_plots_names_a_figure_that_is_not_one() -> None:
    short = ["--set", "run.days=2", "--set", "run.warmup_days=0"]
    done = bordersim("run", str(BASELINE), *short, "--plots", "queues,huu", "-o", "/nonexistent/x")
    assert done.returncode == 2
    assert "--plots queues,huu: 'huu' is not a figure" in done.stderr
    assert "Traceback" not in done.stderr


def test_plots_refuses_none_with_figures_and_no_plots_with_plots() -> None:
    """``none`` beside figure names, and ``--no-plots`` beside any ``--plots`` (even ``default``),
    are contradictions: refused before anything runs, naming the option."""
    short = ["--set", "run.days=2", "--set", "run.warmup_days=0", "-o", "/nonexistent/x"]
    done = bordersim("run", str(BASELINE), *short, "--plots", "none,queues")
    assert done.returncode == 2
    assert "--plots none,queues: none draws no figure" in done.stderr
    done = bordersim("run", str(BASELINE), *short, "--no-plots", "--plots", "default")
    assert done.returncode == 2
    assert "--no-plots and --plots" in done.stderr


def test_optimises_help_says_its_console_summary_stays_in_english() -> None:
    """Its help promised a Vietnamese summary that prints in English: the help says what --lang vi
    gives there (the figures and the report's answer and tables)."""
    done = bordersim("optimise", "--help")
    text = " ".join(done.stdout.split())
    assert "console summary and the report's optimise.txt stay in English" in text
    run_help = " ".join(bordersim("run", "--help").stdout.split())
    assert "language of the summary, the figures and the report" in run_help
