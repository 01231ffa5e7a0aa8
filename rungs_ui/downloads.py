"""Page downloads that exist only from the click until the browser has fetched them.

Streamlit serves every file a page hands it at `/media/<content hash>.<ext>` to whoever asks,
with no session, password or cookie check. Bytes given to `st.download_button` when the page
draws are published at once, stay while any session shows the button, and a file left behind
is only removed by the second of two later clean-ups (each run's end or a session's end),
which on a quiet server can be never. So no page hands over bytes: it hands over a function,
which Streamlit calls when the user clicks (a request over that session's websocket), and the
URL of the result goes to that session only. Streamlit keeps that result until two clean-ups
have run; each click runs one `LIFETIME_S` after it and another `LIFETIME_S` later, so a
download is gone at most 2 x `LIFETIME_S` after its click (its browser fetches it at once),
whether or not the session is still open, and no URL is published before a click or survives
a restart. Spacing the two clean-ups, rather than running both at once, leaves a download
another session generated a moment ago at least `LIFETIME_S` for its own fetch.

What Streamlit itself guarantees, and what we rely on: a deferred download is generated only
on a click from a session that was sent the button (its id is a random uuid), a generated file
is referenced by no session, and `remove_orphaned_files` deletes such a file on its second
call (the first marks it). What no one guarantees: within those seconds, someone who has the
URL could fetch it too; the URL is only ever sent to the clicking session.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from streamlit import runtime

# Long enough for a browser to fetch the file it was just told about (it does so at once), short
# enough that a copied URL is useless. RUNGS_DOWNLOAD_SECONDS may shorten it (the browser test
# does) or lengthen it for a slow network.
LIFETIME_S = float(os.environ.get("RUNGS_DOWNLOAD_SECONDS", "3"))


def made_on_click(make: Callable[[], bytes]) -> Callable[[], bytes]:
    """What to give st.download_button instead of bytes: `make`, called when the user clicks,
    with the file it returns cleaned up soon after."""

    def generate() -> bytes:
        data = make()
        # The first clean-up marks the file this returns, the second deletes it.
        _clean_up_after(LIFETIME_S)
        _clean_up_after(2 * LIFETIME_S)
        return data

    return generate


def _clean_up_after(seconds: float) -> None:
    timer = threading.Timer(seconds, clean_up_generated_files)
    timer.daemon = True  # never keeps a stopping server alive
    timer.start()


def clean_up_generated_files() -> None:
    """One Streamlit clean-up pass: a generated download (no session refers to one) is marked
    on its first pass and deleted on its second. Files a page is showing, such as the page
    icon, are referenced and stay."""
    if runtime.exists():
        runtime.get_instance().media_file_mgr.remove_orphaned_files()
