"""English labels beside the Chinese ones: every enum value the API labels, in English.

The Chinese labels are the domain's own (``register.ZH``, ``STATUS_ZH``, ...) and stay
the default; these are for front ends and integrators that show English. Terms follow
the usage of the State Council Leading Group Office of Poverty Alleviation and
Development's English publications where there is one (e.g. "registered poor
household", "two assurances and three guarantees" for 两不愁三保障).
"""

from __future__ import annotations

from enum import StrEnum

from api.domain.engine import Status
from api.domain.evaluation import Comparison, Finding, Indicator
from api.domain.jurisdictions import Level
from api.domain.notices import NoticeKind
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import (
    CountyDesignation,
    Education,
    ExitAttribute,
    Health,
    HouseholdAttribute,
    HousingGrade,
    IncomeKind,
    LabourCapacity,
    PovertyCause,
    RegionClass,
    Relation,
    SchoolingStatus,
    StandardKind,
    SubjectKind,
    VillageDesignation,
)
from api.domain.roles import Role
from api.domain.spot_checks import Basis, Result
from api.domain.standards import Criterion

EVIDENCE_ZH: dict[str, str] = {
    EvidenceKind.ASSEMBLY_MINUTES: "村民代表大会民主评议记录",
    EvidenceKind.VERIFICATION_RECORD: "入户核实记录",
    EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT: "贫困户签字认可",
    EvidenceKind.NOTICE_POSTING: "公示公告张贴",
    EvidenceKind.INVESTIGATION_REPORT: "调查核实报告",
    EvidenceKind.SPOT_CHECK_RECORD: "抽查记录",
    EvidenceKind.EVALUATION_REPORT: "第三方评估报告",
    EvidenceKind.APPLICATION_DOCUMENT: "退出申请",
    EvidenceKind.REVIEW_REPORT: "审核意见",
    EvidenceKind.REPORT_DOCUMENT: "上报文件",
    EvidenceKind.APPROVAL_DOCUMENT: "批准文件",
    EvidenceKind.FILING_RECEIPT: "备案回执",
}
"""Chinese labels of the evidence kinds (the domain names them in English only)."""

EN: dict[type[StrEnum], dict[str, str]] = {
    Level: {
        Level.PROVINCE: "Province",
        Level.MUNICIPALITY: "Prefecture (municipality)",
        Level.COUNTY: "County (county-level city, district)",
        Level.TOWNSHIP: "Township (town, subdistrict)",
        Level.VILLAGE: "Village (community)",
    },
    StandardKind: {
        StandardKind.NATIONAL: "National standard",
        StandardKind.PROVINCIAL: "Provincial standard",
    },
    HouseholdAttribute: {
        HouseholdAttribute.GENERAL: "General poor household",
        HouseholdAttribute.DIBAO: "Poor household on minimum living allowance (dibao)",
        HouseholdAttribute.WUBAO: "Poor household in destitute support (wubao)",
    },
    PovertyCause: {
        PovertyCause.ILLNESS: "Illness",
        PovertyCause.DISABILITY: "Disability",
        PovertyCause.EDUCATION: "Cost of schooling",
        PovertyCause.DISASTER: "Disaster",
        PovertyCause.LACK_OF_LAND: "Lack of land",
        PovertyCause.LACK_OF_WATER: "Lack of water",
        PovertyCause.LACK_OF_SKILLS: "Lack of skills",
        PovertyCause.LACK_OF_LABOUR: "Lack of labour",
        PovertyCause.LACK_OF_CAPITAL: "Lack of capital",
        PovertyCause.POOR_TRANSPORT: "Poor transport",
        PovertyCause.LACK_OF_DRIVE: "Lack of drive to develop",
        PovertyCause.OTHER: "Other",
    },
    ExitAttribute: {
        ExitAttribute.NOT_EXITED: "Not yet out of poverty",
        ExitAttribute.EXITED_SUPPORTED: "Out of poverty (still receiving support)",
        ExitAttribute.EXITED_SUPPORT_ENDED: "Out of poverty (support ended)",
        ExitAttribute.RETURNED_TO_POVERTY: "Returned to poverty",
    },
    Relation: {
        Relation.HEAD: "Head of household",
        Relation.SPOUSE: "Spouse",
        Relation.CHILD: "Child",
        Relation.CHILD_IN_LAW: "Daughter- or son-in-law",
        Relation.GRANDCHILD: "Grandchild",
        Relation.PARENT: "Parent",
        Relation.GRANDPARENT: "Grandparent",
        Relation.SIBLING: "Sibling",
        Relation.OTHER: "Other",
    },
    Education: {
        Education.NONE: "Illiterate or semi-literate",
        Education.PRIMARY: "Primary school",
        Education.JUNIOR_SECONDARY: "Junior secondary school",
        Education.SENIOR_SECONDARY: "Senior secondary school",
        Education.TERTIARY: "College or above",
        Education.PRESCHOOL: "Preschool child",
    },
    SchoolingStatus: {
        SchoolingStatus.NOT_APPLICABLE: "Not a student",
        SchoolingStatus.IN_SCHOOL: "In school",
        SchoolingStatus.HOME_TAUGHT: "Taught at home (送教上门)",
        SchoolingStatus.DROPPED_OUT: "Dropped out of school",
    },
    Health: {
        Health.HEALTHY: "Healthy",
        Health.CHRONIC_ILLNESS: "Chronic illness",
        Health.SERIOUS_ILLNESS: "Serious illness",
        Health.DISABLED: "Disabled",
    },
    LabourCapacity: {
        LabourCapacity.ORDINARY: "Ordinary labour",
        LabourCapacity.SKILLED: "Skilled labour",
        LabourCapacity.WEAK: "Weak or partial labour",
        LabourCapacity.NONE: "Lost capacity to work",
        LabourCapacity.NOT_OF_WORKING_AGE: "No labour (not of working age)",
    },
    HousingGrade: {
        HousingGrade.A: "Grade A (safe)",
        HousingGrade.B: "Grade B (basically safe)",
        HousingGrade.C: "Grade C (unsafe)",
        HousingGrade.D: "Grade D (dangerous)",
    },
    IncomeKind: {
        IncomeKind.WAGE: "Wage income",
        IncomeKind.BUSINESS: "Household business income",
        IncomeKind.PROPERTY: "Property income",
        IncomeKind.TRANSFER: "Transfer income",
        IncomeKind.COST: "Household business costs",
    },
    CountyDesignation: {
        CountyDesignation.NATIONAL: "National-level poor county",
        CountyDesignation.PROVINCIAL: "Provincial-level poor county",
    },
    RegionClass: {
        RegionClass.GENERAL: "General region",
        RegionClass.WESTERN: "Western region",
    },
    VillageDesignation: {
        VillageDesignation.POOR_VILLAGE: "Poor village",
        VillageDesignation.KEY_VILLAGE: "Key village of poverty alleviation",
    },
    SubjectKind: {
        SubjectKind.HOUSEHOLD: "Poor household",
        SubjectKind.VILLAGE: "Poor village",
        SubjectKind.COUNTY: "Poor county",
    },
    Status: {
        Status.IN_PROGRESS: "In progress",
        Status.OBJECTED: "Objection to resolve",
        Status.REJECTED: "Exit refused",
        Status.EXITED: "Exited",
    },
    NoticeKind: {
        NoticeKind.NOTICE: "Public notice",
        NoticeKind.ANNOUNCEMENT: "Announcement",
    },
    Criterion: {
        Criterion.INCOME: "Per-capita net income steadily above the poverty line",
        Criterion.FOOD_AND_CLOTHING: "Enough food and clothing",
        Criterion.COMPULSORY_EDUCATION: "Compulsory education assured",
        Criterion.BASIC_MEDICAL_CARE: "Basic medical care assured",
        Criterion.SAFE_HOUSING: "Safe housing assured",
        Criterion.SAFE_DRINKING_WATER: "Safe drinking water",
        Criterion.INCIDENCE: "Poverty incidence",
        Criterion.HAMLET_ROAD_PAVED: "Paved (cement or asphalt) road to the main hamlet",
        Criterion.BROADBAND: "Broadband",
        Criterion.RADIO_AND_CABLE_TV: "Radio and cable television",
        Criterion.CLINIC_WITH_DOCTOR: "A clinic with a doctor",
        Criterion.CULTURAL_VENUE: "A venue for cultural activities",
        Criterion.BLOCK_UNSAFE_HOUSING: "Hard block: housing graded C or D",
        Criterion.BLOCK_SCHOOL_DROPOUT: (
            "Hard block: a child of compulsory-school age out of school"
        ),
        Criterion.BLOCK_UNTREATED_SERIOUS_ILLNESS: "Hard block: a serious illness not treated",
        Criterion.BLOCK_TRANSFER_INCOME_ONLY: "Hard block: income from transfers only",
    },
    Decision: {
        Decision.APPROVE: "Approve",
        Decision.REJECT: "Reject (ends the application)",
        Decision.RETURN: "Return to an earlier stage",
    },
    Role: {
        Role.VILLAGE_COMMITTEES: "Village Party branch and villagers' committee",
        Role.RESIDENT_WORK_TEAM: "Resident work team",
        Role.FIRST_SECRETARY: "First secretary",
        Role.TOWNSHIP_GOVERNMENT: "Township Party committee and government",
        Role.COUNTY_LEADING_GROUP: "County leading group for poverty alleviation",
        Role.MUNICIPAL_LEADING_GROUP: "Prefecture leading group for poverty alleviation",
        Role.PROVINCIAL_LEADING_GROUP: "Provincial leading group for poverty alleviation",
        Role.PROVINCIAL_GOVERNMENT: "Provincial people's government",
        Role.STATE_COUNCIL_LEADING_GROUP: "State Council leading group for poverty alleviation",
        Role.THIRD_PARTY_EVALUATOR: "Third-party evaluator",
        Role.INSPECTOR: "Inspector",
        Role.INTEGRATOR: "Information system integrator",
    },
    Indicator: {
        Indicator.COMPREHENSIVE_INCIDENCE: "Comprehensive poverty incidence",
        Indicator.WRONGFUL_EXIT_RATE: "Rate of wrongful exits",
        Indicator.OMISSION_RATE: "Rate of omitted poor people",
        Indicator.PUBLIC_RECOGNITION: "Public recognition",
    },
    Comparison: {
        Comparison.BELOW: "below",
        Comparison.AT_MOST: "at most",
        Comparison.AT_LEAST: "at least",
        Comparison.ABOVE: "above",
    },
    Finding: {
        Finding.REMAINING_POOR: "Still poor",
        Finding.EXITED: "Out of poverty (verified)",
        Finding.WRONGLY_EXITED: "Wrongly exited",
        Finding.OMITTED: "Omitted from the register",
        Finding.NOT_POOR: "Not a poor household (verified)",
    },
    Basis: {
        Basis.EXITED: "Exited subjects",
        Basis.AWAITING_REVIEW: "Awaiting spot-check review",
    },
    Result: {
        Result.PASSED: "Passed the spot check",
        Result.FAILED: "Failed the spot check",
    },
    EvidenceKind: {
        EvidenceKind.ASSEMBLY_MINUTES: "Minutes of the villager representatives' assembly",
        EvidenceKind.VERIFICATION_RECORD: "Household verification record",
        EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT: "Household's signed acknowledgment",
        EvidenceKind.NOTICE_POSTING: "Posted notice",
        EvidenceKind.INVESTIGATION_REPORT: "Investigation report",
        EvidenceKind.SPOT_CHECK_RECORD: "Spot-check record",
        EvidenceKind.EVALUATION_REPORT: "Third-party evaluation report",
        EvidenceKind.APPLICATION_DOCUMENT: "Exit application",
        EvidenceKind.REVIEW_REPORT: "Review opinion",
        EvidenceKind.REPORT_DOCUMENT: "Report to the higher level",
        EvidenceKind.APPROVAL_DOCUMENT: "Approval document",
        EvidenceKind.FILING_RECEIPT: "Filing receipt",
    },
}
