"""The two seed role profiles are encoded completely and faithfully in `roles/`.

Each test re-reads the seed document itself (``../shared/seeds/``) and derives what must be in
the role file from it: every bullet under the essential/desirable criteria, the training, the
CVF competencies with their level, the step-up items, the additional-information conditions
(SECOU); every underlined core responsibility with its NOS number and activity text, and every
behaviour with its required A/B/C level (BTP); the responsibilities and purpose of both. Every
seed item must be carried by exactly one criterion (or responsibility entry), in its section,
and no criterion may be left over that the seed does not account for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from shortlist.role import Criterion, Role, load_role

REPO = Path(__file__).resolve().parents[1]
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
ROLES = REPO / "roles"
SECOU_SEED = "000_39336e192de54feb.txt"
BTP_SEED = "004_f63ba927b66e6932.txt"

if not (SEEDS / SECOU_SEED).is_file() or not (SEEDS / BTP_SEED).is_file():
    pytest.skip(f"seed documents not found in {SEEDS}", allow_module_level=True)

BULLET = "·"
DASH = r"\s+[–-]\s+"
PROMOTION_RANKS = {"constable", "detective constable"}


def clean(text: str) -> str:
    """Whitespace clean-up only: runs of white space (tabs, NBSP, newlines) become one space."""
    return " ".join(text.split())


def seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


@cache
def role(role_id: str) -> Role:
    return load_role(ROLES / f"{role_id}.toml")


@dataclass(frozen=True)
class SeedItem:
    """One thing in a seed that a criterion must carry."""

    section: str  # the section the criterion must have
    text: str  # the criterion's text, as in the seed
    kind: str | None = None  # essential/desirable when the seed fixes it
    level: str | None = None  # the required level the seed states (CVF "2", behaviour "B")
    reference: str | None = None  # "NOS 3"
    description: str | None = None  # the activity / behaviour descriptor
    step_up: bool = False
    gate: bool = False  # a yes/no condition (training, vetting, CSEA)

    @property
    def id(self) -> str:
        return f"{self.section[:30]}: {self.text[:40]}".replace("–", "-")


def find(r: Role, item: SeedItem) -> Criterion:
    matches = [c for c in r.criteria if clean(c.text) == item.text]
    assert len(matches) == 1, (
        f"{r.id}: expected exactly one criterion with text {item.text!r} "
        f"(section {item.section!r}), found {[c.id for c in matches]}"
    )
    return matches[0]


# ---------------------------------------------------------------------------------------------
# SECOU (000_39336e192de54feb.txt): headings, then "·" bullets under them.

MARKER = re.compile(r"\s*\((Essential|Desirable)\)\s*\.?\s*$")
CVF_LEVEL = re.compile(rf"^(.*?){DASH}level\s+(\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class SecouSeed:
    header: dict[str, str]
    purpose: str
    responsibilities: list[str]
    items: list[SeedItem]


def _is_heading(line: str) -> bool:
    return line.endswith((":", "?")) or line.startswith("Competency Value Framework")


@cache
def secou_seed() -> SecouSeed:
    lines = [clean(line) for line in seed_text(SECOU_SEED).splitlines()]
    # "Role Title:" etc. are each followed by their value on the next line.
    header = {}
    for label in ("Role Title", "Department", "Reports To", "Location"):
        i = lines.index(f"{label}:")
        header[label] = lines[i + 1]
    i_purpose = lines.index("Purpose of role:")
    i_resp = lines.index("Principle Responsibilities:")
    i_training = lines.index("Essential role based training:")
    purpose = clean(" ".join(lines[i_purpose + 1 : i_resp]))
    responsibilities = [line for line in lines[i_resp + 1 : i_training] if line]

    items: list[SeedItem] = []
    heading = ""
    step_up_heading = ""
    for line in lines[i_training:]:
        if not line:
            continue
        if line.startswith(BULLET):
            items.append(_secou_item(heading, step_up_heading, clean(line[len(BULLET) :])))
        elif _is_heading(line):
            heading = line.rstrip(":").strip()
            if "Step Up" in heading:
                step_up_heading = heading
        # any other line is prose ("The role holder should effectively deliver…"): no item
    return SecouSeed(header, purpose, responsibilities, items)


def _secou_item(heading: str, step_up_heading: str, bullet: str) -> SeedItem:
    if heading in ("Essential Criteria", "Desirable Criteria"):
        m = MARKER.search(bullet)
        assert m, f"seed bullet under {heading!r} has no (Essential)/(Desirable) marker: {bullet!r}"
        kind = m.group(1).lower()
        assert heading.lower().startswith(kind), f"{bullet!r} is marked {kind} under {heading!r}"
        return SeedItem(heading, bullet[: m.start()].strip(), kind=kind)
    if heading.startswith("Competency Value Framework") and "Level" in heading:
        m = CVF_LEVEL.match(bullet)
        assert m, f"CVF bullet without a level: {bullet!r}"
        assert heading.endswith(f"Level {m.group(2)}"), (heading, bullet)
        return SeedItem(heading, m.group(1).strip(), kind="essential", level=m.group(2))
    if heading in ("Why me?", "Why now?"):
        # Sub-headings of the step-up heading "…Criteria for Officers applying for
        # promotion."; the section is "<that heading> – Why me?".
        assert step_up_heading, f"{heading!r} before the step-up heading"
        parent = step_up_heading.rstrip(".")
        return SeedItem(f"{parent} – {heading}", bullet, kind="essential", step_up=True)
    if heading in ("Essential role based training", "Additional Information"):
        return SeedItem(heading, bullet, kind="essential", gate=True)
    raise AssertionError(f"seed bullet under an unexpected heading {heading!r}: {bullet!r}")


def test_secou_seed_parsed_fully() -> None:
    """Guards the parser itself: the counts a reader of the seed would give."""
    seed = secou_seed()
    by_section: dict[str, int] = {}
    for item in seed.items:
        by_section[item.section] = by_section.get(item.section, 0) + 1
    assert list(by_section.values()) == [1, 6, 5, 6, 3, 3, 2], by_section
    assert len(seed.responsibilities) == 14


@pytest.mark.parametrize("item", secou_seed().items, ids=lambda i: i.id)
def test_secou_item_encoded(item: SeedItem) -> None:
    r = role("secou-ds")
    c = find(r, item)
    assert c.section == item.section, f"{c.id}: section {c.section!r}, seed {item.section!r}"
    assert c.kind == item.kind, f"{c.id}: kind {c.kind!r}, seed says {item.kind!r}"
    if item.level is not None:
        # The CVF level the seed requires is the criterion's pass level.
        assert c.pass_level is not None
        assert re.search(rf"\b{item.level}\b", c.pass_level), (
            f"{c.id}: pass {c.pass_level!r}, seed requires level {item.level}"
        )
    if item.gate:
        assert c.scale.name == "yes_no" and c.pass_level == "Yes", c.id
        assert c.weight == 0, f"{c.id}: a yes/no condition is a gate, not a score"
    if item.step_up:
        cond = c.applies_if
        assert cond is not None, f"{c.id}: step-up criteria apply only to officers for promotion"
        assert cond.field == "current_rank"
        assert {v.casefold() for v in cond.values} == PROMOTION_RANKS, cond.values


def test_secou_no_criterion_unaccounted_for() -> None:
    r = role("secou-ds")
    expected = {item.text for item in secou_seed().items}
    extra = [c.id for c in r.criteria if clean(c.text) not in expected]
    assert not extra, f"criteria not in the seed: {extra}"
    assert len(r.criteria) == len(expected)


def test_secou_role_metadata() -> None:
    seed, r = secou_seed(), role("secou-ds")
    assert r.title == seed.header["Role Title"]
    assert r.organisation == seed.header["Department"]
    assert r.reports_to == seed.header["Reports To"]
    assert r.location == seed.header["Location"]
    assert clean(r.purpose) == seed.purpose
    assert [clean(x) for x in r.responsibilities] == seed.responsibilities
    assert r.source == SECOU_SEED


def test_secou_rank_field() -> None:
    r = role("secou-ds")
    rank = r.field("current_rank")
    assert not rank.monitoring and rank.required
    values = {v.casefold() for v in rank.values or ()}
    assert values > PROMOTION_RANKS, values
    assert {"sergeant", "detective sergeant"} <= values
    step_up = [c for c in r.criteria if c.applies_if is not None]
    assert step_up and all(c.id.startswith("SU") for c in step_up)


# ---------------------------------------------------------------------------------------------
# BTP (004_f63ba927b66e6932.txt): an HTML-ish table, one row per line, tab-separated; the first
# cell names the area and is blank on continuation rows.

NOS = re.compile(r"<u>(?P<title>.+?)\s+-\s+\((?P<num>\d+)\)</u>\s*(?P<text>.*?)\s*(?:</p>)?\s*$")
BEHAVIOUR = re.compile(r"<u>(?P<title>.+?)\s+-\s+(?P<level>[ABC])</u>\s*(?P<text>.*?)\s*$")
TAG = re.compile(r"<[^>]+>")
# The main responsibilities run together on one line with no separators: "…operationsTo
# supervise…", "…explored.To provide…". Each starts with a capital "To ".
RESPONSIBILITY_START = re.compile(r"(?<=[a-z.])(?=To [a-z])")


@dataclass(frozen=True)
class BtpSeed:
    location: str
    reports_to: str
    purpose: str
    responsibilities: list[str]
    items: list[SeedItem]


def _cell_after(lines: list[str], label: str) -> str:
    for line in lines:
        cells = [clean(c) for c in line.split("\t")]
        if label in cells:
            return cells[cells.index(label) + 1]
    raise AssertionError(f"no {label!r} cell in the seed")


@cache
def btp_seed() -> BtpSeed:
    raw = seed_text(BTP_SEED).splitlines()
    ul = [clean(TAG.sub("", line)) for line in raw if line.startswith("<ul")]
    assert len(ul) == 2, "expected the purpose and the main responsibilities lists"
    purpose, run_on = ul
    responsibilities = [clean(p) for p in RESPONSIBILITY_START.split(run_on)]

    items: list[SeedItem] = []
    area = ""
    in_behaviours = False
    for line in raw:
        first_cell = clean(TAG.sub("", line.split("\t")[0]))
        if first_cell == "Behaviour Area":
            in_behaviours, area = True, ""
            continue
        if "<u>" in line and first_cell:
            area = first_cell
        m = (BEHAVIOUR if in_behaviours else NOS).search(line)
        if not m:
            continue
        assert area, f"row without an area: {line!r}"
        if in_behaviours:
            items.append(SeedItem(f"Behaviours – {area}", clean(m["title"]), kind="essential",
                                  level=m["level"], description=clean(m["text"])))
        else:
            items.append(SeedItem(f"Core Responsibilities – {area}", clean(m["title"]),
                                  reference=f"NOS {m['num']}", description=clean(m["text"])))
    return BtpSeed(_cell_after(raw, "Location:"), _cell_after(raw, "Reports to:"), purpose,
                   responsibilities, items)


def test_btp_seed_parsed_fully() -> None:
    seed = btp_seed()
    text = seed_text(BTP_SEED)
    nos = [i for i in seed.items if i.reference]
    behaviours = [i for i in seed.items if i.level]
    # Every underlined title in the seed was picked up, once.
    assert len(nos) + len(behaviours) == text.count("<u>") == 33
    assert len(nos) == 26 and len(behaviours) == 7
    assert len({i.reference for i in nos}) == len(nos), "NOS numbers are unique in the seed"
    areas = {i.section for i in nos}
    assert len(areas) == 8, areas
    # "There will normally be between 5 and 8 main responsibilities."
    assert 5 <= len(seed.responsibilities) <= 8
    assert all(r.startswith("To ") for r in seed.responsibilities)


@pytest.mark.parametrize("item", btp_seed().items, ids=lambda i: i.id)
def test_btp_item_encoded(item: SeedItem) -> None:
    r = role("btp-msoct-ds")
    c = find(r, item)
    assert c.section == item.section, f"{c.id}: section {c.section!r}, seed {item.section!r}"
    assert c.description is not None and clean(c.description) == item.description, c.id
    if item.reference is not None:
        assert c.reference == item.reference, f"{c.id}: reference {c.reference!r}"
        assert c.kind in ("essential", "desirable")
    if item.level is not None:
        assert c.kind == "essential", f"{c.id}: the seed requires a level, so it is essential"
        assert c.pass_level == item.level, (
            f"{c.id}: pass {c.pass_level!r}, seed requires {item.level!r}"
        )
        levels = c.scale.levels
        assert levels.index("A") > levels.index("B") > levels.index("C"), "A is the highest"


def test_btp_no_criterion_unaccounted_for() -> None:
    r = role("btp-msoct-ds")
    expected = {item.text for item in btp_seed().items}
    extra = [c.id for c in r.criteria if clean(c.text) not in expected]
    assert not extra, f"criteria not in the seed: {extra}"
    assert len(r.criteria) == len(expected)


def test_btp_areas_decided_as_a_whole() -> None:
    """Essential vs desirable is decided per core-responsibility area, with one pass level."""
    r = role("btp-msoct-ds")
    by_area: dict[str, set[tuple[str, str | None]]] = {}
    for c in r.criteria:
        if c.reference and c.reference.startswith("NOS"):
            by_area.setdefault(c.section, set()).add((c.kind, c.pass_level))
    assert all(len(v) == 1 for v in by_area.values()), by_area
    kinds = {next(iter(v))[0] for v in by_area.values()}
    assert kinds == {"essential", "desirable"}


def test_btp_role_metadata() -> None:
    seed, r = btp_seed(), role("btp-msoct-ds")
    assert r.location and r.location in seed.location
    assert r.reports_to == seed.reports_to
    assert clean(r.purpose) == seed.purpose
    assert [clean(x) for x in r.responsibilities] == seed.responsibilities
    assert r.source == BTP_SEED


# ---------------------------------------------------------------------------------------------
# Both roles.

ROLE_SEEDS = [("secou-ds", SECOU_SEED), ("btp-msoct-ds", BTP_SEED)]


@pytest.mark.parametrize(("role_id", "seed"), ROLE_SEEDS)
def test_every_text_is_the_seeds_own_wording(role_id: str, seed: str) -> None:
    source = clean(TAG.sub("", seed_text(seed)))
    r = role(role_id)
    for c in r.criteria:
        assert clean(c.text) in source, f"{c.id}: text not found verbatim in {seed}"
        if c.description:
            assert clean(c.description) in source, f"{c.id}: description not in {seed}"
    for resp in r.responsibilities:
        assert clean(resp) in source, f"responsibility not in {seed}: {resp[:60]!r}"


@pytest.mark.parametrize(("role_id", "seed"), ROLE_SEEDS)
def test_sift_settings(role_id: str, seed: str) -> None:
    r = role(role_id)
    assert r.source == seed
    assert r.word_limit == 250
    assert all(c.word_limit == 250 for c in r.criteria)
    assert r.tie_break and r.tie_break[0] == "desirable" and r.desirables
    for c in r.criteria:
        if c.essential:
            assert c.pass_level in c.scale.levels, c.id
        if c.weight > 0:
            assert c.evidence == "required", f"{c.id}: a scored criterion needs evidence"
    scored_max = {c.scale.max_points for c in r.criteria if c.weight > 0}
    assert len(scored_max) == 1, "every scored criterion carries the same maximum"
    monitoring = {f.name for f in r.fields if f.monitoring}
    assert {"sex", "ethnic_group", "age_band", "disability"} <= monitoring
    assert all(c.applies_if is None or c.applies_if.field not in monitoring
               for c in r.criteria)
