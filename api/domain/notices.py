"""What a notice (公示) or announcement (公告) says, worked out from what was posted.

A notice is one list's subjects posted at one notice stage on one day in China: the
village committees post a village's proposed household exits on the board together,
one ``postNotice`` per household. A subject posted again later (after an objection was
dismissed and it was verified anew) is on a new notice, with its own dates.

An announcement without a period (Heilongjiang's 公告退出: "经公示无异议后，公告退出")
is posted when its stage is approved: it shows the subjects approved at it that day, its
date and whom to tell of a doubt, and takes no objections through the API (nothing runs).

Public notices show a household by its head's name and villager group, and a village
or county by its name. ID numbers and phones never appear: nothing here receives them.
Pure: no IO, and time comes in as arguments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from api.domain.jurisdictions import Level, ancestors, contains, level_of
from api.domain.procedures import Effect, EvidenceKind, Stage, SubjectProcedure
from api.domain.register import SubjectKind
from api.domain.roles import ROLES, Role

CHINA = ZoneInfo("Asia/Shanghai")


def china_date(moment: datetime) -> date:
    """The calendar day in China of an aware moment."""
    return moment.astimezone(CHINA).date()


def chinese_date(day: date) -> str:
    """2016年10月8日: the date as Chinese documents write it (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


_COMMITTEE_SUFFIXES = (
    ("社区居民委员会", "社区"),
    ("村民委员会", "村"),
    ("居民委员会", "社区"),
    ("村委会", "村"),
    ("居委会", "社区"),
)


def place_name(name: str) -> str:
    """A unit's name as a notice writes the place.

    The statistical division table names a village by its committee (合心村民委员会,
    东关社区居民委员会); a notice names the place (合心村, 东关社区).
    """
    for suffix, place in _COMMITTEE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(place) else stem + place
    return name


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    """As the division table stores it."""

    @property
    def place(self) -> str:
        return place_name(self.name)


def full_name(path: Sequence[Unit]) -> str:
    """黑龙江省齐齐哈尔市拜泉县三道镇合心村: the places of a path, province first."""
    return "".join(unit.place for unit in path)


def common_unit(codes: Sequence[str]) -> str | None:
    """The deepest unit containing every code: where their notice is posted (a list of
    one village's households: the village; of one township's villages: the township)."""
    first = codes[0]
    for candidate in reversed([*ancestors(first), first]):
        if all(contains(candidate, code) for code in codes):
            return candidate
    return None


class NoticeKind(StrEnum):
    NOTICE = "notice"
    """公示: the list is shown for objections before the next stage."""
    ANNOUNCEMENT = "announcement"
    """公告: the exit is announced (Lanshan's run 5 days, open to objections too)."""


KIND_ZH = {NoticeKind.NOTICE: "公示", NoticeKind.ANNOUNCEMENT: "公告"}


def kind_of(stage: Stage) -> NoticeKind:
    return NoticeKind.ANNOUNCEMENT if "公告" in stage.zh else NoticeKind.NOTICE


def posts_document(stage: Stage) -> bool:
    """Whether the stage posts a notice: it runs one, or it is approved with a posting."""
    return stage.is_notice or EvidenceKind.NOTICE_POSTING in stage.evidence


_KEY = re.compile(r"(\d{1,18})-([a-z][a-z0-9_]{0,49})-(\d{8})")


@dataclass(frozen=True, slots=True)
class NoticeKey:
    """Names a notice: its list, its stage and the day (in China) it was posted."""

    list_id: int
    stage: str
    posted_on: date

    def __str__(self) -> str:
        return f"{self.list_id}-{self.stage}-{self.posted_on:%Y%m%d}"

    @classmethod
    def parse(cls, text: str) -> NoticeKey | None:
        """The key ``str`` wrote, or None for anything else."""
        match = _KEY.fullmatch(text)
        if match is None:
            return None
        digits = match.group(3)
        try:
            day = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            return None
        return cls(int(match.group(1)), match.group(2), day)

    @classmethod
    def of(cls, list_id: int, stage: str, posted_at: datetime) -> NoticeKey:
        return cls(list_id, stage, china_date(posted_at))

    def day_bounds(self) -> tuple[datetime, datetime]:
        """The posting day as the half-open UTC range [start, end)."""
        start = datetime.combine(self.posted_on, time(), tzinfo=CHINA)
        return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class PostedSubject:
    """One subject as it was posted (what the repository read; no identity numbers)."""

    application_id: int
    reference: str
    """What the public passes to raiseObjection as ``applicationId``."""
    kind: SubjectKind
    path: tuple[Unit, ...]
    """The subject's unit, province first: a household's village, a village, a county."""
    head_name: str | None
    villager_group: str | None
    posted_at: datetime
    """When its notice was posted; for an announcement without a period, when approved."""
    ends_at: datetime | None
    """When its notice period ends; None without a period."""


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    """What a notice is composed from."""

    key: NoticeKey
    procedure_title: str
    flow: SubjectProcedure
    year: int
    unit_path: tuple[Unit, ...]
    """The notice's unit (``common_unit`` of its subjects), province first."""
    subject_label: str
    """贫困户, 贫困村, 扶贫工作重点村, 贫困县..."""
    subjects: tuple[PostedSubject, ...]


@dataclass(frozen=True, slots=True)
class NoticeRow:
    number: int
    cells: tuple[str, ...]
    """One cell per column after 序号 (the objection reference last, if any)."""
    subject: PostedSubject


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice as it is posted: every text it shows, in reading order."""

    key: NoticeKey
    kind: NoticeKind
    stage: Stage
    unit_code: str
    unit_name: str
    """The full administrative name path of the unit."""
    title: str
    intro: str
    columns: tuple[str, ...]
    rows: tuple[NoticeRow, ...]
    starts_on: date
    ends_on: date | None
    days: int | None
    """The notice period; None for an announcement without one."""
    period: str
    """公示期：2016年10月8日至2016年10月15日，共7天。 (公告日期：… without a period.)"""
    objection: tuple[str, ...]
    """How to object: paragraphs, the responsible units and the online channel named."""
    responsible: tuple[str, ...]
    """The bodies that take objections and re-verify."""
    issuer: str
    issued_on: str


_MEASURE = {SubjectKind.HOUSEHOLD: "户", SubjectKind.VILLAGE: "个", SubjectKind.COUNTY: "个"}


_EFFECT_ZH = {
    Effect.DEREGISTER_HOUSEHOLD: "在全国扶贫开发信息系统贫困人口中销号",
    Effect.MARK_VILLAGE_EXITED: "在全国扶贫开发信息系统中进行脱贫出列标注",
}


def compose(facts: NoticeFacts) -> Notice:
    """The notice of ``facts``: title, wording, table, dates and how to object."""
    flow = facts.flow
    stage = flow.stages[flow.index_of(facts.key.stage)]
    assert posts_document(stage), f"stage {stage.code} posts no notice"
    assert facts.subjects, "a notice shows at least one subject"
    kind = kind_of(stage)
    word = KIND_ZH[kind]
    days = stage.notice_days
    unit_name = full_name(facts.unit_path)
    place = facts.unit_path[-1].place
    starts = china_date(min(s.posted_at for s in facts.subjects))
    ends = None if days is None else china_date(max(_ends(s) for s in facts.subjects))
    columns, rows = _table(facts, objections=days is not None)
    resolvers = _resolving_stage(flow, stage)
    responsible = tuple(
        dict.fromkeys(body_name(role, facts.unit_path) for role in resolvers.all_roles())
    )
    count = f"共{len(rows)}{_MEASURE[flow.kind]}"
    before = "、".join(s.zh for s in flow.stages[: flow.index_of(stage.code)])
    effects = "，".join(_EFFECT_ZH[e] for e in stage.effects if e in _EFFECT_ZH)
    # The list belongs to its year (年度); the dates are the days it was really posted.
    if kind is NoticeKind.NOTICE:
        title = f"{place}{facts.year}年度拟退出{facts.subject_label}名单公示"
        intro = (
            f"根据《{facts.procedure_title}》，经{before}，现将{unit_name}{facts.year}年度"
            f"拟退出{facts.subject_label}名单予以公示（{count}），接受群众监督。"
        )
    else:
        title = f"{place}{facts.year}年度{facts.subject_label}退出公告"
        intro = (
            f"根据《{facts.procedure_title}》，经{before}，现将{unit_name}{facts.year}年度"
            f"退出{facts.subject_label}名单予以公告（{count}）"
        )
        if effects and days is None:
            intro += f"，并{effects}。"
        elif effects:
            intro += f"；公告期满无异议的，{effects}。"
        else:
            intro += "。"
    if starts.year != facts.year:
        intro += (
            f"本名单为{facts.year}年度退出名单，于{chinese_date(starts)}{word}，"
            f"{word}日期以实际张贴之日为准。"
        )
    if ends is None:
        period = f"{word}日期：{chinese_date(starts)}。"
        objection: tuple[str, ...] = (
            f"对{word}内容有异议的，可向{'、'.join(responsible)}反映，受理单位应当核实处理。",
        )
    else:
        period = f"{word}期：{chinese_date(starts)}至{chinese_date(ends)}，共{days}天。"
        objection = _objection(word, facts.subject_label, responsible, resolvers, flow.kind)
    return Notice(
        key=facts.key,
        kind=kind,
        stage=stage,
        unit_code=facts.unit_path[-1].code,
        unit_name=unit_name,
        title=title,
        intro=intro,
        columns=columns,
        rows=rows,
        starts_on=starts,
        ends_on=ends,
        days=days,
        period=period,
        objection=objection,
        responsible=responsible,
        issuer=issuer_name(stage.roles[0], facts.unit_path),
        issued_on=chinese_date(starts),
    )


def _ends(subject: PostedSubject) -> datetime:
    assert subject.ends_at is not None, "a notice with a period has subjects with an end"
    return subject.ends_at


def _table(
    facts: NoticeFacts, *, objections: bool
) -> tuple[tuple[str, ...], tuple[NoticeRow, ...]]:
    """The columns and rows; the objection reference last while objections are taken."""
    depth = len(facts.unit_path)
    subjects = sorted(facts.subjects, key=lambda s: s.application_id)
    within = [full_name(s.path[depth:]) for s in subjects]
    if facts.flow.kind is SubjectKind.HOUSEHOLD:
        columns: tuple[str, ...] = ("户主姓名", "村民小组")
        cells: list[tuple[str, ...]] = [
            (s.head_name or "", s.villager_group or "") for s in subjects
        ]
        if any(within):  # a list above the village: say which village
            columns = ("户主姓名", "所在村（社区）", "村民小组")
            cells = [(c[0], w, c[1]) for c, w in zip(cells, within, strict=True)]
    else:
        columns = ("名称",)
        cells = [(w or s.path[-1].place,) for s, w in zip(subjects, within, strict=True)]
    if objections:
        columns = (*columns, "异议受理编号")
        cells = [(*row, subject.reference) for row, subject in zip(cells, subjects, strict=True)]
    rows = tuple(
        NoticeRow(number, row, subject)
        for number, (row, subject) in enumerate(zip(cells, subjects, strict=True), start=1)
    )
    return ("序号", *columns), rows


def _resolving_stage(flow: SubjectProcedure, stage: Stage) -> Stage:
    """The stage an objection returns the subject to: its roles take and re-verify it."""
    target = stage.objections_return_to or stage.code
    return flow.stages[flow.index_of(target)]


def _objection(
    word: str,
    label: str,
    responsible: Sequence[str],
    resolvers: Stage,
    kind: SubjectKind,
) -> tuple[str, ...]:
    bodies = "、".join(responsible)
    measure = "户" if kind is SubjectKind.HOUSEHOLD else "对象"
    return (
        f"{word}期间，任何单位和个人对名单中的{label}有异议的，可向{bodies}反映，也可在网上提出。",
        f"网上提出异议：向本系统的GraphQL接口（/graphql）提交raiseObjection，applicationId"
        f"填写该{measure}的异议受理编号，content填写异议内容；无需登录，可不具名。",
        f"异议提出后，该{measure}的退出程序即行暂停，由{bodies}组织{resolvers.zh}，"
        "核实处理结果记录在案；名单中其他对象不受影响。",
    )


_BODY_SUFFIX = {
    Role.VILLAGE_COMMITTEES: "“两委”",
    Role.RESIDENT_WORK_TEAM: "驻村工作队",
    Role.FIRST_SECRETARY: "第一书记",
    Role.TOWNSHIP_GOVERNMENT: "党委和政府",
    Role.COUNTY_LEADING_GROUP: "扶贫开发领导小组",
    Role.MUNICIPAL_LEADING_GROUP: "扶贫开发领导小组",
    Role.PROVINCIAL_LEADING_GROUP: "扶贫开发领导小组",
    Role.PROVINCIAL_GOVERNMENT: "人民政府",
}

_EACH = {Level.VILLAGE: "各村（社区）", Level.TOWNSHIP: "各乡（镇、街道）"}


def _unit_at(path: Sequence[Unit], level: Level) -> Unit | None:
    return next((unit for unit in path if level_of(unit.code) is level), None)


def body_name(role: Role, path: Sequence[Unit]) -> str:
    """The body a role names in the notice's unit: 合心村“两委”, 拜泉县扶贫开发领导小组.

    A role held below the notice's unit (the villages of a township's list) is named
    for each unit of its level: 各村（社区）“两委”.
    """
    info = ROLES[role]
    suffix = _BODY_SUFFIX.get(role)
    if info.level is None or suffix is None:
        return info.zh
    unit = _unit_at(path, info.level)
    if unit is None:
        return _EACH.get(info.level, "") + suffix
    return unit.place + suffix


def issuer_name(role: Role, path: Sequence[Unit]) -> str:
    """Who signs the notice (落款): the posting role's body, by its formal name."""
    info = ROLES[role]
    unit = None if info.level is None else _unit_at(path, info.level)
    if unit is None:
        return body_name(role, path)
    if role is Role.VILLAGE_COMMITTEES:
        if unit.name.endswith("委员会"):
            return unit.name  # the division table's name is the committee's: 合心村民委员会
        return unit.place + ("居民委员会" if unit.place.endswith("社区") else "村民委员会")
    if role is Role.TOWNSHIP_GOVERNMENT:
        return unit.place + ("办事处" if unit.place.endswith("街道") else "人民政府")
    return body_name(role, path)
