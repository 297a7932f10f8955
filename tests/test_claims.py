"""The one grading engine: every outcome and its boundaries, validity, registries, the dashboard."""
import importlib
import math
import subprocess

import pytest

from nblib.chapters import dashboard
from nblib.claims import (OUTCOME_RULES, OUTCOMES, Claim, Condition, Measurement, NotReported, Reported, grade,
                          grade_all, markdown, outcome, payload, read_payloads, registered_commits, runs_to_decide,
                          scorecard)
from nblib.effects import Effect
from nblib.stats import t_quantile

from conftest import ROOT

CHAPTERS = list(dashboard.CHAPTERS)


def claim(**changes):
    base = dict(id="demo.gain", words="X beats Y", where="Table 1", setting="CIFAR-10, 1,000 per class",
                study_data="cifar10", study=Reported(2.0, "mean of 5 runs"), measure="X minus Y, paired by seed",
                data="cifar10", scope="every n", section="demo-gain")
    base.update(changes)
    return Claim(**base)


@pytest.mark.parametrize("e, s, expected", [
    (Effect(2.0, 1.0, 5), 2.5, "reproduced"),               # excludes 0, contains s
    (Effect(2.0, 1.0, 5), None, "reproduced"),              # no study number: excludes 0 on the study's side
    (Effect(2.0, 1.0, 5), 6.0, "weaker than reported"),     # excludes 0 and lies below s
    (Effect(2.0, 1.0, 5), 0.5, "stronger than reported"),   # excludes 0 and lies above s
    (Effect(0.5, 1.0, 5), 6.0, "not reproduced"),           # contains 0, excludes s
    (Effect(-2.0, 1.0, 5), 2.0, "opposite"),                # excludes 0 on the other side
    (Effect(-2.0, 1.0, 5), None, "opposite"),
    (Effect(0.5, 1.0, 5), 1.2, "inconclusive"),             # contains 0 and s
    (Effect(0.5, 1.0, 5), None, "inconclusive"),
])
def test_each_outcome(e, s, expected):
    assert outcome(e, 1, s) == expected


def test_boundaries_are_inclusive_of_the_interval():
    assert outcome(Effect(1.0, 1.0, 5), 1, None) == "inconclusive"       # touches 0: does not exclude it
    assert outcome(Effect(-1.0, 1.0, 5), 1, None) == "inconclusive"
    assert outcome(Effect(2.0, 1.0, 5), 1, 3.0) == "reproduced"          # s on the upper edge is inside
    assert outcome(Effect(2.0, 1.0, 5), 1, 1.0) == "reproduced"          # and on the lower edge
    assert outcome(Effect(2.0, 1.0, 5), 1, 3.0 + 1e-9) == "weaker than reported"
    assert outcome(Effect(0.0, 1.0, 5), 1, 1.0 + 1e-9) == "not reproduced"


def test_direction_and_threshold_orient_the_interval():
    assert outcome(Effect(-2.0, 1.0, 5), -1, -2.5) == "reproduced"
    assert outcome(Effect(-2.0, 1.0, 5), -1, -8.0) == "weaker than reported"
    assert outcome(Effect(2.0, 1.0, 5), -1, None) == "opposite"
    # threshold claim: accuracy 0.95 +- 0.01 above 0.9, the study's 0.96
    assert outcome(Effect(0.95, 0.01, 5), 1, 0.955, threshold=0.9) == "reproduced"
    assert outcome(Effect(0.95, 0.01, 5), 1, 0.99, threshold=0.9) == "weaker than reported"
    assert outcome(Effect(0.95, 0.01, 5), -1, None, threshold=0.99) == "reproduced"   # below a ceiling
    assert outcome(Effect(0.905, 0.01, 5), 1, None, threshold=0.9) == "inconclusive"


@pytest.mark.parametrize("e", [Effect(5.0, math.nan, 1), Effect(5.0, 0.1, 1), Effect(math.nan, math.nan, 3)])
def test_one_run_is_never_more_than_inconclusive(e):
    assert outcome(e, 1, None) == "inconclusive"
    assert outcome(e, 1, 5.0) == "inconclusive"
    assert grade(claim(), Measurement({"": e})).verdict == "inconclusive"


def test_a_tie_is_never_a_win():
    tie = Effect(0.0, 0.0, 10)
    assert outcome(tie, 1, None) == "inconclusive"
    assert outcome(tie, 1, 2.0) == "not reproduced"
    assert outcome(tie, -1, None) == "inconclusive"


def test_the_study_number_comes_from_the_claim_and_cannot_be_left_out():
    with pytest.raises(TypeError):
        Claim(id="demo.x", words="w", where="w", setting="s", study_data="mnist", measure="m", data="mnist",
              scope="s", section="x")  # no study=...: a claim must say whether the study gave a number
    with pytest.raises(TypeError, match="Reported"):
        claim(study=2.0)
    # graded with the study's number: +0.5 +- 1 contains 0 and excludes 6 -> not reproduced, whatever the caller
    assert grade(claim(study=Reported(6.0, "one run")), Measurement({"": Effect(0.5, 1.0, 5)})).verdict == \
        "not reproduced"
    assert grade(claim(study=NotReported("figure only")), Measurement({"": Effect(0.5, 1.0, 5)})).verdict == \
        "inconclusive"


def test_per_setting_study_numbers_must_cover_every_setting():
    c = claim(study=Reported({"shallow": 0.5, "deep": 4.5}, "mean of 10 runs"))
    g = grade(c, Measurement({"shallow": Effect(-0.5, 0.8, 10), "deep": Effect(3.0, 1.0, 10)}))
    assert g.verdict == "not reproduced" and dict(g.settings) == {"shallow": "not reproduced",
                                                                  "deep": "weaker than reported"}
    with pytest.raises(KeyError, match="conv"):
        grade(c, Measurement({"conv": Effect(1.0, 0.1, 10)}))


def test_a_claim_whose_sign_holds_by_construction_is_graded_on_its_size():
    with pytest.raises(ValueError, match="size"):
        claim(study=NotReported("words only"), guaranteed=True)
    c = claim(study=Reported(17.7, "mean of 5 runs"), guaranteed=True)
    assert grade(c, Measurement({"": Effect(12.6, 1.6, 3)})).verdict == "weaker than reported"
    assert grade(c, Measurement({"": Effect(17.0, 1.6, 3)})).verdict == "reproduced"


def test_a_failed_validity_condition_means_not_tested_here_with_the_measured_value():
    c = claim(conditions=(Condition("cnn_loss", "the CNN's final training loss is below 0.05", "<", 0.05),))
    strong = Effect(5.0, 1.0, 5)
    g = grade(c, Measurement({"": strong}, {"cnn_loss": 1.56}))
    assert g.verdict == "not tested here" and "below 0.05" in g.why and "1.56" in g.why
    assert grade(c, Measurement({"": strong}, {"cnn_loss": 0.01})).verdict == "stronger than reported"
    assert grade(c, Measurement({"": strong}, {"cnn_loss": math.nan})).verdict == "not tested here"
    with pytest.raises(KeyError, match="cnn_loss"):
        grade(c, Measurement({"": strong}))  # the report must measure every condition
    per = Measurement({"a": strong, "b": strong}, {"cnn_loss": {"a": 0.01, "b": 0.5}})
    assert dict(grade(c, per).settings) == {"a": "stronger than reported", "b": "not tested here"}


def test_a_claim_this_machine_cannot_test_needs_its_reason():
    c = claim(untestable="needs all of CIFAR-10: papermill ... -p n_train 5000 (about 1 GPU hour)")
    g = grade(c, None)
    assert g.verdict == "not tested here" and "GPU hour" in g.why
    with pytest.raises(ValueError, match="no measurement"):
        grade(claim(), None)


def test_a_claim_over_settings_holds_only_in_every_one():
    def settings(*effects):
        return Measurement({str(i): e for i, e in enumerate(effects)})
    win, unsure, lose, wrong = Effect(2, 1, 5), Effect(0.5, 1, 5), Effect(-2, 1, 5), Effect(0.2, 0.1, 5)
    c = claim(study=NotReported("figure"))
    assert grade(c, settings(win, win)).verdict == "reproduced"
    assert grade(c, settings(win, unsure)).verdict == "inconclusive"
    assert grade(c, settings(win, unsure, lose)).verdict == "opposite"
    assert grade(claim(study=Reported(2.0, "x")), settings(win, unsure, Effect(0.0, 0.1, 5))).verdict == \
        "not reproduced"
    assert grade(claim(study=Reported(2.0, "x")), settings(win, wrong)).verdict == "weaker than reported"


def test_an_inconclusive_row_says_what_would_decide_it():
    g = grade(claim(study=Reported(2.0, "x")), Measurement({"": Effect(0.5, 3.0, 3)}))
    assert g.verdict == "inconclusive" and "runs would bring it under" in g.why
    e = Effect(0.5, 3.0, 3)
    n = runs_to_decide(e, 1.0)
    sd = e.half * math.sqrt(e.n) / t_quantile(e.n - 1)
    assert n > 3 and t_quantile(n - 1) * sd / math.sqrt(n) < 1.0 <= t_quantile(n - 2) * sd / math.sqrt(n - 1)
    assert runs_to_decide(Effect(0.5, math.nan, 1), 1.0) is None


def test_beyond_the_study_is_decided_by_the_data_not_by_the_caller():
    assert not claim().beyond
    assert claim(id="demo.gain-mnist", data="mnist").beyond
    assert not claim(study_data="cifar10, svhn", data="svhn").beyond


def test_measurements_for_unregistered_claims_are_refused():
    with pytest.raises(KeyError, match="not registered"):
        grade_all((claim(),), {"demo.other": Measurement({"": Effect(1, 1, 3)})})


def test_payload_round_trips_and_never_closes_the_comment_early():
    rows = [grade(claim(words="a -- b --> c"), Measurement({"": Effect(2.0, 1.0, 5)}))]
    text = markdown(rows, {"demo.gain": "abc1234 2026-12-02"})
    (back,) = read_payloads(text)
    assert back["words"] == "a -- b --> c" and back["verdict"] == "reproduced" and back["commit"].startswith("abc")
    assert text.count("-->") == 1 and payload(rows).endswith("-->")


def test_registered_commits_follow_each_claim(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)
    git("init", "-q")
    git("config", "user.email", "t@t")
    git("config", "user.name", "t")
    (tmp_path / "chapter").mkdir()
    path = tmp_path / "chapter" / "claims.py"  # below the top of the work tree, as a chapter's registry is
    source = ("from nblib.claims import Claim, NotReported\n"
              "CLAIMS = (Claim(id='demo.a', words='{a}', where='w', setting='s', study_data='mnist',"
              " study=NotReported('x'), measure='m', data='mnist', scope='s', section='x'),\n"
              "          Claim(id='demo.b', words='b', where='w', setting='s', study_data='mnist',"
              " study=NotReported('x'), measure='m', data='mnist', scope='s', section='x'))\n")
    def load():
        ns = {}
        exec(path.read_text(), ns)
        return ns["CLAIMS"]
    path.write_text(source.format(a="a"))
    git("add", ".")
    git("commit", "-qm", "one")
    first = registered_commits(path, load())
    path.write_text(source.format(a="a changed"))
    assert registered_commits(path, load())["demo.a"] == "not committed"
    git("commit", "-qam", "two")
    second = registered_commits(path, load())
    assert second["demo.b"] == first["demo.b"] and second["demo.a"] != first["demo.a"]


# --- every chapter's registry ---------------------------------------------------------------------

def registries():
    return {ch: importlib.import_module(f"nblib.chapters.{ch}.claims") for ch in CHAPTERS}


def passing(c: Condition) -> float:
    return {"<": c.limit - 1, "<=": c.limit, ">": c.limit + 1, ">=": c.limit}[c.op]


def failing(c: Condition) -> float:
    return {"<": c.limit, "<=": c.limit + 1, ">": c.limit, ">=": c.limit - 1}[c.op]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_registry_is_well_formed(chapter):
    claims = registries()[chapter].CLAIMS
    ids = [c.id for c in claims]
    assert len(set(ids)) == len(ids), "claim ids are unique"
    assert all(c.chapter == chapter for c in claims), "a claim's id starts with its chapter"
    assert any(not c.beyond for c in claims), "a chapter grades claims on the study's own data"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_registered_claim_is_graded_with_the_study_number_and_its_conditions(chapter):
    """Given an effect that sits exactly on the study's number, a claim with a number must come out
    reproduced (so the number was used), one far above it stronger than reported; a failed condition
    must give 'not tested here'."""
    for c in registries()[chapter].CLAIMS:
        if c.untestable:
            assert grade(c, None).verdict == "not tested here"
            continue
        settings = list(c.study.value) if isinstance(c.study, Reported) and isinstance(c.study.value, dict) else [""]
        ok = {k.name: passing(k) for k in c.conditions}
        if isinstance(c.study, Reported):
            at = {s: Effect(c.study.at(s), 1e-9 + 1e-6 * abs(c.study.at(s)), 5) for s in settings}
            if all(c.direction * (e.mean - (c.threshold or 0)) > 0 for e in at.values()):
                assert grade(c, Measurement(at, ok)).verdict == "reproduced", c.id
                far = {s: Effect((c.threshold or 0.0) + (e.mean - (c.threshold or 0)) * 10, 1e-9, 5) for s, e in at.items()}
                assert grade(c, Measurement(far, ok)).verdict in ("stronger than reported", "weaker than reported"), c.id
        for k in c.conditions:
            bad = dict(ok, **{k.name: failing(k)})
            e = {s: Effect(c.direction * 1.0 + (c.threshold or 0), 1e-3, 5) for s in settings}
            assert grade(c, Measurement(e, bad)).verdict == "not tested here", (c.id, k.name)


# --- the dashboard and the book ---------------------------------------------------------------------

def test_the_dashboard_counts_equal_the_published_scorecards():
    found = dashboard.entries()
    registered = sum(len(r.CLAIMS) for r in registries().values())
    assert len([e for e in found if "no longer registered" not in e["flag"]]) == registered
    for chapter in CHAPTERS:
        rows, _ = dashboard.published(ROOT / "book" / f"{chapter}.ipynb")
        mine = [e for e in found if e["chapter"] == chapter and e["verdict"] != dashboard.PENDING]
        assert sorted(e["verdict"] for e in mine) == sorted(r["verdict"] for r in rows)
        assert all(e["verdict"] in OUTCOMES or e["verdict"] == dashboard.PENDING for e in found)


def test_the_committed_dashboard_is_generated_from_the_published_chapters():
    found = dashboard.entries()
    assert (ROOT / "book" / "verdicts.md").read_text() == dashboard.render(found), \
        "book/verdicts.md is stale: run `python -m nblib.chapters.dashboard`"
    for chapter in CHAPTERS:
        assert dashboard.flag_path(chapter).read_text() == dashboard.flags(found, chapter), \
            f"book/_flags/{chapter}.md is stale: run `python -m nblib.chapters.dashboard`"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_shows_its_build_time_flags_under_its_scorecard(chapter):
    import nbformat
    for path in (ROOT / "notebooks" / f"{chapter}.ipynb", ROOT / "book" / f"{chapter}.ipynb"):
        cells = nbformat.read(path, as_version=4).cells
        at = next(i for i, c in enumerate(cells)
                  if c.cell_type == "code" and ("markdown_table(" in c.source or "scorecard_markdown(" in c.source))
        assert cells[at + 1].cell_type == "markdown" and f"{{include}} _flags/{chapter}.md" in cells[at + 1].source


def test_a_chapters_flags_name_its_stale_pending_and_late_claims():
    entry = lambda cid, verdict="reproduced", flag="": {"chapter": cid.split(".")[0], "id": cid, "verdict": verdict,
                                                        "flag": flag}
    assert dashboard.flags([entry("demo.a"), entry("other.b", flag=dashboard.CHANGED)], "demo").startswith("Checked")
    text = dashboard.flags([entry("demo.a", flag=dashboard.CHANGED), entry("demo.b", dashboard.PENDING),
                            entry("demo.c", flag=dashboard.LATE), entry("demo.d"),
                            entry("demo.e", flag=dashboard.GONE)], "demo")
    assert "`demo.a`, `demo.e`: the registry no longer holds" in text and "not graded here yet:** `demo.b`." in text
    assert "trained:** `demo.c`." in text and "demo.d" not in text and "Checked" not in text


def test_the_studies_page_states_every_outcome():
    text = " ".join((ROOT / "book" / "studies.md").read_text().split())
    for name, rule in OUTCOME_RULES.items():
        assert f"**{name}**: {rule}" in text


# --- registration before the runs -----------------------------------------------------------------

def test_claims_committed_after_the_first_run_are_flagged_on_the_page_and_in_the_payload():
    from datetime import datetime, timezone
    from nblib.claims import Scorecard, registration_markdown
    t = lambda day: datetime(2026, 12, day, 12, tzinfo=timezone.utc)
    rows = [grade(claim(id=f"demo.{n}"), Measurement({"": Effect(2.0, 1.0, 5)})) for n in ("early", "late", "loose")]
    card = Scorecard(rows, {"demo.early": "aaa 2026-12-01", "demo.late": "bbb 2026-12-05", "demo.loose": "not committed"},
                     times={"demo.early": t(1), "demo.late": t(5), "demo.loose": None})
    assert card.registered_after() == [] and "do not record" in registration_markdown(card)  # no training time
    runs = [{"trained_at": t(3).isoformat()}, {"trained_at": "2026-12-04T00:00:00+00:00"}, {"no time": 1}]
    assert card.set_trained(runs).trained == t(3)  # the earliest run
    assert card.registered_after() == ["demo.late", "demo.loose"]
    text = registration_markdown(card)
    assert "2 of 3 claims" in text and "`demo.late`" in text and "`demo.early`" not in text
    table = markdown(card, card.commits)
    assert table.count("(after the runs)") == 2
    assert {r["id"]: r["registered_after_run"] for r in read_payloads(table)} == \
        {"demo.early": False, "demo.late": True, "demo.loose": True}
    card.set_trained([{"trained_at": t(6).isoformat()}])
    assert card.registered_after() == ["demo.loose"]
    on_time = Scorecard(rows[:1], {"demo.early": "aaa"}, times={"demo.early": t(1)}).set_trained(runs)
    assert registration_markdown(on_time).startswith("**Registration:** all 1 claims were committed before")
    no_git = Scorecard(rows, {r.claim.id: "" for r in rows}, times={}).set_trained(runs)
    assert no_git.registered_after() == [] and "no git history" in registration_markdown(no_git)


def test_registration_times_come_from_the_commit_that_last_changed_the_claim(tmp_path):
    from nblib.claims import scorecard as grade_registry
    import types
    def git(*args):
        return subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True, text=True).stdout
    git("init", "-q")
    git("config", "user.email", "t@t")
    git("config", "user.name", "t")
    path = tmp_path / "claims.py"
    path.write_text("from nblib.claims import Claim, NotReported\n"
                    "CLAIMS = (Claim(id='demo.a', words='a', where='w', setting='s', study_data='mnist',"
                    " study=NotReported('x'), measure='m', data='mnist', scope='s', section='x'),)\n")
    git("add", ".")
    git("commit", "-qm", "one")
    module = types.ModuleType("claims")
    module.__file__ = str(path)
    exec(path.read_text(), module.__dict__)
    card = grade_registry(module, {"demo.a": Measurement({"": Effect(1.0, 0.5, 3)})})
    when = git("log", "-1", "--format=%cI").strip()
    assert card.times["demo.a"].isoformat() == datetime_iso(when)
    assert card.commits["demo.a"] == git("log", "-1", "--format=%h %cs").strip()


def datetime_iso(text: str) -> str:
    from datetime import datetime
    return datetime.fromisoformat(text).isoformat()


def test_the_dashboard_flags_a_claim_registered_after_its_published_run(tmp_path):
    import json
    import shutil
    for chapter in CHAPTERS:
        shutil.copy(ROOT / "book" / f"{chapter}.ipynb", tmp_path)
    path = tmp_path / "digit_pairs.ipynb"
    nb = json.loads(path.read_text())
    first = None
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/markdown")
            if text and "nblib-scorecard" in "".join(text):
                text = "".join(text)
                rows = read_payloads(text)
                first = rows[0]["id"]
                rows[0]["registered_after_run"] = True
                out["data"]["text/markdown"] = text[:text.index("<!-- nblib-scorecard")] + \
                    f"<!-- nblib-scorecard {json.dumps(rows)} -->"
    path.write_text(json.dumps(nb))
    flags = {e["id"]: e["flag"] for e in dashboard.entries(tmp_path)}
    assert first and flags[first] == "registered after the published run was trained"
    assert sum(f == "registered after the published run was trained" for f in flags.values()) == 1
