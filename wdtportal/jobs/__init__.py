"""Background jobs: sending many documents to WDT through workers of Django's Tasks API, with live progress."""
