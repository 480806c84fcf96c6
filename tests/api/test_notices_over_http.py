"""Notices as documents: a Heilongjiang village's household list posted for its 7-day
notice, read as GraphQL, HTML and PDF (the PDF's text extracted and searched), by the
public while it is on the board and by the unit's officials after it; refused to the
public once it is down, to the wrong role and outside the jurisdiction.

The units are the demo's (合心村 in 拜泉县 三道镇, with their division-table names);
the households are made here. These tests commit, so they get a database of their own.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pypdf
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import issue_dev_token
from api.db import models
from api.db.session import create_engine
from api.demo.generator import divisions
from api.domain.jurisdictions import level_of, parent_code
from api.domain.register import IncomeKind, StandardKind
from api.domain.roles import Principal, Role
from api.services import access
from tests import factories as f
from tests.api.conftest import KEY, StoppedClock, answer, own_settings, serving_both
from tests.api.test_procedures_over_http import PERFORM, POST, PROPOSE, ev
from tests.conftest import Database, fresh_database

HEXIN = "230231101200"  # 合心村民委员会, 三道镇, 拜泉县, 齐齐哈尔市
LIHUA = "230231101201"  # 利华村民委员会, the next village in 三道镇
LANSHAN = "371302101200"
UNITS = {"23", "2302", "230231", "230231101", HEXIN, LIHUA, "37", "3713", "371302", "371302101"}
FULL_NAME = "黑龙江省齐齐哈尔市拜泉县三道镇合心村"
# Posted at 09:30 on 8 October 2016 in China (01:30 UTC); the notice runs 7 days.
POSTED = datetime(2016, 10, 8, 1, 30, tzinfo=UTC)
HOUSEHOLDS = [("王秀英", "3组"), ("李建国", "1组"), ('张<b>桂芝</b>&"', "2组")]
PHONE = "13945678901"
HOLDINGS = [
    (Role.VILLAGE_COMMITTEES, HEXIN),
    (Role.RESIDENT_WORK_TEAM, HEXIN),
    (Role.TOWNSHIP_GOVERNMENT, HEXIN[:9]),
    (Role.COUNTY_LEADING_GROUP, HEXIN[:6]),
    (Role.INSPECTOR, HEXIN[:6]),
    (Role.THIRD_PARTY_EVALUATOR, HEXIN[:6]),
    (Role.VILLAGE_COMMITTEES, LIHUA),
    (Role.VILLAGE_COMMITTEES, LANSHAN),
]


@pytest.fixture(scope="module")
def own_database(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("notices"), "notices") as url:
        yield url


async def _seed(url: str) -> dict[str, Any]:
    """The demo's units, three households of 合心村 meeting the standard, the holdings."""
    names = {u["code"]: u["name"] for u in divisions()["units"]}
    names[LANSHAN] = "东关社区居民委员会"  # a village the demo does not hold
    engine = create_engine(url)
    seeded: dict[str, Any] = {"keys": [], "id_numbers": []}
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            for code in sorted(UNITS | {LANSHAN}, key=len):
                session.add(
                    models.Jurisdiction(
                        code=code,
                        name=names[code],
                        level=level_of(code),
                        parent_code=parent_code(code),
                    )
                )
                await session.flush()
            session.add(
                models.PovertyStandard(
                    applies_to="",
                    year=2016,
                    kind=StandardKind.NATIONAL,
                    amount=Decimal("2952"),
                    source="test",
                )
            )
            await f.indicators(session, HEXIN, 2016, rural=300)
            for head, group in HOUSEHOLDS:
                household = await f.household(
                    session, HEXIN, head_name=head, villager_group=group, phone=PHONE
                )
                member = await f.member(session, household, name=head)
                await f.income(session, household, 2016, IncomeKind.WAGE, "4000")
                await f.assessment(session, household, 2016)
                seeded["keys"].append(household.registry_no)
                seeded["id_numbers"].append(member.id_number)
            now = datetime(2016, 10, 1, tzinfo=UTC)
            for role, code in HOLDINGS:
                await access.grant_bootstrap(
                    session, subject=f"{role}-{code}", role=role, jurisdiction=code, now=now
                )
    finally:
        await engine.dispose()
    return seeded


class Board:
    """The app with its clock, and what the test needs to remember between steps."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        reference: httpx.AsyncClient,
        clock: StoppedClock,
        seeded: dict[str, Any],
    ) -> None:
        self.client, self.reference, self.clock, self.seeded = client, reference, clock, seeded
        self.number = ""
        self.applications: list[str] = []

    def headers(self, role: Role | None, code: str = HEXIN) -> dict[str, str]:
        if role is None:
            return {}
        principal = Principal(f"{role}-{code}", role, code)
        token = issue_dev_token(principal, key=KEY, ttl=timedelta(hours=1))
        return {"Authorization": f"Bearer {token}"}

    async def gql(
        self, query: str, role: Role | None = None, code: str = HEXIN, **variables: Any
    ) -> dict[str, Any]:
        headers = self.headers(role, code)
        body = await answer(self.client, self.reference, query, variables, headers)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def get(self, path: str, role: Role | None = None, code: str = HEXIN) -> httpx.Response:
        return await self.client.get(path, headers=self.headers(role, code))


@pytest.fixture(scope="module")
async def board(
    own_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Board]:
    seeded = await _seed(own_database)
    clock = StoppedClock()
    clock.now = POSTED - timedelta(days=2)
    settings = own_settings(own_database, tmp_path_factory)
    async with serving_both(settings, clock=clock) as (client, reference):
        board = Board(client, reference, clock, seeded)
        await _post_the_list(board)
        yield board


async def _post_the_list(board: Board) -> None:
    """Appraisal and verification two days before; every household posted at POSTED."""
    data = await board.gql(
        PROPOSE,
        Role.VILLAGE_COMMITTEES,
        input={
            "subjectKind": "HOUSEHOLD",
            "unitCode": HEXIN,
            "year": 2016,
            "subjects": board.seeded["keys"],
            "evidence": ev("assembly_minutes"),
        },
    )
    applications = data["proposeExitList"]["list"]["applications"]
    board.applications = [a["id"] for a in applications]
    for application in board.applications:
        verified = await board.gql(
            PERFORM,
            Role.RESIDENT_WORK_TEAM,
            input={
                "applicationId": application,
                "stage": "verification",
                "decision": "APPROVE",
                "evidence": ev("verification_record", "household_acknowledgment"),
            },
        )
        assert verified["performStage"]["__typename"] == "ApplicationSuccess", verified
    board.clock.now = POSTED
    for application in board.applications:
        posted = await board.gql(
            POST,
            Role.VILLAGE_COMMITTEES,
            input={
                "applicationId": application,
                "stage": "village_notice",
                "evidence": ev("notice_posting"),
            },
        )
        assert posted["postNotice"]["__typename"] == "ApplicationSuccess", posted
    board.clock.now = POSTED + timedelta(days=1)


NOTICE = """number title unitName kind stageZh startsOn endsOn noticeDays period issuer
  responsibleUnits howToObject pdfUrl htmlUrl
  subjects { applicationId subjectKind name villagerGroup unitCode }"""
BOARD = f"""{{ postedNotices(under: "{HEXIN[:6]}") {{ notices {{ applicationId
  notice {{ {NOTICE} }} }} }} }}"""
BY_NUMBER = f"query($number: String!) {{ notice(number: $number) {{ {NOTICE} }} }}"


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_fonts(pdf: bytes) -> set[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found = set()
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            found.add(str(ref.get_object()["/BaseFont"]).split("+", 1)[-1])
    return found


async def test_the_public_reads_the_posted_list_as_one_notice(board: Board) -> None:
    data = await board.gql(BOARD)
    entries = data["postedNotices"]["notices"]
    assert [e["applicationId"] for e in entries] == board.applications
    numbers = {e["notice"]["number"] for e in entries}
    assert len(numbers) == 1, "one list posted on one day is one notice"
    notice = entries[0]["notice"]
    board.number = notice["number"]
    assert notice["title"] == "合心村2016年度拟退出贫困户名单公示"
    assert notice["unitName"] == FULL_NAME
    assert (notice["kind"], notice["stageZh"]) == ("NOTICE", "村内公示")
    assert (notice["startsOn"], notice["endsOn"]) == ("2016-10-08", "2016-10-15")
    assert notice["period"] == "公示期：2016年10月8日至2016年10月15日，共7天。"
    assert notice["issuer"] == "合心村民委员会"
    assert notice["responsibleUnits"] == ["合心村“两委”", "合心村驻村工作队", "合心村第一书记"]
    assert any("raiseObjection" in p for p in notice["howToObject"])
    assert [(s["name"], s["villagerGroup"]) for s in notice["subjects"]] == HOUSEHOLDS
    assert [s["applicationId"] for s in notice["subjects"]] == board.applications
    assert notice["pdfUrl"] == f"/notices/{board.number}.pdf"


async def test_the_pdf_shows_names_groups_and_dates_and_no_identity_numbers(board: Board) -> None:
    response = await board.get(f"/notices/{board.number}.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    flat = "".join(text.split())  # lines break anywhere in Chinese text
    for name, group in HOUSEHOLDS[:2]:
        assert name in flat
        assert group in flat
    assert "张<b>桂芝</b>&" in flat  # the name as written, not as markup
    for wanted in (
        FULL_NAME,
        "2016年10月8日",
        "2016年10月15日",
        "拟退出贫困户名单公示",
        "raiseObjection",
    ):
        assert wanted in flat, wanted
    for id_number in board.seeded["id_numbers"]:
        assert id_number not in flat
        assert id_number[-8:] not in flat
    assert PHONE not in flat
    fonts = pdf_fonts(response.content)
    assert fonts
    assert all(font.startswith("Noto-S") for font in fonts), fonts
    assert all("CJK-SC" in font for font in fonts), fonts


async def test_the_html_escapes_names_and_is_served_as_html(board: Board) -> None:
    response = await board.get(f"/notices/{board.number}.html")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in page
    assert "张&lt;b&gt;桂芝&lt;/b&gt;&amp;&#34;" in page
    assert "<b>" not in page
    assert "王秀英" in page
    assert "2016年10月8日至2016年10月15日" in page
    document = await board.gql(
        "query($number: String!) { notice(number: $number) { document { html } } }",
        number=board.number,
    )
    assert document["notice"]["document"]["html"] == page
    for id_number in board.seeded["id_numbers"]:
        assert id_number not in page


async def test_an_objection_takes_the_household_off_the_public_board(board: Board) -> None:
    objected = board.applications[1]
    raised = await board.gql(
        """mutation($input: RaiseObjectionInput!) { raiseObjection(input: $input) {
        __typename } }""",
        input={"applicationId": objected, "content": "该户收入未如实登记"},
    )
    assert raised["raiseObjection"]["__typename"] == "ObjectionSuccess"
    public = await board.gql(BY_NUMBER, number=board.number)
    assert [s["applicationId"] for s in public["notice"]["subjects"]] == [
        board.applications[0],
        board.applications[2],
    ]
    text = "".join(pdf_text((await board.get(f"/notices/{board.number}.pdf")).content).split())
    assert "李建国" not in text
    assert "王秀英" in text
    official = await board.gql(BY_NUMBER, Role.VILLAGE_COMMITTEES, number=board.number)
    assert [s["applicationId"] for s in official["notice"]["subjects"]] == board.applications


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (None, HEXIN),
        (Role.THIRD_PARTY_EVALUATOR, HEXIN[:6]),  # reads only what it is assigned
        (Role.VILLAGE_COMMITTEES, LIHUA),  # the next village
        (Role.VILLAGE_COMMITTEES, LANSHAN),  # another province
        (Role.FIRST_SECRETARY, HEXIN),  # a valid token whose holding is not recorded
    ],
)
async def test_once_down_a_notice_is_not_found_for_the_public_and_outsiders(
    board: Board, role: Role | None, code: str
) -> None:
    board.clock.now = POSTED + timedelta(days=7, minutes=1)
    for suffix in ("pdf", "html"):
        response = await board.get(f"/notices/{board.number}.{suffix}", role, code)
        assert response.status_code == 404
        assert "王秀英" not in response.text
    data = await board.gql(BY_NUMBER, role, code, number=board.number)
    assert data["notice"] is None
    node = await board.gql(
        "query($id: ID!) { node(id: $id) { id } }", role, code, id=_global("Notice", board.number)
    )
    assert node["node"] is None
    assert (await board.gql(BOARD, role, code))["postedNotices"]["notices"] == []


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (Role.VILLAGE_COMMITTEES, HEXIN),
        (Role.TOWNSHIP_GOVERNMENT, HEXIN[:9]),
        (Role.COUNTY_LEADING_GROUP, HEXIN[:6]),
        (Role.INSPECTOR, HEXIN[:6]),
    ],
)
async def test_the_units_officials_still_read_their_past_notice(
    board: Board, role: Role, code: str
) -> None:
    board.clock.now = POSTED + timedelta(days=30)
    pdf = await board.get(f"/notices/{board.number}.pdf", role, code)
    assert pdf.status_code == 200
    flat = "".join(pdf_text(pdf.content).split())
    assert all(name in flat for name, _ in HOUSEHOLDS[:2])
    assert "2016年10月8日至2016年10月15日" in flat
    data = await board.gql(BY_NUMBER, role, code, number=board.number)
    assert len(data["notice"]["subjects"]) == 3  # as posted, the objected one included
    node = await board.gql(
        "query($id: ID!) { node(id: $id) { ... on Notice { number } } }",
        role,
        code,
        id=_global("Notice", board.number),
    )
    assert node["node"] == {"number": board.number}
    history = await board.gql(
        "query($id: ID!) { node(id: $id) { ... on ExitApplication { notices { number } } } }",
        role,
        code,
        id=board.applications[0],
    )
    assert history["node"]["notices"] == [{"number": board.number}]


async def test_heilongjiangs_announcement_is_posted_on_approval_for_officials_only(
    board: Board,
) -> None:
    """公告退出 has no period in Heilongjiang: its document is made when it is approved."""
    board.clock.now = POSTED + timedelta(days=8)  # 16 October, 09:30 in China
    exiting = [board.applications[0], board.applications[2]]  # the objected one waits
    for application, role in (
        *((a, Role.VILLAGE_COMMITTEES) for a in exiting),
        *((a, Role.COUNTY_LEADING_GROUP) for a in exiting),
    ):
        stage = "village_notice" if role is Role.VILLAGE_COMMITTEES else "announcement"
        done = await board.gql(
            PERFORM,
            role,
            HEXIN if role is Role.VILLAGE_COMMITTEES else HEXIN[:6],
            input={
                "applicationId": application,
                "stage": stage,
                "decision": "APPROVE",
                "evidence": [] if stage == "village_notice" else ev("notice_posting"),
            },
        )
        assert done["performStage"]["__typename"] == "ApplicationSuccess", done
    history = await board.gql(
        "query($id: ID!) { node(id: $id) { ... on ExitApplication { status notices { "
        "number kind period noticeDays endsOn title issuer subjects { name } } } } }",
        Role.COUNTY_LEADING_GROUP,
        HEXIN[:6],
        id=exiting[0],
    )
    application = history["node"]
    assert application["status"] == "EXITED"
    notice, announcement = application["notices"]
    assert notice["number"] == board.number
    assert announcement["kind"] == "ANNOUNCEMENT"
    assert announcement["title"] == "合心村2016年度贫困户退出公告"
    assert announcement["period"] == "公告日期：2016年10月16日。"
    assert (announcement["noticeDays"], announcement["endsOn"]) == (None, None)
    assert announcement["issuer"] == "拜泉县扶贫开发领导小组"
    assert [s["name"] for s in announcement["subjects"]] == ["王秀英", '张<b>桂芝</b>&"']
    number = announcement["number"]
    pdf = await board.get(f"/notices/{number}.pdf", Role.VILLAGE_COMMITTEES)
    assert pdf.status_code == 200
    flat = "".join(pdf_text(pdf.content).split())
    assert "合心村2016年度贫困户退出公告" in flat
    assert "公告日期：2016年10月16日" in flat
    assert "王秀英" in flat
    assert "李建国" not in flat
    for role, code in ((None, HEXIN), (Role.VILLAGE_COMMITTEES, LIHUA)):
        assert (await board.get(f"/notices/{number}.pdf", role, code)).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/notices/999999-village_notice-20161008.pdf",  # no such list
        "/notices/{list}-verification-20161008.pdf",  # not a notice stage
        "/notices/{list}-village_notice-20161009.pdf",  # nothing posted that day
        "/notices/{list}-village_notice-20161399.html",  # no such day
        "/notices/..%2Fetc%2Fpasswd.pdf",
    ],
)
async def test_what_names_no_notice_is_not_found(board: Board, path: str) -> None:
    board.clock.now = POSTED + timedelta(days=1)
    list_id = board.number.split("-", 1)[0]
    response = await board.get(path.format(list=list_id), Role.COUNTY_LEADING_GROUP, HEXIN[:6])
    assert response.status_code == 404


def _global(type_name: str, key: str) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{key}".encode()).decode()
