"""Row values by name, from a SQLAlchemy Row and from a mapped object alike."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy.engine.result import result_tuple

from api.db.views import values_of


def test_a_row_and_an_object_give_the_same_values_by_name() -> None:
    row = result_tuple(["id", "head_name"])((7, "宋玉生"))
    instance = SimpleNamespace(id=7, head_name="宋玉生")
    for source in (row, instance):
        values = values_of(source)
        assert (values["id"], values["head_name"]) == (7, "宋玉生")
        with pytest.raises(KeyError):
            values["phone"]


def test_page_and_node_reads_select_what_a_household_view_holds() -> None:
    from api.db.repositories.households import VIEW_COLUMNS
    from api.db.views import HouseholdView

    held = [name for name, value in vars(HouseholdView).items() if isinstance(value, property)]
    assert sorted(VIEW_COLUMNS) == sorted(held)
