"""The viewer's scope for this run, and the audit trail of what they looked at.

dashboard.py asks `scope_for` once per run, after the sign-in (rungs_ui.auth) and before any
query about people, and hands the pages a Warehouse handle that carries the scope; the query
layer binds it into every query (rungs_ui.queries). Local mode sees everyone.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import streamlit as st

from pipelines import audit
from pipelines.access import AccessPolicy, Scope, everyone, load_policy, resolve_scope
from pipelines.access.policy import access_path
from rungs_ui.auth import Identity
from rungs_ui.warehouse import ALIAS, Warehouse

_SIGNED_IN_KEY = "_rungs_audited_sign_in"
_OPENED_KEY = "_rungs_audited_engineer"
_VIEWER_KEY = "_rungs_viewer"


def _file_key() -> tuple[str, str | None]:
    """The access file's path and a hash of what it holds now: the key of both caches below,
    read once per run so the policy and the scopes resolved with it always agree."""
    path = access_path()
    try:
        return str(path), hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return str(path), None


def policy(key: tuple[str, str | None] | None = None) -> AccessPolicy:
    """The access file as it is now (re-read when it changes, so a grant needs no restart)."""
    return _policy(*(key or _file_key()))


@st.cache_resource(max_entries=4, show_spinner=False)
def _policy(path: str, content_hash: str | None) -> AccessPolicy:
    del content_hash  # only part of the cache key
    return load_policy(Path(path))


def scope_for(wh: Warehouse, who: Identity | None, month: date) -> Scope | None:
    """Everyone in local mode (`who` None); else the signed-in person's scope at the month,
    None when they hold no role."""
    if who is None:
        return everyone()
    key = _file_key()
    return _resolve(wh, policy(key), wh.build_id, key, who.email, who.groups, month)


@st.cache_data(max_entries=256, show_spinner=False)
def _resolve(
    _wh: Warehouse,
    _rules: AccessPolicy,
    build_id: str,
    access_file: tuple[str, str | None],
    email: str,
    groups: tuple[str, ...],
    month: date,
) -> Scope | None:
    # build_id and access_file are the cache key of the warehouse and the policy: a rebuild may
    # move people between managers, an edited access file may grant or take away a role.
    del build_id, access_file
    cursor = _wh.con.cursor()
    try:
        cursor.execute(f"use {ALIAS}")  # a new cursor starts in the in-memory database
        return resolve_scope(cursor, _rules, email, groups, month)
    finally:
        cursor.close()


def record(scope: Scope, action: str, target: str | None = None) -> None:
    """Append to the audit log. An entry that cannot be written stops what it records."""
    audit.record(
        audit.Event(
            who=scope.viewer,
            role=scope.role,
            action=action,
            target=target,
            scope=scope.describe(),
        )
    )


def record_sign_in_once(scope: Scope) -> None:
    if st.session_state.get(_SIGNED_IN_KEY) != scope.viewer:
        record(scope, "sign_in")
        st.session_state[_SIGNED_IN_KEY] = scope.viewer


def record_no_access_once(who: Identity) -> None:
    if st.session_state.get(_SIGNED_IN_KEY) != f"denied:{who.email}":
        audit.record(audit.Event(who=who.email, role="none", action="no_access", scope="none"))
        st.session_state[_SIGNED_IN_KEY] = f"denied:{who.email}"


def record_opened(scope: Scope, engineer_id: str) -> None:
    """An Engineer page opened (once per viewer and person in a row, not on every rerun)."""
    if st.session_state.get(_OPENED_KEY) != (scope.viewer, engineer_id):
        record(scope, "open_engineer", engineer_id)
        st.session_state[_OPENED_KEY] = (scope.viewer, engineer_id)


def forget_previous_viewer(scope: Scope, page_keys: tuple[str, ...]) -> None:
    """When someone else signs in on the same browser session, drop what the last person had
    open (the engineer picked, the filters), so nobody starts on another person's view."""
    before = st.session_state.get(_VIEWER_KEY)
    if before is not None and before != scope.viewer:
        for key in page_keys:
            st.session_state.pop(key, None)
            st.query_params.pop(key, None)
    st.session_state[_VIEWER_KEY] = scope.viewer
