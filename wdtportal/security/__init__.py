"""The portal on the internet: login lockout (django-axes), sessions that end, two-factor for supervisors
(django-otp) and request bodies refused by their size before they are read. The Content-Security-Policy is
django-csp's middleware, configured in settings.py."""
