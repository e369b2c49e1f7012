"""The sandbox's training mode (WDT_SANDBOX_TRAINING, on in `make demo`): a return it does not know is learnt from
what is pushed, stopped or settled, instead of refused, and shows as learnt in the sandbox's admin. Off, it refuses
(tests/wdt/test_sandbox.py)."""

import pytest

from wdtportal.wdt.sandbox.models import LearntFrom

from .test_sandbox import LINES, PENDING, PUSH, UPLOAD, ent_post, outbound, qjb_post  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def training(wdt_sandbox, settings):
    settings.WDT_SANDBOX_TRAINING = True
    return wdt_sandbox


def lines_of(sandbox, return_no):
    return sorted((line.spec_no, str(line.num), line.batch_no, str(line.price) if line.price is not None else None)
                  for line in sandbox.returns().get(return_no=return_no).lines.all())


def test_a_push_of_a_return_it_does_not_know_teaches_it_the_return_and_its_lines(training):
    info = outbound(return_no="CLERK-001", detail_list=[{"spec_no": "MY-SKU", "num": "2", "price": "29.1"},
                                                        {"spec_no": "MY-SKU2", "num": "1.5", "batch_no": "B9"}])
    assert ent_post(training, info) == {"code": 0, "message": "succeed"}
    learnt = training.returns().get(return_no="CLERK-001")
    assert (learnt.learnt_from, learnt.waiting) == (LearntFrom.OUTBOUND, True)
    assert lines_of(training, "CLERK-001") == [("MY-SKU", "2.0000", "", "29.1000"), ("MY-SKU2", "1.5000", "B9", None)]
    assert training.outbounds().get().return_no == "CLERK-001"


def test_a_stop_learns_the_number_and_a_later_settlement_its_lines(training):
    answer = qjb_post(training, PENDING, [["CLERK-002"]])
    assert answer["data"]["error_info"] == []
    learnt = training.returns().get(return_no="CLERK-002")
    assert (learnt.learnt_from, learnt.waiting) == (LearntFrom.STOP_WAITING, False)
    lines = [{"spec_no": "MY-SKU", "settle_num": "3", "price": "10"}]
    number = qjb_post(training, UPLOAD, [{"return_no": "CLERK-002"}, lines])["data"]["order_no"]
    assert number.startswith("JS")
    assert lines_of(training, "CLERK-002") == [("MY-SKU", "3.0000", "", "10.0000")]


def test_a_settlement_of_an_unknown_return_teaches_it(training):
    lines = [{"spec_no": "MY-SKU", "settle_num": "4"}]
    assert qjb_post(training, UPLOAD, [{"return_no": "CLERK-003"}, lines])["status"] == 0
    assert training.returns().get(return_no="CLERK-003").learnt_from == LearntFrom.SETTLEMENT


def test_a_seeded_return_still_refuses_a_spec_it_does_not_have(training):
    training.seed_return("CR1", LINES)
    answer = ent_post(training, outbound(detail_list=[{"spec_no": "SKU-Z", "num": 1}]))
    assert answer["code"] == "9" and "SKU-Z" in answer["message"]
    assert not training.returns().get(return_no="CR1").learnt


def test_the_sandbox_admin_shows_what_was_learnt(training, admin_client):
    training.seed_return("CR-SEEDED", LINES)
    ent_post(training, outbound(return_no="CLERK-004"))
    page = admin_client.get("/admin/wdt_sandbox/sandboxreturn/").content.decode()
    assert "培训模式学到（推送出库单）" in page and "预置" in page
    learnt_only = admin_client.get("/admin/wdt_sandbox/sandboxreturn/?learnt_from__exact=outbound")
    assert [str(r) for r in learnt_only.context["cl"].result_list] == ["CLERK-004"]


def test_without_training_mode_an_unknown_return_is_refused_and_nothing_is_learnt(wdt_sandbox, settings):
    assert settings.WDT_SANDBOX_TRAINING is False  # the default, and the tests' setting
    assert "采购退货单号不存在" in ent_post(wdt_sandbox, outbound(return_no="CLERK-005"))["message"]
    assert qjb_post(wdt_sandbox, PENDING, [["CLERK-005"]])["data"]["error_info"][0]["order_no"] == "CLERK-005"
    assert not wdt_sandbox.returns().exists()
