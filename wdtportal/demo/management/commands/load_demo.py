"""`manage.py load_demo`: demo logins and demo data, for `make demo`. Safe to run again."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USERS = [
    # (username, password, group, is_superuser)
    ("admin", "admin-demo-2026", None, True),
    ("clerk", "clerk-demo-2026", "财务专员", False),
    ("supervisor", "supervisor-demo-2026", "财务主管", False),
]


def _sandbox_view_permissions() -> list:
    from django.contrib.auth.models import Permission

    return list(Permission.objects.filter(content_type__app_label="wdt_sandbox", codename__startswith="view_")
                .exclude(codename="view_faultsettings"))


class Command(BaseCommand):
    help = "Create the demo logins and load the demo data (idempotent)."

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        lines = []
        for username, password, group, superuser in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = True
            user.is_superuser = superuser
            user.set_password(password)
            user.save()
            if group:
                from django.contrib.auth.models import Group

                user.groups.set([Group.objects.get(name=group)])
                # In the demo the sandbox stands for WDT: "check in WDT first" means looking at it in the admin.
                # Given to the demo's people only; the groups stay what a company's are.
                user.user_permissions.add(*_sandbox_view_permissions())
            lines.append(f"  {username} / {password}" + (f"  ({group})" if group else "  (超级管理员)"))
        self.stdout.write("演示账号 / demo logins:\n" + "\n".join(lines))

        from wdtportal.wdt.sandbox.state import seed_demo_set

        self.stdout.write(f"沙箱演示采购退货单 / sandbox demo returns: {len(seed_demo_set())}")

        from wdtportal.demo.documents import load_demo_documents

        created = load_demo_documents(user=User.objects.filter(username="clerk").first())
        self.stdout.write(f"门户演示采购退货单 / portal demo returns created: {created}")
