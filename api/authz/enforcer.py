"""The Casbin enforcer, with role assignments from the database and cached decisions.

p lines are static (policies/policy.csv). g lines (user, role, jurisdiction) are
loaded per user on first use and dropped when the policy version changes, so a
role change made by any worker reaches every worker at its next check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import casbin

from api.authz.policy import MODEL_PATH, POLICY_PATH, role_subject
from api.domain.jurisdictions import contains
from api.domain.roles import Role


@dataclass(frozen=True, slots=True)
class Holding:
    role: Role
    jurisdiction: str


MAX_CACHED_DECISIONS = 200_000
MAX_LOADED_SUBJECTS = 50_000


def user_subject(subject: str) -> str:
    return f"user:{subject}"


def _domain_contains(request_domain: str, stored_domain: str) -> bool:
    return contains(stored_domain, request_domain)


class Authorizer:
    def __init__(self, *, model: str = str(MODEL_PATH), policy: str = str(POLICY_PATH)) -> None:
        self._files = (model, policy)
        self._enforcer = self._fresh()
        self._version: int | None = None
        self.watched = False
        """True while a watch (api/authz/watch.py) pushes every change of the stored
        version here: the version need not be read per request."""
        self._loaded: dict[str, tuple[tuple[str, str], ...]] = {}
        """Loaded users and the (role, jurisdiction) links added for each."""
        self._decisions: dict[tuple[str, str, str, str], bool] = {}

    @property
    def version(self) -> int | None:
        return self._version

    def sync(self, version: int) -> None:
        """Forget loaded assignments and decisions if the stored policy version moved."""
        if version != self._version:
            self._forget()
            self._version = version

    def _fresh(self) -> casbin.Enforcer:
        """An enforcer with the static p lines and no user's links."""
        enforcer = casbin.Enforcer(*self._files)
        enforcer.add_named_domain_matching_func("g", _domain_contains)
        return enforcer

    def _forget(self) -> None:
        # A new enforcer, not each user's links removed: Casbin removes a user's links
        # by scanning every link, so forgetting n users cost n² (seconds at 10,000).
        self._enforcer = self._fresh()
        self._loaded.clear()
        self._decisions.clear()

    def is_loaded(self, subject: str) -> bool:
        return user_subject(subject) in self._loaded

    def holds_any(self, subject: str) -> bool:
        """Whether the loaded subject holds at least one recorded role."""
        return bool(self._loaded.get(user_subject(subject)))

    def load(self, subject: str, holdings: Iterable[Holding]) -> None:
        if len(self._loaded) >= MAX_LOADED_SUBJECTS:
            self._forget()  # bounded memory: holdings reload lazily, one query each
        user = user_subject(subject)
        links = tuple((role_subject(h.role), h.jurisdiction) for h in holdings)
        if self._loaded.get(user) == links:
            return  # two first requests of one user loaded the same holdings
        # Only the user's own links are removed (Casbin's delete_roles_for_user scans
        # every user's: loading the n-th user cost O(n), 4 ms at 3,000 users).
        if user in self._loaded:  # a reload: its links and decisions are stale
            for role, jurisdiction in self._loaded.pop(user):
                self._enforcer.remove_grouping_policy(user, role, jurisdiction)
            self._decisions.clear()
        for role, jurisdiction in links:
            self._enforcer.add_role_for_user_in_domain(user, role, jurisdiction)
        self._loaded[user] = links

    def allows(self, subject: str, domain: str, obj: str, action: str) -> bool:
        key = (subject, domain, obj, action)
        decision = self._decisions.get(key)
        if decision is None:
            decision = bool(self._enforcer.enforce(user_subject(subject), domain, obj, action))
            if len(self._decisions) >= MAX_CACHED_DECISIONS:
                self._decisions.clear()  # bounded: a cold cache costs ~100 µs per decision
            self._decisions[key] = decision
        return decision
