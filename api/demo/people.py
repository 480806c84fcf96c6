"""Synthetic people: names, ID numbers, phones. Seeded, never real."""

from __future__ import annotations

import random
from datetime import date, timedelta

from api.domain.idnumber import check_character

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰凤春梅兵建国福德海山林波辉"
    "红云志文利成东宝金荣庆喜贵生祥顺宏斌亮晶燕萍红霞丹秀英玉珍淑凤淑兰桂芝翠花"
)


class People:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._issued: set[str] = set()

    def surname(self) -> str:
        return self._rng.choice(SURNAMES)

    def name(self, surname: str | None = None) -> str:
        given = "".join(self._rng.choice(GIVEN) for _ in range(self._rng.choice((1, 2, 2))))
        return (surname or self.surname()) + given

    def birth_date(self, *, age: int, on: date) -> date:
        born = date(on.year - age, 1, 1) + timedelta(days=self._rng.randrange(365))
        return born if born <= on else born - timedelta(days=366)

    def id_number(self, *, county_code: str, born: date, female: bool) -> str:
        """A valid, unique 18-character ID number with the county as address code."""
        while True:
            sequence = self._rng.randrange(0, 500) * 2 + (0 if female else 1)
            body = f"{county_code}{born:%Y%m%d}{sequence:03d}"
            value = body + check_character(body)
            if value not in self._issued:
                self._issued.add(value)
                return value

    def phone(self) -> str:
        return f"1{self._rng.choice('3589')}{self._rng.randrange(10**9):09d}"

    def bank_account(self) -> str:
        return f"6228{self._rng.randrange(10**15):015d}"
