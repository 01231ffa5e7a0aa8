"""The journal: what people record in the app (evidence, proposals, calibrated decisions with
what the room saw) and the audit log, in a store no build replaces. See store.py for where it
lives and entries.py for what it holds."""
