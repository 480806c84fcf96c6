from __future__ import annotations

import pytest

from api.domain.households import registered_poor_in


@pytest.mark.parametrize(
    ("registered", "exited", "returned", "poor_in_2016"),
    [
        (2014, None, None, True),
        (2017, None, None, False),  # not yet registered
        (2014, 2016, None, False),  # exits count from the end of their year
        (2014, 2017, None, True),
        (2014, 2015, 2016, True),  # returned to poverty (返贫)
        (2014, 2015, 2017, False),  # returns later
    ],
)
def test_registered_poor_population_membership(
    registered: int, exited: int | None, returned: int | None, poor_in_2016: bool
) -> None:
    assert (
        registered_poor_in(
            2016, registered_year=registered, exited_year=exited, returned_year=returned
        )
        is poor_in_2016
    )
