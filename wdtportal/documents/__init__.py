"""The documents core: what every document the portal sends has, whatever its kind.

    admin / command / job ──► document app service (returns/services.py, settlements/services.py)
                                 │ validate: services.document_validate ── states.ALLOWED, transitions.move
                                 │ send:     sending.claim ─► WDT client (wdtportal/wdt) ─► sending.finish
                                 ▼                                                  │
                         document row (models.TrackedDocument)  ◄──────────────────┘ results.SendResult
                         + its history (models.StateChange)       the call log sits beside the client

- models.py: the abstract tracked document, state history, import batches and uploads;
- states.py: the states and the allowed moves; transitions.py: `move` / `move_many`, the only way a state changes;
- sending.py: claim / finish, the two transactions around every call to WDT; results.py: what a call did;
- services.py: validate and edit any document, the permission check; validators.py: field rules;
- sweep.py: documents stuck in sending become unknown; registry.py: the kinds of document the apps register;
- admin.py: the base admin of a document, its inlines and extra pages; groups.py: who may do what.

It knows no particular kind of document: the document apps register theirs (registry.py) and build on this.
"""
