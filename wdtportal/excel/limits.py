"""The limits an import enforces, from settings (see docs/operations.md: IMPORT_MAX_BYTES and friends)."""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int
    max_rows: int
    max_uncompressed_bytes: int
    # The sheet's used range (first to last cell, which python-calamine allocates as one dense rectangle).
    max_columns: int = 1000
    max_cells: int = 10_000_000

    @classmethod
    def from_settings(cls) -> "ImportLimits":
        return cls(
            max_bytes=settings.IMPORT_MAX_BYTES,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
            max_columns=settings.IMPORT_MAX_COLUMNS,
            max_cells=settings.IMPORT_MAX_CELLS,
        )
