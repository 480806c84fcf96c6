"""The vocabulary of the household register (贫困户登记表), with Chinese labels.

Every enum here is a ``StrEnum`` whose value is the stable English code stored in
the database and sent over the API; ``zh(member)`` gives the label the register uses.
"""

from __future__ import annotations

from enum import StrEnum


class StandardKind(StrEnum):
    """Which poverty line a household is identified and judged against."""

    NATIONAL = "national"
    PROVINCIAL = "provincial"


class HouseholdAttribute(StrEnum):
    GENERAL = "general"
    DIBAO = "dibao"
    WUBAO = "wubao"


class PovertyCause(StrEnum):
    ILLNESS = "illness"
    DISABILITY = "disability"
    EDUCATION = "education"
    DISASTER = "disaster"
    LACK_OF_LAND = "lack_of_land"
    LACK_OF_WATER = "lack_of_water"
    LACK_OF_SKILLS = "lack_of_skills"
    LACK_OF_LABOUR = "lack_of_labour"
    LACK_OF_CAPITAL = "lack_of_capital"
    POOR_TRANSPORT = "poor_transport"
    LACK_OF_DRIVE = "lack_of_drive"
    OTHER = "other"


class ExitAttribute(StrEnum):
    """脱贫属性: where a household stands with respect to exit."""

    NOT_EXITED = "not_exited"
    EXITED_SUPPORTED = "exited_supported"
    EXITED_SUPPORT_ENDED = "exited_support_ended"
    RETURNED_TO_POVERTY = "returned_to_poverty"


EXITED = (ExitAttribute.EXITED_SUPPORTED, ExitAttribute.EXITED_SUPPORT_ENDED)
"""The exit attributes of a household that has exited (and not returned)."""


class Relation(StrEnum):
    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    CHILD_IN_LAW = "child_in_law"
    GRANDCHILD = "grandchild"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    SIBLING = "sibling"
    OTHER = "other"


class Education(StrEnum):
    NONE = "none"
    PRIMARY = "primary"
    JUNIOR_SECONDARY = "junior_secondary"
    SENIOR_SECONDARY = "senior_secondary"
    TERTIARY = "tertiary"
    PRESCHOOL = "preschool"


class SchoolingStatus(StrEnum):
    NOT_APPLICABLE = "not_applicable"
    IN_SCHOOL = "in_school"
    HOME_TAUGHT = "home_taught"
    DROPPED_OUT = "dropped_out"


class Health(StrEnum):
    HEALTHY = "healthy"
    CHRONIC_ILLNESS = "chronic_illness"
    SERIOUS_ILLNESS = "serious_illness"
    DISABLED = "disabled"


class LabourCapacity(StrEnum):
    ORDINARY = "ordinary"
    SKILLED = "skilled"
    WEAK = "weak"
    NONE = "none"
    NOT_OF_WORKING_AGE = "not_of_working_age"


class HousingGrade(StrEnum):
    """Housing safety appraisal grades: A and B are safe, C and D are not."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def safe(self) -> bool:
        return self in (HousingGrade.A, HousingGrade.B)


class IncomeKind(StrEnum):
    """Lines of a household's yearly accounts; ``COST`` is subtracted."""

    WAGE = "wage"
    BUSINESS = "business"
    PROPERTY = "property"
    TRANSFER = "transfer"
    COST = "cost"


class CountyDesignation(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"


class RegionClass(StrEnum):
    """Western-region counties exit at a 3% incidence bar, the rest at 2%."""

    GENERAL = "general"
    WESTERN = "western"


class VillageDesignation(StrEnum):
    POOR_VILLAGE = "poor_village"
    KEY_VILLAGE = "key_village"


class SubjectKind(StrEnum):
    HOUSEHOLD = "household"
    VILLAGE = "village"
    COUNTY = "county"


ZH: dict[type[StrEnum], dict[str, str]] = {
    StandardKind: {
        StandardKind.NATIONAL: "国家标准",
        StandardKind.PROVINCIAL: "省标准",
    },
    HouseholdAttribute: {
        HouseholdAttribute.GENERAL: "一般贫困户",
        HouseholdAttribute.DIBAO: "低保贫困户",
        HouseholdAttribute.WUBAO: "特困供养（五保）贫困户",
    },
    PovertyCause: {
        PovertyCause.ILLNESS: "因病",
        PovertyCause.DISABILITY: "因残",
        PovertyCause.EDUCATION: "因学",
        PovertyCause.DISASTER: "因灾",
        PovertyCause.LACK_OF_LAND: "缺土地",
        PovertyCause.LACK_OF_WATER: "缺水",
        PovertyCause.LACK_OF_SKILLS: "缺技术",
        PovertyCause.LACK_OF_LABOUR: "缺劳力",
        PovertyCause.LACK_OF_CAPITAL: "缺资金",
        PovertyCause.POOR_TRANSPORT: "交通条件落后",
        PovertyCause.LACK_OF_DRIVE: "自身发展动力不足",
        PovertyCause.OTHER: "其他",
    },
    ExitAttribute: {
        ExitAttribute.NOT_EXITED: "未脱贫",
        ExitAttribute.EXITED_SUPPORTED: "已脱贫（享受政策）",
        ExitAttribute.EXITED_SUPPORT_ENDED: "已脱贫（不再享受政策）",
        ExitAttribute.RETURNED_TO_POVERTY: "返贫",
    },
    Relation: {
        Relation.HEAD: "户主",
        Relation.SPOUSE: "配偶",
        Relation.CHILD: "子女",
        Relation.CHILD_IN_LAW: "儿媳/女婿",
        Relation.GRANDCHILD: "孙子女",
        Relation.PARENT: "父母",
        Relation.GRANDPARENT: "祖父母",
        Relation.SIBLING: "兄弟姐妹",
        Relation.OTHER: "其他",
    },
    Education: {
        Education.NONE: "文盲或半文盲",
        Education.PRIMARY: "小学",
        Education.JUNIOR_SECONDARY: "初中",
        Education.SENIOR_SECONDARY: "高中",
        Education.TERTIARY: "大专及以上",
        Education.PRESCHOOL: "学龄前儿童",
    },
    SchoolingStatus: {
        SchoolingStatus.NOT_APPLICABLE: "非在校生",
        SchoolingStatus.IN_SCHOOL: "在校生",
        SchoolingStatus.HOME_TAUGHT: "送教上门",
        SchoolingStatus.DROPPED_OUT: "失学辍学",
    },
    Health: {
        Health.HEALTHY: "健康",
        Health.CHRONIC_ILLNESS: "长期慢性病",
        Health.SERIOUS_ILLNESS: "患有大病",
        Health.DISABLED: "残疾",
    },
    LabourCapacity: {
        LabourCapacity.ORDINARY: "普通劳动力",
        LabourCapacity.SKILLED: "技能劳动力",
        LabourCapacity.WEAK: "弱劳动力或半劳动力",
        LabourCapacity.NONE: "丧失劳动力",
        LabourCapacity.NOT_OF_WORKING_AGE: "无劳动力",
    },
    HousingGrade: {
        HousingGrade.A: "A级（安全）",
        HousingGrade.B: "B级（基本安全）",
        HousingGrade.C: "C级危房",
        HousingGrade.D: "D级危房",
    },
    IncomeKind: {
        IncomeKind.WAGE: "工资性收入",
        IncomeKind.BUSINESS: "生产经营性收入",
        IncomeKind.PROPERTY: "财产性收入",
        IncomeKind.TRANSFER: "转移性收入",
        IncomeKind.COST: "生产经营性支出",
    },
    CountyDesignation: {
        CountyDesignation.NATIONAL: "国家级贫困县",
        CountyDesignation.PROVINCIAL: "省级贫困县",
    },
    RegionClass: {
        RegionClass.GENERAL: "一般地区",
        RegionClass.WESTERN: "西部地区",
    },
    VillageDesignation: {
        VillageDesignation.POOR_VILLAGE: "贫困村",
        VillageDesignation.KEY_VILLAGE: "扶贫工作重点村",
    },
    SubjectKind: {
        SubjectKind.HOUSEHOLD: "贫困户",
        SubjectKind.VILLAGE: "贫困村",
        SubjectKind.COUNTY: "贫困县",
    },
}


def zh(member: StrEnum) -> str:
    """The Chinese label of a register value.

    Labels are keyed by enum class: equal values of different enums (``general``
    in HouseholdAttribute and RegionClass) compare equal as strings.
    """
    return ZH[type(member)][member]
