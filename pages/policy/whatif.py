"""What-if: if we changed a bar or a rule, who would move?

Starts from the framework the build used; the viewer picks bars or rule settings and new values,
and the readiness rules run again on this warehouse's own data with those values bound
(pipelines.whatif, in a scratch database: the served warehouse is never written). The page then
says who becomes or stops being promotion-ready, near a window, an in-band candidate or at risk
in the as-of month, each with the old and the new reason, and by how many months a projected
window moves; then who keeps their flags but is nearer or further from one (their reason
changes). With two to five settings, what each does alone. In presentation mode the answer
comes first and the editor folds away below it. Admins may save the changed framework as a new
framework file.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from pipelines.framework import DEFAULT_FRAMEWORK, Framework
from pipelines.rules.reasons import METRIC_WORDS
from pipelines.whatif import (
    FLAGS,
    OverrideError,
    Settable,
    WhatIf,
    counts,
    framework_of_warehouse,
    run_whatif,
    save_framework,
    settable,
)
from pipelines.whatif.diff import short_change, window_text
from pipelines.whatif.nearer import summary
from pipelines.whatif.overrides import setting_name, value_words
from pipelines.whatif.run import MOST_RUN_ALONE, WhatIfInputError
from pipelines.whatif.save import base_matching
from rungs_ui import access, charts, identity, page, queries
from rungs_ui.warehouse import ALIAS, DEFAULT_WAREHOUSE, REPO_ROOT

# Where saved frameworks go: one folder on the server, never a path typed into the page (a
# browser must not choose where the server writes). RUNGS_FRAMEWORK_DIR moves it.
FRAMEWORK_DIR = Path(os.environ.get("RUNGS_FRAMEWORK_DIR") or REPO_ROOT / "data" / "frameworks")
# Saving is for admins only. A saved file is an input of the next build, on the server's disk:
# the people who run builds and look after that disk decide what lands there. Leadership (the
# framework owner among them) explores freely and takes the diff away as CSV; an admin saves
# the proposal that is agreed.
SAVING_ROLES = frozenset({"admin"})
# Side-by-side reasons drawn on the page; a larger what-if is read in the download. Fewer on
# the room's screen, where every card is a screenful.
REASONS_SHOWN = 40
REASONS_PRESENTED = 12
# What gaining and losing a flag reads as in a sentence: (one person, several people).
FLAG_GAINED = {
    "promotion_ready": ("becomes promotion-ready", "become promotion-ready"),
    "near_window": ("comes near a window", "come near a window"),
    "in_band_candidate": ("becomes an in-band candidate", "become in-band candidates"),
    "at_risk": ("is newly at risk", "are newly at risk"),
}
FLAG_LOST = {
    "promotion_ready": ("is no longer promotion-ready", "are no longer promotion-ready"),
    "near_window": ("is no longer near a window", "are no longer near a window"),
    "in_band_candidate": ("is no longer an in-band candidate", "are no longer in-band candidates"),
    "at_risk": ("is no longer at risk", "are no longer at risk"),
}

ctx = page.context()
page.header(ctx)
page.require_people(ctx)
page.require(ctx, "readiness", "category_attainment")
month = ctx.filters.month
who = identity.current()


@st.cache_data(max_entries=4, show_spinner=False)
def _framework(_wh, build_id: str) -> Framework:
    """The framework the build used, read back from its own tables (cached per build)."""
    del build_id  # only the cache key
    cursor = _wh.con.cursor()
    try:
        cursor.execute(f"use {ALIAS}")  # a new cursor starts in the in-memory database
        return framework_of_warehouse(cursor)
    finally:
        cursor.close()


@st.cache_data(max_entries=32, show_spinner=False)
def _whatif(
    warehouse: str, build_id: str, assignments: tuple[tuple[str, float], ...], as_of: date
) -> WhatIf:
    """One what-if over the whole warehouse (cached per build, month and changes; each view
    is cut to the viewer's scope and filters after)."""
    del build_id  # only the cache key: a rebuild is another warehouse
    return run_whatif(warehouse, dict(assignments), as_of=as_of)


def shown_value(s: Settable, value: float) -> str:
    """A value as people write it: 95% for a share, 20 h for an open-time bar, 12 for months."""
    metric = s.path.rsplit(".", 1)[-1]
    if s.path.startswith("bars."):
        return charts.bar_text(metric, value)
    return f"{value:g}"


def described(path: str) -> str:
    """A setting in a sentence: "the IC3 Scope SLA adherence bar", "the months at level
    before a promotion case"."""
    kind, _, rest = path.partition(".")
    if kind == "bars":
        level, category, metric = rest.split(".")
        return f"the {level} {category} {METRIC_WORDS.get(metric, metric)} bar"
    label = setting_name(framework, path)
    return f"the {label[:1].lower()}{label[1:]}"


def picked_words(s: Settable) -> str:
    """A setting as the picker lists it: a bar's label carries its value; a rule's gets it."""
    return s.label if s.path.startswith("bars.") else f"{s.label} (now {shown_value(s, s.current)})"


def _editor(settables: list[Settable]) -> tuple[list[str], dict[str, float]]:
    """The settings picked, and the new values (as the framework stores them: shares 0 to 1)
    of those that differ from the framework's own."""
    by_path = {s.path: s for s in settables}
    picked = st.multiselect(
        "Settings to change",
        options=list(by_path),
        format_func=lambda p: picked_words(by_path[p]),
        key="whatif_paths",
        placeholder="Pick one or more bars or rule settings",
        help="Every rule setting and every bar of the framework the build used.",
    )
    if not picked:
        return [], {}
    values = {}
    with st.form("whatif_values", border=True):
        st.markdown("**New values**")
        cells = st.columns(3)  # a third of the width each: one number needs no more
        for i, path in enumerate(picked):
            s = by_path[path]
            values[path] = _value_input(cells[i % len(cells)], s)
        st.form_submit_button("Run the what-if", icon=":material/play_arrow:", type="primary")
    return picked, {p: v for p, v in values.items() if abs(v - by_path[p].current) > 1e-9}


def _value_input(where, s: Settable) -> float:
    """One new value: a share in percent, a count of months or items as a whole number."""
    label = picked_words(s)
    tip = f"{s.help} (`{s.path}`)"
    if s.share:
        percent = where.number_input(
            label,
            min_value=float(s.minimum or 0) * 100,
            max_value=float(s.maximum if s.maximum is not None else 1) * 100,
            value=round(s.current * 100, 4),
            step=0.5,
            format="%.1f",
            key=f"whatif_value_{s.path}",
            help=tip + " In percent.",
        )
        return round(percent / 100, 6)
    if s.whole:
        return float(
            where.number_input(
                label,
                min_value=int(s.minimum or 0),
                max_value=None if s.maximum is None else int(s.maximum),
                value=int(s.current),
                step=1,
                key=f"whatif_value_{s.path}",
                help=tip,
            )
        )
    return float(
        where.number_input(
            label,
            min_value=s.minimum,
            max_value=s.maximum,
            value=float(s.current),
            step=0.05 if s.current < 5 else 1.0,
            format="%.2f",
            key=f"whatif_value_{s.path}",
            help=tip,
        )
    )


def _in_view(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of people this viewer may see and the sidebar's filters leave in view."""
    if rows.empty:
        return rows
    keep = rows["engineer_id"].map(lambda e: e in in_view and ctx.scope.allows(e))
    return rows.loc[keep.astype(bool)].reset_index(drop=True)


def _people(n: int, one: str, many: str) -> str:
    return f"1 person {one}" if n == 1 else f"{n} people {many}"


def headline(result: WhatIf, totals: dict[str, int], nearer: pd.DataFrame) -> str:
    """One sentence: what changed and who moves, e.g. "Lowering the IC3 Scope SLA adherence
    bar from 96% to 95%: 3 people become promotion-ready and 1 person stops being at risk."
    Several changes read "Together, these 2 changes: ..." (never crediting each with the
    total; "Each change alone" says what each does). The people who keep their flags but
    whose reason changes follow: "...; what holds 38 people back changes"."""
    if len(result.assignments) > 1:
        cause = f"Together, these {len(result.assignments)} changes"
    else:
        ((path, (old, new)),) = result.assignments.items()
        verb = "Lowering" if new < old else "Raising" if new > old else "Keeping"
        s = by_path.get(path)
        old_text, new_text = (shown_value(s, old), shown_value(s, new)) if s else (old, new)
        cause = f"{verb} {described(path)} from {old_text} to {new_text}"
    besides = summary(nearer)
    if not any(totals.values()):
        return f"{cause}: nobody's flags change" + (f"; {besides}." if besides else ".")
    effects = []
    for key, label in FLAGS:
        for suffix, words in (("gained", FLAG_GAINED), ("lost", FLAG_LOST)):
            if moved := totals[f"{key}_{suffix}"]:
                verbs = words.get(key) or (f"{suffix} {label.lower()}",) * 2
                effects.append(_people(moved, *verbs))
    for direction in ("earlier", "later"):
        if moved := totals[f"window_{direction}"]:
            effects.append(
                f"{moved} projected window{'' if moved == 1 else 's'} "
                f"move{'s' if moved == 1 else ''} {direction}"
            )
    said = effects[0] if len(effects) == 1 else ", ".join(effects[:-1]) + " and " + effects[-1]
    return f"{cause}: {said}" + (f"; besides, {besides}." if besides else ".")


def _flags_count(rows: pd.DataFrame, key: str) -> int:
    return int(rows[key].fillna(False).astype(bool).sum()) if key in rows else 0


def _tiles(result: WhatIf, totals: dict[str, int]) -> None:
    """A tile per flag that moves (before → after, who becomes and who stops) and one for the
    projected windows; the flags nobody gains or loses are named in a line below."""
    before, after = _in_view(result.before), _in_view(result.after)
    moved = [(k, lbl) for k, lbl in FLAGS if totals[f"{k}_gained"] or totals[f"{k}_lost"]]
    tiles = st.columns(len(moved) + 1)
    for tile, (key, label) in zip(tiles, moved, strict=False):
        tile.metric(
            label,
            f"{_flags_count(before, key)} → {_flags_count(after, key)}",
            delta=f"{totals[f'{key}_gained']} become · {totals[f'{key}_lost']} stop",
            delta_color="off",
            delta_arrow="off",
            border=True,
            help=f"People in view flagged {label.lower()} in {page.month_label(month)}: with "
            "the framework as built → with the change.",
        )
    tiles[-1].metric(
        "Projected windows",
        f"{totals['window_earlier']} earlier",
        delta=f"{totals['window_later']} later",
        delta_color="off",
        delta_arrow="off",
        border=True,
        help="People whose projected promotion window opens earlier or later with the change "
        "(becoming promotion-ready counts as a window opening now).",
    )
    still = [
        f"{label} ({_flags_count(before, key)})"
        for key, label in FLAGS
        if (key, label) not in moved
    ]
    if still:
        st.caption(f"Unchanged for everyone in view: {', '.join(still)}.")


def _by(changed: pd.DataFrame, column: str, title: str) -> None:
    """Moves per level or team: a table of the flags that moved, and the same as a chart."""
    table = counts(changed, column)
    if column == "level":  # the ladder's order, not the alphabet's
        table = table.sort_values("level", key=lambda v: v.map(ctx.fw.rank), kind="stable")
    moved = [c for c in table.columns if c != column and table[c].sum() > 0]
    config = {column: title}
    for key, label in FLAGS:
        config[f"{key}_gained"] = st.column_config.NumberColumn(f"{label} +", help="become")
        config[f"{key}_lost"] = st.column_config.NumberColumn(f"{label} −", help="stop")
    config["window_earlier"] = st.column_config.NumberColumn("Window earlier")
    config["window_later"] = st.column_config.NumberColumn("Window later")
    st.markdown(f"**By {title.lower()}**")
    page.table(ctx, table[[column, *moved]], column_config=config)
    rows = []
    for key, label in FLAGS:
        for suffix, sign, move in (("gained", 1, "become"), ("lost", -1, "stop")):
            part = table[[column, f"{key}_{suffix}"]].rename(
                columns={column: "group", f"{key}_{suffix}": "people"}
            )
            rows.append(part.assign(people=part["people"] * sign, flag=label, move=move))
    moves = pd.concat(rows, ignore_index=True)
    moves = moves.loc[moves["people"] != 0]
    if not moves.empty:
        flags = [label for _, label in FLAGS]
        page.chart(ctx, charts.whatif_moves(moves, title, flags, table[column].tolist()))


def _people_table(rows: pd.DataFrame) -> None:
    """One row per person: the change in a few words (the whole sentence is on their card
    below), the window as built and with the change, and a link to their page. Few, narrow
    columns, so the table fits beside the sidebar at 1366 px."""
    table = who.frame(rows).assign(
        change=[short_change(r) for r in rows.to_dict(orient="records")],
        window=[
            window_text(*w, page.month_label)
            for w in zip(
                rows["old_window"],
                rows["new_window"],
                rows["old_earliest"],
                rows["new_earliest"],
                strict=True,
            )
        ],
        page=rows["engineer_id"].map(who.link),
    )
    # Only the columns shown are sent to the browser (the reasons there are unscrubbed).
    shown = ["name", "level", "team", "change", "window", "page"]
    if not table["window"].astype(bool).any():
        shown.remove("window")  # nobody here has a window: give its room to the change
    page.table(
        ctx,
        table[shown],
        column_config={
            "name": "Engineer",
            "level": "Level",
            "team": "Team",
            "change": st.column_config.TextColumn("Change", width="large"),
            "window": st.column_config.TextColumn(
                "Window",
                help="Projected promotion window: as built → with the change. Where there is "
                "none, the earliest month the person could be promotion-ready, marked "
                "(earliest), as their reason says.",
            ),
            "page": st.column_config.LinkColumn("Page", display_text="open", width="small"),
        },
    )


def _flag_words(flags: str) -> str:
    return page.text(flags) if flags else "no flag"


def _reasons(rows: pd.DataFrame) -> None:
    """Each person's reason before and after, side by side: the sentences that explain the
    flags, read aloud in the meeting."""
    cap = REASONS_PRESENTED if ctx.present else REASONS_SHOWN
    shown = rows.head(cap)
    for _, row in shown.iterrows():
        with st.container(border=True):
            name = page.text(who.person(row["engineer_id"], row["name"]))
            st.markdown(
                f"[**{name}**]({who.link(row['engineer_id'])}) · {page.text(row['level'])} · "
                f"{page.text(row['team'])} — {page.text(row['change'])}"
            )
            before, after = st.columns(2)
            before.markdown(
                f"**Before** ({_flag_words(row['old_flags'])}): "
                f"{page.text(who.scrub(row['old_reason'] or ''))}"
            )
            after.markdown(
                f"**After** ({_flag_words(row['new_flags'])}): "
                f"{page.text(who.scrub(row['new_reason'] or ''))}"
            )
    if len(rows) > len(shown):
        st.caption(
            f"The first {len(shown)} of {len(rows)} are shown here; the table above lists "
            "every one and the download has both reasons for each."
        )


def _each_alone(result: WhatIf) -> None:
    """With two to five settings, one row per setting: how many people in view it moves on
    its own (each a what-if of its own, cached like any other)."""
    rows = []
    for path, (old, new) in result.assignments.items():
        alone = _whatif(ctx.wh.path, ctx.wh.build_id, ((path, new),), result.month)
        rows.append(
            {
                "setting": setting_name(framework, path),
                "change": f"{value_words(framework, path, old)} → "
                f"{value_words(framework, path, new)}",
                "moves": len(_in_view(alone.changed)),
                "nearer": len(_in_view(alone.nearer)),
            }
        )
    st.markdown("**Each change alone**")
    page.table(
        ctx,
        pd.DataFrame(rows),
        column_config={
            "setting": "Setting",
            "change": "Change",
            "moves": st.column_config.NumberColumn(
                "Flags change",
                help="People in view whose flags or window change with this setting alone.",
            ),
            "nearer": st.column_config.NumberColumn(
                "Reason changes",
                help="People in view who keep their flags but whose reason "
                "changes with this setting alone.",
            ),
        },
    )
    st.caption(
        "Each row is the what-if with that one setting changed. Together the settings can "
        "move people neither moves alone, so the rows need not add up to the total above."
    )


def _download(changed: pd.DataFrame, result: WhatIf) -> None:
    settings = "; ".join(
        f"{p}: {shown_value(by_path[p], old)} → {shown_value(by_path[p], new)}"
        if p in by_path
        else f"{p}: {old:g} → {new:g}"
        for p, (old, new) in result.assignments.items()
    )
    frame = changed.assign(what_if=settings or "no change").rename(
        columns={
            "change": "Change",
            "kind": "Kind (flags / reason)",
            "direction": "Nearer or further",
            "old_earliest": "Earliest ready before",
            "new_earliest": "Earliest ready after",
            "old_flags": "Flags before",
            "new_flags": "Flags after",
            "became": "Becomes",
            "stopped": "Stops being",
            "old_window": "Window before",
            "new_window": "Window after",
            "window_moves_months": "Window moves (months, + later)",
            "old_reason": "Reason before",
            "new_reason": "Reason after",
            "what_if": "What-if",
        }
    )
    # Anonymised here as well as in page.download: what leaves the page is checked as handed over.
    page.download(who.whole(frame), "Download the changes as CSV", "what-if", key="download_whatif")


def _save(result: WhatIf, build: dict) -> None:
    """The changed framework as a new file in FRAMEWORK_DIR, never over an existing one."""
    st.subheader("Save as a new framework file")
    if not (SAVING_ROLES & ctx.scope.roles) or ctx.scope.read_only:
        st.caption(
            "An admin can save this change as a new framework file for a build; download the "
            "changes above to take the proposal to them."
        )
        return
    before = result.framework_before
    with st.form("whatif_save", border=True):
        version = st.text_input(
            "Version", value=f"{before.version}-what-if", key="whatif_save_version"
        )
        file_name = st.text_input(
            "File name",
            value=f"framework-{_slug(before.version)}-what-if.toml",
            key="whatif_save_file",
            help=f"Written in {FRAMEWORK_DIR}; an existing file is never replaced.",
        )
        saved = st.form_submit_button("Save framework file", icon=":material/save:")
    if not saved:
        return
    if not version.strip():
        st.error("The version is empty. Fix: give the new framework a version, e.g. 2026.12.")
        return
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.toml", file_name.strip()):
        st.error(
            f"{page.text(file_name)} is not a plain file name. Fix: use letters, digits, dots, "
            "dashes or underscores, ending in .toml (no folders)."
        )
        return
    out = FRAMEWORK_DIR / file_name.strip()
    if out.exists():
        st.error(f"{page.text(out)} already exists and is kept as it is. Fix: pick another name.")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        # The default framework file keeps its comments and layout in the copy when it is the
        # very file this build used (a build records the file's digest, not its path).
        base = base_matching(before, DEFAULT_FRAMEWORK)
        written = save_framework(result.framework_after, out, version.strip(), base=base)
    except FileExistsError:
        st.error(f"{page.text(out)} already exists and is kept as it is. Fix: pick another name.")
        return
    except ValueError as exc:
        st.error(f"Nothing was saved. {page.text(exc)}")
        return
    # The audit log's "export": a file made from the dashboard's data, written on the server.
    access.record(ctx.scope, "save_framework", str(written))
    st.success(f"Saved {page.text(written)} (version {page.text(version.strip())}).")
    st.markdown("Build a warehouse with it:")
    st.code(_build_command(written, build), language="bash")
    st.caption(
        "Built into the served warehouse's path, it replaces today's flags for everyone; give "
        "`--warehouse` another file to look at it beside them first."
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-.") or "what-if"


def _build_command(framework_file: Path, build: dict) -> str:
    try:
        shown = framework_file.relative_to(REPO_ROOT)
    except ValueError:
        shown = framework_file
    source = build.get("source_dir") or "<exports folder>"
    warehouse = "" if Path(ctx.wh.path) == DEFAULT_WAREHOUSE else f" --warehouse {ctx.wh.path}"
    return f"python -m pipelines build --source {source} --framework {shown}{warehouse}"


# --- the page ---------------------------------------------------------------------------------

build = queries.latest_build(ctx.wh)
framework = _framework(ctx.wh, ctx.wh.build_id)
settables = settable(framework)
by_path = {s.path: s for s in settables}
in_view = set(queries.roster(ctx.wh, ctx.filters)["engineer_id"])


def _settings_list() -> None:
    with st.expander(f"Every setting a what-if can change ({len(settables)})"):
        page.table(
            ctx,
            pd.DataFrame(
                {
                    "label": [s.label for s in settables],
                    "current": [shown_value(s, s.current) for s in settables],
                    "help": [s.help for s in settables],
                    "path": [s.path for s in settables],
                }
            ),
            column_config={
                "label": "Setting",
                "current": "Now",
                "help": st.column_config.TextColumn("What it does", width="large"),
                "path": st.column_config.TextColumn(
                    "Path", help="What `python -m pipelines whatif --set` takes."
                ),
            },
        )


if ctx.present:
    # The room sees the answer first: it is drawn into `answer`, above the editor, which folds
    # away once settings are picked.
    answer = st.container()
    with st.expander("Change the settings", expanded=not st.session_state.get("whatif_paths")):
        picked, assignments = _editor(settables)
else:
    st.markdown(
        f"Starting from the framework this build used, **version "
        f"{page.text(framework.version)}** (built as of "
        f"{page.month_label(pd.Timestamp(str(build['as_of_month']) + '-01'))}). Change bars or "
        "rules below: the readiness rules run again on this warehouse's data for "
        f"**{page.month_label(month)}**, in a scratch copy. The served flags do not change."
    )
    _settings_list()
    picked, assignments = _editor(settables)
    answer = st.container()

with answer:
    if not picked:
        st.info("Pick a bar or a rule setting, give it a new value and run the what-if.")
        st.stop()
    try:
        with st.spinner("Running the readiness rules with the changed settings…"):
            result = _whatif(
                ctx.wh.path, ctx.wh.build_id, tuple(sorted(assignments.items())), month
            )
    except (OverrideError, WhatIfInputError) as exc:
        st.error(f"That what-if cannot run. {page.text(exc)}")
        st.stop()

    changed = _in_view(result.changed)
    nearer = _in_view(result.nearer)
    filtered = bool(
        ctx.filters.teams or ctx.filters.regions or ctx.filters.managers or ctx.filters.levels
    )
    # The change in words, with units: what the room is looking at.
    # (With nothing changed, the "Nobody moves" box below says so once.)
    if result.assignments:
        st.markdown(
            "  \n".join(
                f"**{page.text(setting_name(framework, p))}**: "
                f"{page.text(value_words(framework, p, old))} → "
                f"**{page.text(value_words(framework, p, new))}**"
                for p, (old, new) in result.assignments.items()
            )
        )
    if changed.empty and nearer.empty:
        if not assignments:
            st.success("Nobody moves: every value is still the framework's own.")
        elif filtered and ctx.scope.everyone and not result.changed.empty:
            st.success(
                f"Nobody in view moves. {len(result.changed)} people outside the sidebar's "
                "filters do: widen the filters to see them."
            )
        else:
            st.success(
                "Nobody moves: no flag, no projected window and no reason changes with this "
                "setting."
            )
        st.stop()

    level_counts = counts(changed, "level")
    totals = {c: int(level_counts[c].sum()) for c in level_counts.columns if c != "level"}
    st.subheader(page.text(headline(result, totals, nearer)))
    if filtered:
        st.caption("Counted among the people the sidebar's filters leave in view.")
    if not changed.empty:
        _tiles(result, totals)
    if 2 <= len(result.assignments) <= MOST_RUN_ALONE:
        _each_alone(result)

    if not changed.empty:
        st.subheader(f"Whose flags change ({len(changed)})")
        _people_table(changed)
    if not nearer.empty:
        st.subheader(f"Nearer or further from a flag ({len(nearer)})")
        st.caption(
            "Same flags and window, but the reason changes: what holds them back, or the "
            "figures it quotes."
        )
        _people_table(nearer)
    both = pd.concat([f for f in (changed, nearer) if not f.empty], ignore_index=True)
    _download(both, result)
    if not changed.empty:
        with st.expander(
            f"Old and new reason, side by side, for each of the {len(changed)} whose flags change",
            expanded=len(changed) <= 12,
        ):
            _reasons(changed)
    if not nearer.empty:
        with st.expander(
            f"Old and new reason for each of the {len(nearer)} nearer or further from a flag",
            expanded=changed.empty and len(nearer) <= 12,
        ):
            _reasons(nearer)

    if not changed.empty:
        if ctx.present:  # the room reads the people; the breakdown waits in a fold
            with st.expander("Where the moves fall, by level and team"):
                _by(changed, "level", "Level")
                _by(changed, "team", "Team")
        else:
            st.subheader("Where the moves fall")
            _by(changed, "level", "Level")
            _by(changed, "team", "Team")
    st.caption(
        f"Recomputed in {result.seconds:.1f} s for {page.month_label(result.month)}; the "
        "served warehouse was only read."
    )

if not ctx.present:  # an admin's file on the server, not something for the room's screen
    _save(result, build)
