"""Admin lists built for a million rows: a page's cost depends on the page, not on the table.

Shared by every big list (returns, settlements, the call log, jobs and their items): counts that are exact only
where cheap (paginator.py), deep pages and sorts served by indexes (changelist.py), searches that look numbers up
in their indexes and contains-search through trigram indexes (search.py, trigram.py), and the admin mixin that puts
them together (admin.py). Knows nothing of documents or WDT; any app may use it.
"""
