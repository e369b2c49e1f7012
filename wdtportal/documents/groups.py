"""The two groups the portal's people work in, and the permissions each one holds.

财务专员 (clerk) imports, edits, validates and creates settlement drafts. 财务主管 (supervisor) can also send to
WDT and resolve unknown outcomes. Used by a data migration; run again by a later migration when this changes.
"""

from typing import Any

CLERK = "财务专员"
SUPERVISOR = "财务主管"

_DOCUMENTS = ("returns.purchasereturn", "returns.outboundline", "settlements.settlementdraft",
              "settlements.settlementline")

CLERK_PERMISSIONS = [
    *(f"{label.split('.')[0]}.{action}_{label.split('.')[1]}" for label in _DOCUMENTS
      for action in ("view", "add", "change")),
    "returns.delete_outboundline",
    "settlements.delete_settlementline",
    "documents.view_importbatch",
    "documents.add_importbatch",
    "documents.view_statechange",
    "wdt.view_wdtcall",
    "jobs.view_job",
]

SUPERVISOR_PERMISSIONS = [
    *CLERK_PERMISSIONS,
    "returns.delete_purchasereturn",
    "settlements.delete_settlementdraft",
    "returns.send_purchasereturn",
    "returns.resolve_purchasereturn",
    "settlements.send_settlementdraft",
    "settlements.resolve_settlementdraft",
]

GROUPS = {CLERK: CLERK_PERMISSIONS, SUPERVISOR: SUPERVISOR_PERMISSIONS}


def sync_groups(apps: Any) -> None:
    """Create the groups and give each exactly its permissions (`apps`: a migration's app registry, or
    `django.apps.apps`, e.g. after a test flushed the database)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True  # a migration's app configs have none
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            # A model of an app migrated later has no permission yet: that app's own migration syncs again.
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
