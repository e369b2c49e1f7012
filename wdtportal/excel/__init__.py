"""Bulk Excel import and export shared by returns and settlements.

Reading (`reading`, with the zip checks of `xlsx_guard`) turns a file into rows of raw cells; `cells` cleans each cell
the way clerks type it; `columns` maps the header row to fields; `documents` groups rows into documents, validates
them all and upserts them in one transaction; `writing` produces templates, exports and error copies; `admin` hooks
the whole thing into django-import-export's import/export pages.
"""
