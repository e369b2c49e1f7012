"""English: the same ISO dates (2026-11-22 14:05) and number grouping as the Chinese interface."""

from wdtportal.formats.zh_Hans.formats import *  # noqa: F403

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d"]
