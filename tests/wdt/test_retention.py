"""The call log keeps WDT_CALL_LOG_DAYS days: the workers' maintenance deletes older calls, a batch at a time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from wdtportal.jobs.recovery import jobs_maintenance
from wdtportal.wdt import retention
from wdtportal.wdt.models import WdtCall

pytestmark = pytest.mark.django_db


def calls(days_ago: int, n: int = 1) -> None:
    made = WdtCall.objects.bulk_create([WdtCall(gateway="qjb", method="m", outcome="ok") for _ in range(n)])
    WdtCall.objects.filter(pk__in=[c.pk for c in made]).update(created_at=timezone.now() - timedelta(days=days_ago))


def test_the_maintenance_deletes_calls_older_than_the_setting_and_keeps_the_others(settings):
    settings.WDT_CALL_LOG_DAYS = 30
    calls(31, 3)
    calls(29, 2)
    assert jobs_maintenance()["pruned"] == 3
    assert WdtCall.objects.count() == 2


def test_a_backlog_goes_a_bounded_number_of_batches_per_round(settings, monkeypatch):
    monkeypatch.setattr(retention, "PRUNE_BATCH", 4)
    monkeypatch.setattr(retention, "MAX_BATCHES", 2)
    calls(400, 11)
    calls(1)
    assert retention.calls_prune(days=180) == 8  # two batches this round
    assert retention.calls_prune(days=180) == 3  # the rest next round
    assert retention.calls_prune(days=180) == 0
    assert WdtCall.objects.count() == 1


def test_zero_keeps_every_call(settings):
    settings.WDT_CALL_LOG_DAYS = 0
    calls(4000)
    assert retention.calls_prune() == 0 and WdtCall.objects.count() == 1
