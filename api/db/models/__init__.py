"""ORM models. Import this package to register every table on ``Base.metadata``."""

from api.db.models.jurisdictions import CountyDesignationRow, Jurisdiction, VillageDesignationRow
from api.db.models.plans import ExitPlan
from api.db.models.register import Assessment, Household, IncomeRecord, Member
from api.db.models.standards import PovertyStandard
from api.db.models.villages import VillageIndicators

__all__ = [
    "Assessment",
    "CountyDesignationRow",
    "ExitPlan",
    "Household",
    "IncomeRecord",
    "Jurisdiction",
    "Member",
    "PovertyStandard",
    "VillageDesignationRow",
    "VillageIndicators",
]
