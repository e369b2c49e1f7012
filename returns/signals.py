"""Signals of the returns app, for the apps built on it (settlements links its drafts to returns by number)."""

from django.dispatch import Signal

#: Sent with `return_nos` (a list of numbers) after returns were created, imported or renumbered.
returns_numbered = Signal()
