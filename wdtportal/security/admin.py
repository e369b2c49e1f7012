"""The libraries' admin pages (users and groups, django-axes' login attempts, django-otp's devices, the task queue),
registered again so that they follow the portal's rules: a list accepts only the filters it shows
(wdtportal/admin_lookups.py), and django-otp's search hint, which it writes once in the language active at
start-up, follows the page's language. (This app comes last in INSTALLED_APPS: their admins are registered by then.)

For the superuser: 登录失败记录 (access attempts) lists the failures per username + address; a row at the limit is a
lockout, and deleting it unlocks at once. The devices pages reset a supervisor's two-factor (delete their TOTP and
static devices: the next login enrols again); keys and recovery codes are never shown (OTP_ADMIN_HIDE_SENSITIVE_DATA).
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from wdtportal.admin_lookups import OfferedLookupsOnly

DEVICE_SEARCH_HELP = _("按用户名或电子邮件地址搜索")

for model, library_admin, extra in (
    (User, UserAdmin, {}),
    (Group, GroupAdmin, {}),
    (AccessAttempt, AccessAttemptAdmin, {}),
    (AccessLog, AccessLogAdmin, {}),
    (AccessFailureLog, AccessFailureLogAdmin, {}),
    (TOTPDevice, TOTPDeviceAdmin, {"search_help_text": DEVICE_SEARCH_HELP}),
    (StaticDevice, StaticDeviceAdmin, {"search_help_text": DEVICE_SEARCH_HELP}),
    (DBTaskResult, DBTaskResultAdmin, {}),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(f"Portal{library_admin.__name__}", (OfferedLookupsOnly, library_admin),
                                    {"__module__": __name__, **extra}))
