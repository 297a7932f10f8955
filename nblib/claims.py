"""Claims as data, and the one engine that grades every claim of the book.

A `Claim` is registered in its chapter's registry (`nblib/chapters/<chapter>/claims.py`) before
the run that grades it: the study's words and where they stand, the study's setting and number
(`Reported`, or `NotReported` saying why), what we measure and in which direction, the scope of
our settings that test it, and the conditions our run must meet for the test to mean anything.
A chapter's report supplies only a `Measurement` (effects per setting, the measured values of
the conditions); `grade` decides the verdict. With I the 95% interval of our effect, oriented so
that the study's direction is positive, and s the study's effect (oriented the same way):

- reproduced: I excludes 0 and contains s (with no s: I excludes 0 on the study's side);
- weaker / stronger than reported: I excludes 0 on the study's side and lies below / above s;
- not reproduced: I contains 0 and excludes s (an effect of the study's size would have shown);
- opposite: I excludes 0 on the other side;
- inconclusive: I contains 0 and s, or there is no interval (one run);
- not tested here: a validity condition failed, or this machine cannot run the test.

A claim over several settings holds only if it holds in every one: one setting opposite or not
reproduced decides the claim; otherwise one untested or inconclusive setting leaves it so.
"""
from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import math
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from dataclasses import dataclass, field
from datetime import datetime, timezone

from nblib.effects import Effect
from nblib.stats import t_quantile

OUTCOMES = ("reproduced", "weaker than reported", "stronger than reported", "not reproduced", "opposite",
            "inconclusive", "not tested here")
# a claim over several settings takes the first of these that any setting has
PRECEDENCE = ("opposite", "not reproduced", "not tested here", "inconclusive", "weaker than reported",
              "stronger than reported", "reproduced")
OPS = {"<": lambda v, x: v < x, "<=": lambda v, x: v <= x, ">": lambda v, x: v > x, ">=": lambda v, x: v >= x}
ID = re.compile(r"^[a-z_]+\.[a-z0-9-]+$")
OUTCOME_RULES = {
    "reproduced": "the interval excludes 0 and contains the study's effect (with no study number: it excludes 0 "
                  "on the study's side)",
    "weaker than reported": "the interval excludes 0 on the study's side and lies below the study's effect",
    "stronger than reported": "the interval excludes 0 on the study's side and lies above the study's effect",
    "not reproduced": "the interval contains 0 and excludes the study's effect (an effect of the study's size "
                      "would have shown)",
    "opposite": "the interval excludes 0 on the other side",
    "inconclusive": "the interval contains 0 and the study's effect, or there is no interval (one run); the row "
                    "says what would decide it",
    "not tested here": "a validity condition of the claim failed in our run (the row names it with the measured "
                       "value), or this machine cannot run the test (the row says what it would take)",
}


@dataclass(frozen=True)
class Reported:
    """The study's number for a claim, in the units of our measure (raw sign, like our effect;
    for a threshold claim the study's value of the quantity); one number, or one per setting."""
    value: float | Mapping[str, float]
    how: str  # "mean of 10 runs (Table 1)", "one run", "read off figure 2", "best epoch on the test set"

    def at(self, setting: str) -> float:
        if isinstance(self.value, Mapping):
            if setting not in self.value:
                raise KeyError(f"the study gives no number for setting {setting!r} (it has {sorted(self.value)})")
            return float(self.value[setting])
        return float(self.value)


@dataclass(frozen=True)
class NotReported:
    """The study gave no number for this claim (a figure only, words only)."""
    why: str


@dataclass(frozen=True)
class Condition:
    """A validity condition: the measured value called `name` must be `op` `limit` (in every
    setting, when measured per setting)."""
    name: str
    text: str  # "the CNN's training loss at the release is below 0.05"
    op: str
    limit: float

    def __post_init__(self):
        if self.op not in OPS:
            raise ValueError(f"condition {self.name!r}: op must be one of {sorted(OPS)}, got {self.op!r}")

    def holds(self, value: float) -> bool:
        return math.isfinite(value) and OPS[self.op](value, self.limit)


@dataclass(frozen=True)
class Claim:
    """One claim of a study, registered before the run that grades it."""
    id: str            # stable: "<chapter>.<slug>"
    words: str         # the study's words (a short quote or close paraphrase, marked as such)
    where: str         # where they stand: section, figure or table of the study
    setting: str       # the study's setting: dataset, model, size
    study_data: str    # the study's dataset(s), e.g. "cifar10"
    study: Reported | NotReported  # required: a claim with a study number cannot be graded without it
    measure: str       # what we measure: the quantity or the comparison, paired or not
    data: str          # the dataset our measurement uses; another than the study's makes the claim "beyond"
    scope: str         # which of our settings test it
    section: str       # the label of the chapter section that grades it
    direction: int = 1           # +1 when the study's claim says our effect is positive
    threshold: float | None = None  # for a claim that a quantity passes a threshold (not a comparison)
    conditions: tuple[Condition, ...] = ()
    untestable: str = ""         # why this machine cannot test it, the command and the cost on a GPU
    guaranteed: bool = False     # the sign holds by construction: graded on its size against the study's
    unit: float = 1.0            # display scale (100 for percentage points)
    unit_name: str = ""          # "points", "decades"
    digits: int = 2

    def __post_init__(self):
        if not ID.match(self.id):
            raise ValueError(f"claim id {self.id!r} must look like 'chapter.slug-with-dashes'")
        if self.direction not in (1, -1):
            raise ValueError(f"{self.id}: direction must be +1 or -1, got {self.direction!r}")
        if not isinstance(self.study, (Reported, NotReported)):
            raise TypeError(f"{self.id}: study must be Reported(...) or NotReported(...), got {self.study!r}")
        if self.guaranteed and not isinstance(self.study, Reported):
            raise ValueError(f"{self.id}: a claim whose sign holds by construction is graded on its size, "
                             "so it needs the study's number (Reported)")
        if not all(isinstance(c, Condition) for c in self.conditions):
            raise TypeError(f"{self.id}: conditions must be Condition(...)")
        for name in ("words", "where", "setting", "measure", "scope", "section"):
            if not getattr(self, name).strip():
                raise ValueError(f"{self.id}: {name} is empty")

    @property
    def chapter(self) -> str:
        return self.id.split(".")[0]

    @property
    def beyond(self) -> bool:
        """Graded on a dataset the study never used: its own claim, never folded into the study's."""
        return self.data not in {d.strip() for d in self.study_data.split(",")}

    def fingerprint(self) -> str:
        """A short hash of everything registered (changes whenever the claim changes)."""
        text = json.dumps(dataclasses.asdict(self), sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def text(self, value: float) -> str:
        """A value in the claim's units: signed for a comparison, unsigned for a quantity against a threshold."""
        sign = "" if self.threshold is not None else "+"
        return f"{self.unit * value:{sign}.{self.digits}f}"


@dataclass(frozen=True)
class Measurement:
    """What a report supplies for one claim: our effect per setting (raw sign, the claim's units;
    for a threshold claim the quantity itself) and the measured value of each condition (one
    number, or one per setting)."""
    effects: Mapping[str, Effect]
    checks: Mapping[str, float | Mapping[str, float]] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Graded:
    """A claim with its verdict, our numbers in words, and why (what failed, what would decide it)."""
    claim: Claim
    verdict: str
    ours: str
    why: str = ""
    settings: tuple[tuple[str, str], ...] = ()  # (setting, its own outcome)

    def __post_init__(self):
        if self.verdict not in OUTCOMES:
            raise ValueError(f"verdict must be one of {OUTCOMES}, got {self.verdict!r}")


def outcome(e: Effect, direction: int = 1, s: float | None = None, threshold: float | None = None) -> str:
    """The rule for one setting: our effect `e` (raw sign) against 0 (or `threshold`) and the study's `s`."""
    if not e.has_interval:
        return "inconclusive"
    base = threshold or 0.0
    m = direction * (e.mean - base)
    low, high = m - e.half, m + e.half
    so = None if s is None else direction * (s - base)
    if high < 0:
        return "opposite"
    if low > 0:
        if so is None or low <= so <= high:
            return "reproduced"
        return "weaker than reported" if so > high else "stronger than reported"
    if so is not None and not low <= so <= high:
        return "not reproduced"
    return "inconclusive"


def study_effect(claim: Claim, setting: str) -> float | None:
    """The study's number for one setting of a claim (None when it reported none)."""
    return claim.study.at(setting) if isinstance(claim.study, Reported) else None


def decide_target(claim: Claim, e: Effect, s: float | None) -> float:
    """The half-width that would decide an inconclusive setting: half the study's distance from 0 (or the
    threshold), or with no study number our own distance."""
    base = claim.threshold or 0.0
    return abs(s - base) / 2 if s is not None else abs(e.mean - base)


def runs_to_decide(e: Effect, target: float, limit: int = 100_000) -> int | None:
    """Runs that would bring the 95% half-width under `target` at our spread (None: no interval or never)."""
    if not e.has_interval or target <= 0:
        return None
    sd = e.half * math.sqrt(e.n) / t_quantile(e.n - 1)
    if sd == 0:
        return e.n
    n = max(2, math.ceil((1.96 * sd / target) ** 2))
    while n <= limit and t_quantile(n - 1) * sd / math.sqrt(n) >= target:
        n += 1
    return n if n <= limit else None


def _failed(claim: Claim, conditions, m: Measurement, setting: str) -> list[str]:
    """Those of `conditions` that fail in `setting`, each with its measured value."""
    failed = []
    for c in conditions:
        if c.name not in m.checks:
            raise KeyError(f"{claim.id}: the report measured no value for condition {c.name!r}")
        value = m.checks[c.name]
        if isinstance(value, Mapping):
            if setting not in value:
                raise KeyError(f"{claim.id}: condition {c.name!r} has no value for setting {setting!r}")
            value = value[setting]
        if not c.holds(float(value)):
            failed.append(f"{c.text} (measured {float(value):.4g})")
    return failed


def _undecided(claim: Claim, e: Effect, s: float | None) -> str:
    """What would decide an inconclusive setting: our half-width beside |s|, and the runs needed."""
    if not e.has_interval:
        return "one run: no interval"
    target = decide_target(claim, e, s)
    need = runs_to_decide(e, target)
    base = "our distance from the threshold" if claim.threshold is not None else "our mean"
    against = (f"the study's {abs(claim.unit * (s - (claim.threshold or 0.0))):.{claim.digits}f}"
               if s is not None else f"{base} ({claim.unit * target:.{claim.digits}f})")
    runs = f"about {need} runs would bring it under {'half of it' if s is not None else 'that'}" if need \
        else "no number of runs at this spread decides it"
    return f"±{claim.unit * e.half:.{claim.digits}f} against {against}; {runs}"


def grade(claim: Claim, m: Measurement | None) -> Graded:
    """The verdict on `claim` from `m` (None when nothing was measured: the claim must be untestable here)."""
    if claim.untestable:
        return Graded(claim, "not tested here", "not run here", claim.untestable)
    if m is None or not m.effects:
        raise ValueError(f"{claim.id}: no measurement, and the registry gives no reason it cannot be tested")
    whole = [c for c in claim.conditions if not isinstance(m.checks.get(c.name), Mapping)]
    per_setting = [c for c in claim.conditions if c not in whole]
    failed_whole = _failed(claim, whole, m, "")
    rows, notes = [], {}  # note text -> the settings it is about
    for setting, e in m.effects.items():
        s = study_effect(claim, setting)
        failed = _failed(claim, per_setting, m, setting)
        verdict = "not tested here" if failed or failed_whole else outcome(e, claim.direction, s, claim.threshold)
        rows.append((setting, verdict))
        if failed:
            text = "; ".join(failed)
        elif verdict == "inconclusive":
            text = _undecided(claim, e, s) if len(m.effects) <= MANY else ""
        elif verdict not in ("reproduced", "not tested here") and len(m.effects) > 1:
            text = ""
        else:
            continue
        notes.setdefault((verdict, text), []).append(setting)
    overall = next(v for v in PRECEDENCE if v in {r[1] for r in rows})
    ours = _ours(claim, m.effects)
    parts = list(failed_whole)
    for (verdict, text), where in notes.items():
        named = ", ".join(w for w in where if w) if len(where) <= MANY else f"{len(where)} settings"
        head = (f"{named} {verdict}" if len(m.effects) > 1 and named else "")
        parts.append(f"{head}: {text}" if head and text else head or text)
    if len(parts) > MANY:
        parts = parts[:MANY] + [f"and {len(parts) - MANY} more"]
    why = "; ".join([p for p in parts if p] + ([m.note] if m.note else []))
    return Graded(claim, overall, ours, why, tuple(rows))


MANY = 6  # beyond this many settings a row names the weakest and the strongest, not each


def _ours(claim: Claim, effects: Mapping[str, Effect]) -> str:
    """Our effect per setting in words (the weakest and strongest of many, by the interval's lower end)."""
    items = list(effects.items())
    if len(items) <= MANY:
        return "; ".join(f"{k}: {_effect_text(claim, e)}" if k else _effect_text(claim, e) for k, e in items)
    def low(item):
        e = item[1]
        return claim.direction * (e.mean - (claim.threshold or 0.0)) - e.half if e.has_interval else -math.inf
    ranked = sorted(items, key=low)
    (wk, we), (sk, se) = ranked[0], ranked[-1]
    return (f"{len(items)} settings; the weakest {wk}: {_effect_text(claim, we)}; "
            f"the strongest {sk}: {_effect_text(claim, se)}")


def _effect_text(claim: Claim, e: Effect) -> str:
    unit = f" {claim.unit_name}" if claim.unit_name else ""
    if not math.isfinite(e.mean):
        return "not measured in this run"
    if not e.has_interval:
        return f"{claim.text(e.mean)}{unit} (one run, no interval)"
    return f"{claim.text(e.mean)} ± {claim.unit * e.half:.{claim.digits}f}{unit}"


def study_text(claim: Claim) -> str:
    """The study's number and how it was obtained, or why there is none."""
    if isinstance(claim.study, NotReported):
        return f"no number ({claim.study.why})"
    unit = f" {claim.unit_name}" if claim.unit_name else ""
    v = claim.study.value
    number = "; ".join(f"{k}: {claim.text(x)}" for k, x in v.items()) if isinstance(v, Mapping) else claim.text(v)
    return f"{number}{unit} ({claim.study.how})"


def grade_all(registry, measurements: Mapping[str, Measurement]) -> list[Graded]:
    """Every claim of a chapter's registry graded, in registry order; a measurement for a claim that
    is not registered is refused."""
    ids = [c.id for c in registry]
    unknown = sorted(set(measurements) - set(ids))
    if unknown:
        raise KeyError(f"measurements for claims that are not registered: {unknown}")
    return [grade(c, measurements.get(c.id)) for c in registry]


def counts(rows) -> dict[str, int]:
    """Claims per verdict, in the order of OUTCOMES (zeros left out)."""
    found = {v: sum(r.verdict == v for r in rows) for v in OUTCOMES}
    return {v: n for v, n in found.items() if n}


def counts_text(rows) -> str:
    c = counts(rows)
    return f"{sum(c.values())} claims: " + ", ".join(f"{n} {v}" for v, n in c.items())


PAYLOAD = "nblib-scorecard"


def _late(rows) -> set[str]:
    """The claims of `rows` committed after the runs that grade them (only a Scorecard knows)."""
    return set(rows.registered_after()) if isinstance(rows, Scorecard) else set()


def payload(rows, commits: Mapping[str, str] | None = None, late: set[str] | None = None) -> str:
    """The graded rows as an HTML comment holding JSON (invisible on the page, read by the dashboard)."""
    late = _late(rows) if late is None else late
    data = [{"id": r.claim.id, "verdict": r.verdict, "ours": r.ours, "why": r.why, "study": study_text(r.claim),
             "words": r.claim.words, "where": r.claim.where, "beyond": r.claim.beyond, "section": r.claim.section,
             "fingerprint": r.claim.fingerprint(), "commit": (commits or {}).get(r.claim.id, ""),
             "registered_after_run": r.claim.id in late} for r in rows]
    text = json.dumps(data).replace("--", "-\\u002d")  # never close the comment early
    return f"<!-- {PAYLOAD} {text} -->"


def read_payloads(markdown: str) -> list[dict]:
    """The rows of every scorecard payload in a Markdown text."""
    found = []
    for m in re.finditer(rf"<!-- {PAYLOAD} (.*?) -->", markdown, re.S):
        found.extend(json.loads(m.group(1)))
    return found


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


def markdown(rows, commits: Mapping[str, str] | None = None) -> str:
    """A chapter's scorecard: one row per registered claim, then the hidden payload."""
    lines = ["| Claim (the study's words) | The study | Ours | Verdict | Registered |", "|---|---|---|---|---|"]
    late = _late(rows)
    for r in rows:
        c = r.claim
        claim = f"**{_cell(c.words)}** ({_cell(c.where)}; {_cell(c.setting)})" + \
            (" *beyond the study*" if c.beyond else "") + f" `{c.id}`"
        ours = f"{_cell(r.ours)} ({_cell(c.measure)}; {_cell(c.scope)})"
        verdict = f"**{r.verdict}**" + (f": {_cell(r.why)}" if r.why else "")
        lines.append(f"| {claim} | {_cell(study_text(c))} | {ours} | {verdict} | "
                     f"{_cell((commits or {}).get(c.id, '') or 'not committed')}"
                     f"{' (after the runs)' if c.id in late else ''} |")
    return "\n".join(lines) + "\n\n" + payload(rows, commits, late)


def registered_commits(path, claims) -> dict[str, str]:
    """claim id -> '<short commit> <date>' of the last commit of the registry file `path` that changed
    the claim ('not committed' where the working file differs from the last commit; '' without git)."""
    return {cid: _parse(entry)[0] for cid, entry in _registrations(path, claims).items()}


def _parse(entry: str) -> tuple[str, datetime | None]:
    """'<short commit> <date> <ISO time>' -> ('<short commit> <date>', the time); anything else -> (it, None)."""
    if entry.count(" ") != 2:
        return entry, None
    commit, date, time = entry.split()
    return f"{commit} {date}", datetime.fromisoformat(time)


def _registrations(path, claims) -> dict[str, str]:
    """claim id -> '<short commit> <date> <ISO time>', 'not committed', or '' (no git)."""
    path = Path(path).resolve()
    top = subprocess.run(["git", "-C", str(path.parent), "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True, timeout=30)
    if top.returncode:
        return {c.id: "" for c in claims}
    root = top.stdout.strip()
    rel = path.relative_to(root).as_posix()

    def git(*args):  # from the top of the work tree, where `rel` is relative to
        return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, timeout=30)
    log = git("log", "--format=%h %cs %cI", "--", rel).stdout.split("\n")
    history = [line for line in log if line.strip()][::-1]  # oldest first
    current = {c.id: c.fingerprint() for c in claims}
    last: dict[str, str] = {}
    seen: dict[str, str] = {}
    for entry in history:
        snapshot = _snapshot(git("show", f"{entry.split()[0]}:{rel}").stdout, rel)
        for cid, fp in snapshot.items():
            if seen.get(cid) != fp:
                last[cid], seen[cid] = entry, fp
    return {cid: last[cid] if seen.get(cid) == fp else "not committed" for cid, fp in current.items()}


def _snapshot(source: str, name: str) -> dict[str, str]:
    """claim id -> fingerprint in one committed version of a registry (empty if it no longer loads)."""
    namespace = {"__name__": f"snapshot of {name}"}
    try:
        exec(compile(source, name, "exec"), namespace)
    except Exception:  # an old version written against an API that has changed since
        return {}
    return {c.id: c.fingerprint() for c in namespace.get("CLAIMS", ())}


@dataclass(frozen=True)
class Change:
    """A claim or its measure replaced after results were seen: what changed and what the earlier version found."""
    claim_id: str
    what: str
    earlier: str


class Scorecard(list):
    """A chapter's graded rows, with the commit in which each claim last changed and when, and (once
    `set_trained` is called) when the earliest run that grades them was trained."""

    def __init__(self, rows, commits: Mapping[str, str], changes=(), times: Mapping[str, datetime | None] = None):
        super().__init__(rows)
        self.commits, self.changes = dict(commits), tuple(changes)
        self.times = dict(times or {})
        self.trained: datetime | None = None

    def set_trained(self, results) -> "Scorecard":
        """Record when the earliest of `results` was trained (each result's `trained_at`, an ISO time)."""
        times = [datetime.fromisoformat(r["trained_at"]) for r in results if isinstance(r, dict) and r.get("trained_at")]
        self.trained = min((t if t.tzinfo else t.replace(tzinfo=timezone.utc) for t in times), default=None)
        return self

    def verdict_md(self, claim_id: str) -> str:
        """The verdict of one claim in bold, for a sentence that quotes it ('' when the card lacks it)."""
        return next((f"**{row.verdict}**" for row in self if row.claim.id == claim_id), "")

    def registered_after(self) -> list[str]:
        """The claims committed (or last changed) after the earliest run was trained, or not committed at all:
        their verdicts were not fixed before the runs that grade them (none when the training time is unknown)."""
        if self.trained is None:
            return []
        known = [r.claim.id for r in self if self.commits.get(r.claim.id)]  # '' = no git history here: unknown
        return [cid for cid in known if not self.times.get(cid) or self.times[cid] > self.trained]


def scorecard(registry, measurements: Mapping[str, Measurement]) -> Scorecard:
    """Every claim of a chapter's registry module (its CLAIMS, and CHANGES if any) graded by the engine."""
    claims = tuple(registry.CLAIMS)
    parsed = {cid: _parse(e) for cid, e in _registrations(registry.__file__, claims).items()}
    return Scorecard(grade_all(claims, measurements), {cid: c for cid, (c, _) in parsed.items()},
                     getattr(registry, "CHANGES", ()), {cid: t for cid, (_, t) in parsed.items()})


def _utc(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def registration_markdown(card: Scorecard) -> str:
    """One paragraph under a scorecard: whether every claim was committed before the runs that grade it."""
    if card.trained is None:
        return ("**Registration:** these results do not record when they were trained, so this page cannot say "
                "whether its claims were committed before them.")
    if not any(card.commits.values()):
        return ("**Registration:** this copy has no git history, so this page cannot say whether its claims were "
                "committed before the runs that grade them.")
    late = card.registered_after()
    if not late:
        last = max(t for t in card.times.values() if t)
        return (f"**Registration:** all {len(card)} claims were committed before the runs that grade them were trained "
                f"(the last change to a claim {_utc(last)}; the first run {_utc(card.trained)}).")
    return (f"**Registered after the runs:** {len(late)} of {len(card)} claims were committed (or last changed) after "
            f"the first run that grades them was trained ({_utc(card.trained)}), or are not committed; their verdicts "
            "were not fixed in advance: " + ", ".join(f"`{cid}`" for cid in late) + ".")


def changes_markdown(card: Scorecard) -> str:
    """The claims changed after results were seen, said in the open (empty when none)."""
    if not card.changes:
        return ""
    groups: dict[tuple[str, str], list[str]] = {}  # one change made to several claims is said once
    for c in card.changes:
        groups.setdefault((c.what, c.earlier), []).append(f"`{c.claim_id}`")
    return "\n".join(["**Changed after results were seen:**", ""] +
                     [f"- {', '.join(ids)}: {what} The earlier version found: {earlier}"
                      for (what, earlier), ids in groups.items()])
