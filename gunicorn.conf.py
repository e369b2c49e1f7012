"""gunicorn's settings for `make serve` (passed with -c; gunicorn would also read this file from where it starts).

The access log writes each request's path without its query string (%(U)s, never %(r)s or %(q)s): the flagship
gateway's salt and sign travel in the query string (the sandbox's requests, when it is mounted), and a list's filters
are nobody's business but the person's. gunicorn has no limit on request bodies: the proxy in front has one
(docs/operations.md, Security) and the portal refuses an oversized body unread (wdtportal/security/request_size.py).
"""

accesslog = "-"
# address, time, "METHOD /path HTTP/1.1", status, bytes, milliseconds, user agent
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
# gunicorn's default, stated: no page or action comes near it at 1,000,000 returns (docs/operations.md, Deployment).
timeout = 30
