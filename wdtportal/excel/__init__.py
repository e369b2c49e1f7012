"""Bulk Excel import and export shared by returns and settlements.

Reading (`reading`, after the checks of `xlsx_guard` and `xls_guard`: bombs, damaged parts, a used range too large
for calamine (`extent`), formula cells) turns a file into rows of raw cells; `cells` cleans each cell
the way clerks type it; `columns` maps the header row to fields; `documents` groups rows into documents, validates
them all and upserts them in one transaction; `writing` produces templates, exports and error copies; `admin` hooks
the whole thing into django-import-export's import/export pages; `background` runs large confirmed imports as jobs.
"""
