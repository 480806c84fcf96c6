"""Procedure definitions (退出程序) as data, validated when loaded.

A procedure file names, for each subject kind, its ordered stages. A stage says
who performs it (one place: the ``roles`` of the stage; the Casbin policy is
generated from it), which decisions it allows, how long its notice runs, what
evidence it needs and what happens when the last stage passes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from api.domain.jurisdictions import validate_code
from api.domain.register import CountyDesignation, SubjectKind
from api.domain.roles import Role
from api.errors import ValidationFailed

E = TypeVar("E", bound=StrEnum)


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"


class EvidenceKind(StrEnum):
    ASSEMBLY_MINUTES = "assembly_minutes"
    VERIFICATION_RECORD = "verification_record"
    HOUSEHOLD_ACKNOWLEDGMENT = "household_acknowledgment"
    NOTICE_POSTING = "notice_posting"
    INVESTIGATION_REPORT = "investigation_report"
    SPOT_CHECK_RECORD = "spot_check_record"
    EVALUATION_REPORT = "evaluation_report"
    APPLICATION_DOCUMENT = "application_document"
    REVIEW_REPORT = "review_report"
    REPORT_DOCUMENT = "report_document"
    APPROVAL_DOCUMENT = "approval_document"
    FILING_RECEIPT = "filing_receipt"


class Effect(StrEnum):
    DEREGISTER_HOUSEHOLD = "deregister_household"
    MARK_VILLAGE_EXITED = "mark_village_exited"
    APPROVE_COUNTY_EXIT = "approve_county_exit"


class Check(StrEnum):
    """Standard checks that must pass before a subject is proposed."""

    HOUSEHOLD_STANDARD = "household_standard"
    INCIDENCE = "incidence"
    HAMLET_ROAD_PAVED = "hamlet_road_paved"
    BROADBAND = "broadband"
    RADIO_AND_CABLE_TV = "radio_and_cable_tv"
    CLINIC_WITH_DOCTOR = "clinic_with_doctor"
    CULTURAL_VENUE = "cultural_venue"


@dataclass(frozen=True, slots=True)
class Stage:
    code: str
    zh: str
    en: str
    roles: tuple[Role, ...]
    roles_by_designation: Mapping[CountyDesignation, tuple[Role, ...]]
    on_list: bool
    decisions: frozenset[Decision]
    returns_to: tuple[str, ...]
    notice_days: int | None
    objections_return_to: str | None
    evidence: tuple[EvidenceKind, ...]
    effects: tuple[Effect, ...]
    source: str

    @property
    def is_notice(self) -> bool:
        return self.notice_days is not None

    @property
    def needs_spot_check(self) -> bool:
        """It takes a spot_check_record. Under a procedure that names its
        ``spot_check_returns_to`` its approval cites a recorded spot check covering the
        application; under an older snapshot the performer gives the record."""
        return EvidenceKind.SPOT_CHECK_RECORD in self.evidence

    def roles_for(self, designation: CountyDesignation | None) -> tuple[Role, ...]:
        """The roles that perform this stage for a subject of ``designation``."""
        if designation is not None and designation in self.roles_by_designation:
            return self.roles_by_designation[designation]
        return self.roles

    def all_roles(self) -> tuple[Role, ...]:
        found = list(self.roles)
        for roles in self.roles_by_designation.values():
            found += [r for r in roles if r not in found]
        return tuple(found)


@dataclass(frozen=True, slots=True)
class SubjectProcedure:
    kind: SubjectKind
    checks: tuple[Check, ...]
    stages: tuple[Stage, ...]
    spot_check_returns_to: str | None = None
    """Where a failed spot check sends the application back for verification, even after
    the subject exited; None: its subjects are not spot-checked."""

    def index_of(self, code: str) -> int:
        for index, stage in enumerate(self.stages):
            if stage.code == code:
                return index
        raise ValidationFailed(f"no stage {code!r} in the {self.kind} procedure", path=("stage",))


@dataclass(frozen=True, slots=True)
class Procedure:
    code: str
    version: int
    title: str
    source: str
    applies_to: tuple[str, ...]
    subjects: Mapping[SubjectKind, SubjectProcedure]
    digest: str
    """SHA-256 of the canonical definition: two files with one digest are one version."""
    raw: Mapping[str, Any]

    def for_kind(self, kind: SubjectKind) -> SubjectProcedure:
        try:
            return self.subjects[kind]
        except KeyError:
            raise ValidationFailed(
                f"procedure {self.code} has no {kind} procedure", path=("subjectKind",)
            ) from None

    def stage_key(self, kind: SubjectKind, stage: str) -> str:
        """The Casbin object naming one stage: ``procedure/kind/stage``."""
        return f"{self.code}/{kind}/{stage}"


def parse_procedure(data: Any, *, stored: bool = False) -> Procedure:
    """Parse and validate a procedure definition.

    ``stored``: a snapshot an application started under. It is parsed as it was written:
    rules added since then do not invalidate it (a snapshot from before spot checks names
    no ``spot_check_returns_to``, and its spot-check evidence is given by the performer).
    """
    root = _mapping(data, ())
    code = _text(root, "code", ())
    if not code.isidentifier() or not code.islower():
        raise ValidationFailed("a procedure code is a lower-case identifier", path=("code",))
    version = root.get("version")
    if not isinstance(version, int) or version < 1:
        raise ValidationFailed("version is a whole number >= 1", path=("version",))
    applies = root.get("applies_to")
    if not isinstance(applies, list) or not applies:
        raise ValidationFailed("applies_to lists division codes", path=("applies_to",))
    subjects_data = _mapping(root.get("subjects"), ("subjects",))
    subjects: dict[SubjectKind, SubjectProcedure] = {}
    for key, value in subjects_data.items():
        kind = _enum(SubjectKind, key, ("subjects",))
        subjects[kind] = _subject(kind, value, ("subjects", str(key)), stored=stored)
    canonical = json.dumps(root, sort_keys=True, ensure_ascii=False, default=str)
    return Procedure(
        code=code,
        version=version,
        title=_text(root, "title", ()),
        source=_text(root, "source", ()),
        applies_to=tuple(validate_code(str(c)) for c in applies),
        subjects=subjects,
        digest=hashlib.sha256(canonical.encode()).hexdigest(),
        raw=root,
    )


def _subject(
    kind: SubjectKind, data: Any, path: tuple[str, ...], *, stored: bool = False
) -> SubjectProcedure:
    entry = _mapping(data, path)
    checks = tuple(_enum(Check, c, (*path, "checks")) for c in entry.get("checks", []))
    stages_data = entry.get("stages")
    if not isinstance(stages_data, list) or not stages_data:
        raise ValidationFailed("stages lists at least one stage", path=(*path, "stages"))
    stages: list[Stage] = []
    for index, stage_data in enumerate(stages_data):
        stages.append(_stage(stage_data, [s.code for s in stages], (*path, "stages", str(index))))
    if len({s.code for s in stages}) != len(stages):
        raise ValidationFailed("stage codes repeat", path=(*path, "stages"))
    if not stages[0].on_list:
        raise ValidationFailed("the first stage proposes a list", path=(*path, "stages", "0"))
    returns_to = (
        None
        if stored and entry.get("spot_check_returns_to") is None
        else _spot_check_returns_to(kind, entry, stages, path)
    )
    return SubjectProcedure(
        kind=kind, checks=checks, stages=tuple(stages), spot_check_returns_to=returns_to
    )


SPOT_CHECKED = (SubjectKind.HOUSEHOLD, SubjectKind.VILLAGE)


def _spot_check_returns_to(
    kind: SubjectKind, entry: Mapping[Any, Any], stages: list[Stage], path: tuple[str, ...]
) -> str | None:
    """``spot_check_returns_to`` names a stage; a stage needing a spot check comes after it."""
    target = entry.get("spot_check_returns_to")
    here = (*path, "spot_check_returns_to")
    codes = [s.code for s in stages]
    if target is not None:
        if kind not in SPOT_CHECKED:
            raise ValidationFailed(f"{kind} subjects are not spot-checked", path=here)
        if target not in codes:
            raise ValidationFailed(f"{target!r} is not a stage of this procedure", path=here)
    for index, stage in enumerate(stages):
        if not stage.needs_spot_check:
            continue
        at = (*path, "stages", str(index), "evidence")
        if target is None:
            raise ValidationFailed(
                "a stage needing a spot_check_record needs spot_check_returns_to", path=here
            )
        if stage.on_list or stage.is_notice or index <= codes.index(str(target)):
            raise ValidationFailed(
                "a spot_check_record is needed by a single-subject stage after "
                "spot_check_returns_to, not by a list or notice stage",
                path=at,
            )
    return None if target is None else str(target)


def _stage(data: Any, earlier: list[str], path: tuple[str, ...]) -> Stage:
    entry = _mapping(data, path)
    code = _text(entry, "code", path)
    roles = tuple(_enum(Role, r, (*path, "roles")) for r in entry.get("roles", []))
    branch = {
        _enum(CountyDesignation, designation, (*path, "roles_by_designation")): tuple(
            _enum(Role, r, (*path, "roles_by_designation", str(designation))) for r in names
        )
        for designation, names in _mapping(
            entry.get("roles_by_designation", {}), (*path, "roles_by_designation")
        ).items()
    }
    if not roles:
        raise ValidationFailed("a stage names the roles that perform it", path=(*path, "roles"))
    decisions = frozenset(_enum(Decision, d, (*path, "decisions")) for d in entry["decisions"])
    if Decision.APPROVE not in decisions:
        raise ValidationFailed("every stage can approve", path=(*path, "decisions"))
    returns_to = tuple(str(s) for s in entry.get("returns_to", []))
    for target in returns_to:
        if target not in earlier:
            raise ValidationFailed(
                f"returns_to {target!r} is not an earlier stage", path=(*path, "returns_to")
            )
    if (Decision.RETURN in decisions) != bool(returns_to):
        raise ValidationFailed(
            "a stage that can return names where to, and only then", path=(*path, "returns_to")
        )
    notice_days = entry.get("notice_days")
    if notice_days is not None and (not isinstance(notice_days, int) or notice_days < 1):
        raise ValidationFailed("notice_days is a whole number >= 1", path=(*path, "notice_days"))
    objections_to = entry.get("objections_return_to")
    if notice_days is not None and objections_to not in earlier:
        raise ValidationFailed(
            "a notice stage names the earlier stage an objection returns to",
            path=(*path, "objections_return_to"),
        )
    return Stage(
        code=code,
        zh=_text(entry, "zh", path),
        en=_text(entry, "en", path),
        roles=roles,
        roles_by_designation=branch,
        on_list=bool(entry.get("on_list", False)),
        decisions=decisions,
        returns_to=returns_to,
        notice_days=notice_days,
        objections_return_to=str(objections_to) if objections_to is not None else None,
        evidence=tuple(
            _enum(EvidenceKind, e, (*path, "evidence")) for e in entry.get("evidence", [])
        ),
        effects=tuple(_enum(Effect, e, (*path, "effects")) for e in entry.get("effects", [])),
        source=_text(entry, "source", path),
    )


def _mapping(data: Any, path: tuple[str, ...]) -> Mapping[Any, Any]:
    if not isinstance(data, Mapping):
        raise ValidationFailed("expected a mapping", path=path)
    return data


def _text(entry: Mapping[Any, Any], key: str, path: tuple[str, ...]) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{key} is required text", path=(*path, key))
    return value.strip()


def _enum(enum: type[E], value: Any, path: tuple[str, ...]) -> E:
    try:
        return enum(str(value))
    except ValueError:
        known = ", ".join(m.value for m in enum)
        raise ValidationFailed(f"{value!r} is not one of: {known}", path=path) from None
