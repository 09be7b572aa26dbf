"""Roles: the criteria, scales and fields a sift is run against, loaded from a TOML role file.

A role file is human-edited, so loading validates everything and reports every problem at once,
each with the file, the criterion (or table) and the field, and what was expected.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from .errors import RoleError, RoleNotFound, RoleProblem

Kind = Literal["essential", "desirable"]
EvidenceRule = Literal["required", "optional", "none"]

ROLES_ENV = "SHORTLIST_ROLES"
ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,19}$")
ROLE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TIE_BREAK_KEYS = ("desirable", "essential")
RESERVED_FIELD_NAMES = frozenset({"file", "sheet", "row"})
_SPACE = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")


def normalise_value(value: str) -> str:
    """A rating or field value as compared: case and all white space (incl. NBSP) ignored."""
    return _SPACE.sub("", value).casefold()


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def normalise_rating(value: str) -> str:
    """A rating as compared: like `normalise_value`, with a number written in any plain
    decimal form ("3", "03", "3.0", "3.00", "+3") reduced to one spelling, so that every
    way of typing a point value finds it."""
    key = normalise_value(value)
    if _NUMBER.fullmatch(key):
        return normalise_value(format_points(float(key)))
    return key


def normalise_header(value: str) -> str:
    """A column header or label as compared: case, spaces and punctuation ignored."""
    return _NOT_ALNUM.sub("", value).casefold()


@dataclass(frozen=True)
class Scale:
    """An ordered rating scale; level i is worth points[i]."""

    name: str
    levels: tuple[str, ...]
    points: tuple[float, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)

    @property
    def max_points(self) -> float:
        return self.points[-1]

    def index_of(self, label: str) -> int:
        return self.levels.index(label)

    def lookup(self) -> dict[str, int]:
        """Every accepted spelling (normalised) → level index.

        Keys are `normalise_rating` spellings. Labels win over aliases, and both over point
        values, so a scale whose labels are digits ("1".."5") is read by label.
        """
        table: dict[str, int] = {}
        for i, p in enumerate(self.points):
            table[normalise_rating(format_points(p))] = i
        for alias, label in self.aliases.items():
            table[normalise_rating(alias)] = self.levels.index(label)
        for i, label in enumerate(self.levels):
            table[normalise_rating(label)] = i
        return table

    def accepted(self) -> str:
        """The accepted values, for error messages."""
        parts = [f'"{lv}" ({format_points(p)})'
                 for lv, p in zip(self.levels, self.points, strict=True)]
        text = ", ".join(parts)
        if self.aliases:
            text += "; also " + ", ".join(f'"{a}"' for a in self.aliases)
        return text


def format_points(p: float) -> str:
    return str(int(p)) if float(p).is_integer() else f"{p:g}"


YES_NO = Scale(
    name="yes_no",
    levels=("No", "Yes"),
    points=(0.0, 1.0),
    aliases={"n": "No", "false": "No", "y": "Yes", "true": "Yes"},
)


@dataclass(frozen=True)
class Condition:
    """`applies_if`: the criterion applies only when `field` holds one of `values`."""

    field: str
    values: tuple[str, ...]

    def holds(self, value: str | None) -> bool:
        return value is not None and normalise_value(value) in {
            normalise_value(v) for v in self.values
        }

    def describe(self) -> str:
        return f"{self.field} is one of " + ", ".join(f'"{v}"' for v in self.values)


@dataclass(frozen=True)
class Criterion:
    id: str
    section: str
    text: str
    kind: Kind
    scale: Scale
    pass_level: str | None
    weight: float
    evidence: EvidenceRule
    word_limit: int | None
    applies_if: Condition | None = None
    reference: str | None = None
    description: str | None = None

    @property
    def essential(self) -> bool:
        return self.kind == "essential"

    @property
    def pass_index(self) -> int | None:
        return None if self.pass_level is None else self.scale.index_of(self.pass_level)


@dataclass(frozen=True)
class Field:
    """A per-applicant value besides the ratings (rank, scheme claims, monitoring data)."""

    name: str
    label: str
    monitoring: bool = False
    values: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()
    required: bool = False

    def headers(self) -> frozenset[str]:
        """Normalised header spellings that name this field."""
        return self._headers

    @cached_property
    def _headers(self) -> frozenset[str]:
        # Worked out once: every form and table read asks again.
        names = {self.name, self.label, *self.aliases, *_BUILTIN_ALIASES.get(self.name, ())}
        return frozenset(normalise_header(n) for n in names if normalise_header(n))

    def canonical(self, value: str) -> str | None:
        """The allowed value `value` stands for, or None when it is not allowed."""
        if self.values is None:
            return value
        key = normalise_value(value)
        for allowed in self.values:
            if normalise_value(allowed) == key:
                return allowed
        return None


_BUILTIN_ALIASES: dict[str, tuple[str, ...]] = {
    "applicant_id": (
        "ID", "Applicant", "Applicant number", "Applicant no", "Applicant ref",
        "Applicant reference", "Application ID", "Application number", "Application no",
        "Application reference", "Candidate", "Candidate ID", "Candidate number", "Candidate no",
        "Candidate reference", "Reference", "Reference number", "Ref",
    ),
    "name": ("Full name", "Applicant name", "Candidate name", "Name of applicant"),
    "guaranteed_interview": (
        "Guaranteed interview scheme", "GIS", "Disability Confident",
        "Disability Confident scheme", "Guaranteed interview (Disability Confident)",
        "Claims guaranteed interview",
    ),
}

BUILTIN_FIELDS: tuple[Field, ...] = (
    Field("applicant_id", "Applicant ID", required=True),
    Field("name", "Name"),
    Field("guaranteed_interview", "Guaranteed interview", values=None),
)


@dataclass(frozen=True)
class Role:
    id: str
    title: str
    criteria: tuple[Criterion, ...]
    fields: tuple[Field, ...]
    scales: Mapping[str, Scale]
    size: int
    min_score: float
    word_limit: int | None
    tie_break: tuple[str, ...]
    organisation: str = ""
    location: str = ""
    reports_to: str = ""
    purpose: str = ""
    source: str = ""
    responsibilities: tuple[str, ...] = ()
    path: str = ""
    sha256: str = ""

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def scored_fields(self) -> tuple[Field, ...]:
        """Fields that may appear in ranked outputs: everything but monitoring data."""
        return tuple(f for f in self.fields if not f.monitoring)

    @cached_property
    def condition_fields(self) -> frozenset[str]:
        """Fields that decide whether some criterion applies (so they must be read)."""
        return frozenset(c.applies_if.field for c in self.criteria if c.applies_if is not None)

    @cached_property
    def field_headers(self) -> Mapping[str, str]:
        """Every normalised header or label spelling (`Field.headers`) → the field it names."""
        return {h: f.name for f in self.fields for h in f.headers()}

    @cached_property
    def criteria_by_id(self) -> Mapping[str, Criterion]:
        """Criteria by their id as compared in a file: case ignored."""
        return {c.id.casefold(): c for c in self.criteria}

    @property
    def essentials(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.essential)

    @property
    def desirables(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.essential)


# ---------------------------------------------------------------------------------------------
# Loading and validation


class _Collector:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[RoleProblem] = []

    def add(self, message: str, criterion: str | None = None, field: str | None = None) -> None:
        self.problems.append(RoleProblem(self.file, message, criterion, field))


def _take(
    table: Mapping[str, Any],
    key: str,
    types: type | tuple[type, ...],
    out: _Collector,
    where: str,
    *,
    required: bool = False,
    default: Any = None,
    expected: str = "",
) -> Any:
    if key not in table:
        if required:
            out.add(f"is missing; expected {expected or _type_name(types)}", where, key)
        return default
    value = table[key]
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        ok = False
    else:
        ok = isinstance(value, types)
    if not ok:
        out.add(f"is {value!r}; expected {expected or _type_name(types)}", where, key)
        return default
    return value


def _type_name(types: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    seq = types if isinstance(types, tuple) else (types,)
    return " or ".join(names.get(t, t.__name__) for t in seq)


def _unknown_keys(table: Mapping[str, Any], allowed: Iterable[str], out: _Collector,
                  where: str) -> None:
    allowed = set(allowed)
    for key in table:
        if key not in allowed:
            out.add(f"is not a known key; expected one of {', '.join(sorted(allowed))}",
                    where, key)


_ROLE_KEYS = ("id", "title", "organisation", "location", "reports_to", "purpose", "source",
              "responsibilities")
_SHORTLIST_KEYS = ("size", "min_score", "word_limit", "tie_break")
_SCALE_KEYS = ("levels", "points", "aliases")
_CRITERION_KEYS = ("id", "section", "text", "kind", "scale", "pass", "weight", "evidence",
                   "word_limit", "applies_if", "reference", "description")
_FIELD_KEYS = ("name", "label", "monitoring", "values", "aliases", "required")


def load_role(path: str | os.PathLike[str]) -> Role:
    """Load and validate a role file; raise `RoleError` listing every problem found."""
    p = Path(path)
    file = str(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise RoleError([RoleProblem(file, f"cannot be read: {exc.strerror or exc}")]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise RoleError([RoleProblem(file, "is not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise RoleError([RoleProblem(file, f"is not valid TOML: {exc}")]) from None
    out = _Collector(file)
    role = _build_role(data, out, file, hashlib.sha256(raw).hexdigest())
    if out.problems or role is None:
        raise RoleError(out.problems)
    return role


def _build_role(data: dict[str, Any], out: _Collector, file: str, sha: str) -> Role | None:
    _unknown_keys(data, ("role", "shortlist", "scales", "criteria", "fields"), out, "top level")
    meta = _take(data, "role", dict, out, "[role]", required=True, default={})
    _unknown_keys(meta, _ROLE_KEYS, out, "[role]")
    role_id = _take(meta, "id", str, out, "[role]", required=True, default="")
    if role_id and not ROLE_ID_PATTERN.match(role_id):
        out.add(f"is {role_id!r}; expected lower-case letters, digits, '-' or '_'", "[role]", "id")
    title = _take(meta, "title", str, out, "[role]", required=True, default="")
    text_meta = {k: _take(meta, k, str, out, "[role]", default="")
                 for k in ("organisation", "location", "reports_to", "purpose", "source")}
    responsibilities = _take(meta, "responsibilities", list, out, "[role]", default=[])
    if not all(isinstance(r, str) for r in responsibilities):
        out.add("expected a list of text", "[role]", "responsibilities")
        responsibilities = []

    sl = _take(data, "shortlist", dict, out, "[shortlist]", default={})
    _unknown_keys(sl, _SHORTLIST_KEYS, out, "[shortlist]")
    size = _take(sl, "size", int, out, "[shortlist]", default=10)
    if size < 1:
        out.add(f"is {size}; expected a whole number of at least 1", "[shortlist]", "size")
    min_score = _take(sl, "min_score", (int, float), out, "[shortlist]", default=0)
    if not 0 <= min_score <= 100:
        out.add(f"is {min_score}; expected a number from 0 to 100", "[shortlist]", "min_score")
    word_limit = _take(sl, "word_limit", int, out, "[shortlist]", default=None)
    if word_limit is not None and word_limit < 1:
        out.add(f"is {word_limit}; expected a positive whole number", "[shortlist]", "word_limit")
        word_limit = None  # reported once here, not again on every criterion that inherits it
    tie_break = _take(sl, "tie_break", list, out, "[shortlist]", default=["desirable"])

    raw_scales = _take(data, "scales", dict, out, "[scales]", default={})
    scales = _build_scales(raw_scales, out)
    broken_scales = set(raw_scales) - set(scales)  # defined, but with problems reported above
    fields = _build_fields(_take(data, "fields", list, out, "[[fields]]", default=[]), out)
    criteria = _build_criteria(
        _take(data, "criteria", list, out, "[[criteria]]", required=True, default=[],
              expected="at least one [[criteria]] table"),
        scales, broken_scales, fields, word_limit, out)
    if data.get("criteria") == []:
        out.add("no criteria: expected at least one [[criteria]] table", "[[criteria]]")
    if criteria and not any(c.weight > 0 for c in criteria):
        out.add("every criterion has weight 0, so no score could be computed; "
                "expected at least one criterion with weight > 0", "[[criteria]]", "weight")

    ids = {c.id for c in criteria}
    for key in tie_break:
        if not isinstance(key, str) or (key not in TIE_BREAK_KEYS and key not in ids):
            out.add(f"has {key!r}; expected \"desirable\", \"essential\" or a criterion id",
                    "[shortlist]", "tie_break")
    if out.problems:
        return None
    return Role(
        id=role_id, title=title, criteria=tuple(criteria), fields=tuple(fields),
        scales=scales, size=size, min_score=float(min_score), word_limit=word_limit,
        tie_break=tuple(tie_break), responsibilities=tuple(responsibilities), path=file,
        sha256=sha, **text_meta,
    )


def _build_scales(raw: dict[str, Any], out: _Collector) -> dict[str, Scale]:
    scales = {"yes_no": YES_NO}
    for name, table in raw.items():
        where = f"scale {name!r}"
        if name == "yes_no":
            out.add("is built in and cannot be redefined", where)
            continue
        if not isinstance(table, dict):
            out.add("expected a [scales.NAME] table", where)
            continue
        _unknown_keys(table, _SCALE_KEYS, out, where)
        levels = _take(table, "levels", list, out, where, required=True, default=[],
                       expected="a list of at least two level labels, lowest first")
        if not (len(levels) >= 2 and all(isinstance(v, str) and v.strip() for v in levels)):
            out.add(f"is {levels!r}; expected at least two non-empty labels, lowest first",
                    where, "levels")
            continue
        keys = [normalise_rating(v) for v in levels]
        if len(set(keys)) != len(keys):
            out.add("has labels that differ only in case or spacing; expected distinct labels",
                    where, "levels")
        points = _take(table, "points", list, out, where, default=list(range(len(levels))))
        if (len(points) != len(levels)
                or not all(isinstance(p, int | float) and not isinstance(p, bool)
                           and math.isfinite(p) and p >= 0 for p in points)
                or any(b <= a for a, b in itertools.pairwise(points))):
            out.add(f"is {points!r}; expected {len(levels)} numbers >= 0, strictly increasing",
                    where, "points")
            continue
        aliases = _take(table, "aliases", dict, out, where, default={})
        clean_aliases: dict[str, str] = {}
        for alias, target in aliases.items():
            if target not in levels:
                out.add(f"maps {alias!r} to {target!r}; expected one of the levels "
                        f"{', '.join(levels)}", where, "aliases")
            elif normalise_rating(alias) in keys and normalise_rating(alias) != normalise_rating(
                    target):
                out.add(f"maps {alias!r} to {target!r}, but {alias!r} is itself a level",
                        where, "aliases")
            else:
                clean_aliases[alias] = target
        scales[name] = Scale(name, tuple(levels), tuple(float(p) for p in points),
                             clean_aliases)
    return scales


def _build_fields(raw: list[Any], out: _Collector) -> list[Field]:
    fields = {f.name: f for f in BUILTIN_FIELDS}
    defined: set[str] = set()
    for i, table in enumerate(raw, 1):
        where = f"field #{i}"
        if not isinstance(table, dict):
            out.add("expected a [[fields]] table", where)
            continue
        name = _take(table, "name", str, out, where, required=True, default="")
        where = f"field {name!r}" if name else where
        _unknown_keys(table, _FIELD_KEYS, out, where)
        if name and not re.match(r"^[a-z][a-z0-9_]*$", name):
            out.add(f"is {name!r}; expected lower-case letters, digits and '_'", where, "name")
        if name in RESERVED_FIELD_NAMES:
            out.add(f"is {name!r}, which is kept for where each applicant was read "
                    f"({', '.join(sorted(RESERVED_FIELD_NAMES))}); expected another name "
                    "(the label can still say anything)", where, "name")
        if name in defined:
            out.add("is defined twice", where, "name")
        defined.add(name)
        base = fields.get(name)
        label = _take(table, "label", str, out, where,
                      default=base.label if base else name.replace("_", " ").capitalize())
        monitoring = _take(table, "monitoring", bool, out, where, default=False)
        if monitoring and name in ("applicant_id", "name", "guaranteed_interview"):
            out.add("is a built-in field and cannot be monitoring data", where, "monitoring")
        values = _take(table, "values", list, out, where, default=None)
        if values is not None and not (values and all(isinstance(v, str) for v in values)):
            out.add("expected a non-empty list of text", where, "values")
            values = None
        aliases = _take(table, "aliases", list, out, where, default=[])
        if not all(isinstance(a, str) for a in aliases):
            out.add("expected a list of text", where, "aliases")
            aliases = []
        required = _take(table, "required", bool, out, where,
                         default=base.required if base else False)
        fields[name] = Field(name, label, monitoring, tuple(values) if values else None,
                             tuple(aliases), required or name == "applicant_id")
    seen: dict[str, str] = {}
    for f in fields.values():
        for h in f.headers():
            if h in seen and seen[h] != f.name:
                out.add(f"has a label or alias that also names field {seen[h]!r}",
                        f"field {f.name!r}", "aliases")
            seen[h] = f.name
    return list(fields.values())


def _build_criteria(raw: list[Any], scales: Mapping[str, Scale], broken_scales: set[str],
                    fields: list[Field], default_limit: int | None,
                    out: _Collector) -> list[Criterion]:
    criteria: list[Criterion] = []
    seen: set[str] = set()
    field_names = {f.name: f for f in fields}
    for i, table in enumerate(raw, 1):
        where = f"criterion #{i}"
        if not isinstance(table, dict):
            out.add("expected a [[criteria]] table", where)
            continue
        cid = _take(table, "id", str, out, where, required=True, default="")
        if cid:
            where = f"criterion {cid}"
            if not ID_PATTERN.match(cid):
                out.add(f"is {cid!r}; expected a short id such as E1 (a letter, then letters, "
                        "digits, '.', '-' or '_', at most 20 characters)", where, "id")
            if cid.casefold() in seen:
                out.add("is used by another criterion; expected unique ids", where, "id")
            seen.add(cid.casefold())
        _unknown_keys(table, _CRITERION_KEYS, out, where)
        n_before = len(out.problems)
        section = _take(table, "section", str, out, where, required=True, default="")
        text = _take(table, "text", str, out, where, required=True, default="")
        if "text" in table and not text.strip():
            out.add("is empty; expected the criterion's wording", where, "text")
        kind = _take(table, "kind", str, out, where, required=True, default="essential",
                     expected='"essential" or "desirable"')
        if kind not in ("essential", "desirable"):
            out.add(f'is {kind!r}; expected "essential" or "desirable"', where, "kind")
        scale_name = _take(table, "scale", str, out, where, required=True, default="",
                           expected="the name of a scale")
        scale = scales.get(scale_name)
        if scale_name and scale is None and scale_name not in broken_scales:
            out.add(f"is {scale_name!r}; expected one of the scales: {', '.join(scales)}",
                    where, "scale")
        pass_level = _take(table, "pass", str, out, where, default=None,
                           expected="a level label of the scale")
        if kind == "essential" and "pass" not in table:
            out.add("is missing; an essential criterion needs the lowest level that meets it",
                    where, "pass")
        if kind == "desirable" and "pass" in table:
            out.add("is set on a desirable criterion; only essential criteria have a pass "
                    "level", where, "pass")
        if scale is not None and pass_level is not None and pass_level not in scale.levels:
            match = [lv for lv in scale.levels
                     if normalise_value(lv) == normalise_value(pass_level)]
            if match:
                pass_level = match[0]
            else:
                out.add(f"is {pass_level!r}; expected one of {', '.join(scale.levels)}",
                        where, "pass")
        weight = _take(table, "weight", (int, float), out, where, default=1)
        if not (math.isfinite(weight) and weight >= 0):
            out.add(f"is {weight}; expected a number >= 0", where, "weight")
        evidence = _take(table, "evidence", str, out, where, default="optional")
        if evidence not in ("required", "optional", "none"):
            out.add(f'is {evidence!r}; expected "required", "optional" or "none"',
                    where, "evidence")
        limit = _take(table, "word_limit", int, out, where, default=default_limit)
        if limit is not None and limit < 1:
            out.add(f"is {limit}; expected a positive whole number", where, "word_limit")
        condition = _build_condition(table.get("applies_if"), field_names, out, where)
        reference = _take(table, "reference", str, out, where, default=None)
        description = _take(table, "description", str, out, where, default=None)
        if len(out.problems) > n_before or scale is None:
            continue
        criteria.append(Criterion(
            id=cid, section=section.strip(), text=" ".join(text.split()), kind=kind,
            scale=scale, pass_level=pass_level, weight=float(weight), evidence=evidence,
            word_limit=limit, applies_if=condition, reference=reference,
            description=description))
    return criteria


def _build_condition(raw: Any, fields: Mapping[str, Field], out: _Collector,
                     where: str) -> Condition | None:
    if raw is None:
        return None
    expected = 'a table like { field = "current_rank", in = ["Constable"] }'
    if not isinstance(raw, dict) or set(raw) != {"field", "in"}:
        out.add(f"is {raw!r}; expected {expected}", where, "applies_if")
        return None
    name, values = raw["field"], raw["in"]
    if not isinstance(name, str) or name not in fields:
        out.add(f"names field {name!r}; expected one of the role's fields: "
                f"{', '.join(fields)}", where, "applies_if")
        return None
    if fields[name].monitoring:
        out.add(f"uses monitoring field {name!r}; monitoring data never affects a score",
                where, "applies_if")
        return None
    if name == "guaranteed_interview":
        out.add("uses 'guaranteed_interview'; a guaranteed-interview claim decides who is "
                "interviewed, never which criteria apply", where, "applies_if")
        return None
    if not (isinstance(values, list) and values and all(isinstance(v, str) for v in values)):
        out.add(f"has in = {values!r}; expected a non-empty list of text", where, "applies_if")
        return None
    allowed = fields[name].values
    if allowed is not None:
        bad = [v for v in values if fields[name].canonical(v) is None]
        if bad:
            out.add(f"lists {', '.join(map(repr, bad))}, not values of field {name!r} "
                    f"({', '.join(allowed)})", where, "applies_if")
            return None
    return Condition(name, tuple(values))


# ---------------------------------------------------------------------------------------------
# Finding roles


def roles_dir() -> Path:
    return Path(os.environ.get(ROLES_ENV) or "roles")


def role_files(directory: Path | None = None) -> list[Path]:
    d = directory or roles_dir()
    return sorted(d.glob("*.toml")) if d.is_dir() else []


def find_role(name: str) -> Role:
    """Load a role by file path, or by id from `./roles/` (or `$SHORTLIST_ROLES`)."""
    p = Path(name)
    if p.suffix == ".toml" or os.sep in name or "/" in name:
        if not p.is_file():
            raise RoleNotFound(f"role file {name} does not exist")
        return load_role(p)
    d = roles_dir()
    candidate = d / f"{name}.toml"
    if candidate.is_file():
        role = load_role(candidate)
        if role.id == name:
            return role
    for path in role_files(d):
        try:
            if tomllib.loads(path.read_text("utf-8")).get("role", {}).get("id") == name:
                return load_role(path)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
    known = []
    for path in role_files(d):
        try:
            known.append(str(tomllib.loads(path.read_text("utf-8"))["role"]["id"]))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
            continue
    hint = f"known roles in {d}/: {', '.join(sorted(known))}" if known else (
        f"no role files in {d}/ (set ${ROLES_ENV} or give a path to a .toml file)")
    raise RoleNotFound(f"no role {name!r}; {hint}")
