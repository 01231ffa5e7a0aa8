"""Who may see whom: the access file (policy.py) and the set of people one signed-in person may
see in a month (scope.py).

Both the dashboard and the `flags` CLI (run on behalf of a user) resolve a scope here, so there
is one definition of "in view" for a viewer; the dashboard's query layer binds it into every
query that lists people.
"""

from pipelines.access.policy import ROLES, AccessFileError, AccessPolicy, load_policy
from pipelines.access.scope import Scope, everyone, resolve_scope

__all__ = [
    "ROLES",
    "AccessFileError",
    "AccessPolicy",
    "Scope",
    "everyone",
    "load_policy",
    "resolve_scope",
]
