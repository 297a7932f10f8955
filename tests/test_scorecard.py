from nblib.claims import Claim, Measurement, NotReported, Scorecard, grade, read_payloads
from nblib.effects import Effect
from nblib.scorecard import counts_text, markdown_table


def test_the_scorecard_table_shows_each_claim_its_commit_and_carries_the_payload():
    c = Claim(id="demo.a", words="A beats B", where="Fig. 1", setting="MNIST", study_data="mnist",
              study=NotReported("figure only"), measure="A minus B", data="cifar10", scope="all", section="demo")
    rows = Scorecard([grade(c, Measurement({"": Effect(1.0, 0.5, 3)}))], {"demo.a": "abc1234 2026-12-02"})
    text = markdown_table(rows)
    assert "A beats B" in text and "*beyond the study*" in text and "abc1234 2026-12-02" in text
    assert "**reproduced**" in text and read_payloads(text)[0]["commit"] == "abc1234 2026-12-02"
    assert counts_text(rows) == "1 claims: 1 reproduced"


def test_everything_under_the_scorecard_heading_comes_in_one_output():
    from nblib.claims import Change
    from nblib.scorecard import scorecard_markdown
    c = Claim(id="demo.a", words="A beats B", where="Fig. 1", setting="MNIST", study_data="mnist",
              study=NotReported("figure only"), measure="A minus B", data="mnist", scope="all", section="demo")
    rows = Scorecard([grade(c, Measurement({"": Effect(1.0, 0.5, 3)}))], {"demo.a": "abc1234 2026-12-02"})
    text = scorecard_markdown(rows)
    assert read_payloads(text)[0]["id"] == "demo.a" and "**Registration:**" in text
    assert "Changed after results were seen" not in text
    changed = Scorecard(list(rows), rows.commits, [Change("demo.a", "Read as X.", "'inconclusive'.")])
    assert "- `demo.a`: Read as X. The earlier version found: 'inconclusive'." in scorecard_markdown(changed)
