"""Real `manage.py db_worker` processes send again, by themselves, the outbound orders and the stop-waiting that lost
answers and 5xx left unknown: every return ends done without a person, with one order per return in the sandbox.
Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

import pytest
from django.db.models import Count

from returns import job_kinds
from returns.models import PurchaseReturn
from tests.bulk import seed_purchase_returns
from tests.jobs.test_workers import stop, wait_for
from tests.worker import start_worker_process
from wdtportal.documents.models import AutoResend, StateChange
from wdtportal.documents.states import DocumentState as S
from wdtportal.jobs.services import job_start
from wdtportal.wdt.models import WdtCall

pytestmark = pytest.mark.django_db(transaction=True)


def test_workers_send_unknown_outbound_orders_and_stop_waiting_again_until_done(wdt_sandbox, supervisor):
    returns = seed_purchase_returns(20, prefix="CRAR")
    # At most 4 faults for the pushes, 5xx or lost answers at random: more attempts (8) than faults.
    wdt_sandbox.faults(error_rate=0.3, lost_answer_rate=0.3, max_faults=4)
    env = {"WDT_AUTO_RESEND_DELAYS": "1,1,1,1,1,1,1,1", "JOBS_MAINTENANCE_INTERVAL": "0.5", "JOBS_THREADS": "2",
           "JOBS_RUNNERS": "1"}
    worker = start_worker_process(wdt_sandbox.url, "resender", **env)
    try:
        job_start(kind=job_kinds.PUSH_OUTBOUND, documents=returns, user=supervisor)
        wait_for(lambda: PurchaseReturn.objects.filter(outbound_state=S.DONE).count() == 20, 90,
                 "every outbound order done", [worker])
        # The stop-waiting of all 20 is one request: its answer lost (WDT did stop them), then sent again.
        wdt_sandbox.faults(lost_answer_rate=1, max_faults=1)
        job_start(kind=job_kinds.STOP_WAITING, documents=returns, user=supervisor)
        wait_for(lambda: PurchaseReturn.objects.filter(waiting_state=S.DONE).count() == 20, 90,
                 "every return stopped", [worker])
    finally:
        stop([worker])

    orders = dict(wdt_sandbox.outbounds().values_list("return_no").annotate(n=Count("pk")))
    assert len(orders) == 20 and set(orders.values()) == {1}
    assert not wdt_sandbox.returns().filter(waiting=True).exists()
    assert not AutoResend.objects.exists()
    automatic = StateChange.objects.filter(reason__startswith="自动重新发送", user=None)
    pushes = WdtCall.objects.filter(method="purchase_return_order_push.php")
    faults = pushes.exclude(outcome="ok").count()
    assert faults >= 1  # the faults fired, so some pushes were sent again
    assert automatic.filter(field="outbound_state").count() == faults == pushes.count() - 20
    assert automatic.filter(field="waiting_state").count() == 20
    assert list(WdtCall.objects.filter(method="purchase.PurchaseReturn.pending").order_by("id")
                .values_list("outcome", flat=True)) == ["unknown", "ok"]
