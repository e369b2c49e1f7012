"""The two gateways, speaking only the vendor's protocol (shared/wdt-api/README.md) at the vendor's paths.

Every request is verified as WDT verifies it, with the same signing code the client uses: credentials from the
portal's settings (salt included), the sign, the timestamp window, a known method, and each field. Faults from
`faults.py` come first (latency, 503, rate limit: nothing is executed); a lost answer comes after the commit.
"""

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import signing
from . import faults, state
from .validation import (
    DETAIL_LIST_NOT_LIST,
    OUTBOUND_LINE,
    OUTBOUND_ORDER,
    REFUSAL_CODE,
    SETTLE_LINE,
    SETTLE_ORDER,
    Refusal,
    check_document,
    check_pending_numbers,
)

QJB_WINDOW_S = 120
ENTERPRISE_WINDOW_S = 300
# The vendor's wording of its rate limiter (the client's errors.py recognises it; the sandbox says it on its own).
RATE_LIMITED = "超过每分钟最大调用频率限制，请稍后重试"
SIGN_WRONG = "签名错误"
ENTERPRISE_ENDPOINT = "purchase_return_order_push.php"


def _answer(payload: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})


def _qjb_refusal(message: str) -> JsonResponse:
    return _answer({"status": 100, "message": message})


def _enterprise_refusal(code: str, message: str) -> JsonResponse:
    return _answer({"code": code, "message": message})


def _service_unavailable() -> HttpResponse:
    return HttpResponse("503 Service Unavailable (sandbox fault)", status=503, content_type="text/plain")


def _loads(text: str) -> Any:
    # Numbers stay exact: 0.01 becomes Decimal("0.01"), never a float.
    return json.loads(text, parse_float=Decimal)


# --- flagship: POST /openapi ----------------------------------------------------------------------

def _pending(args: list[Any]) -> Any:
    if len(args) != 1:
        raise Refusal("参数个数错误：需要一个参数（采购退货单号列表）")
    numbers = check_pending_numbers(args[0])
    return {"error_info": state.stop_waiting(numbers), "status": 0}


def _settle_upload(args: list[Any]) -> Any:
    if not args:
        raise Refusal("参数个数错误：需要单据信息和明细信息")
    order = args[0]
    lines = args[1] if len(args) > 1 else None
    if len(args) > 2:
        raise Refusal("参数个数错误：只需要单据信息和明细信息")
    check_document(order, SETTLE_ORDER, lines, SETTLE_LINE)
    return {"order_no": state.create_settlement(order, lines).order_no}


QJB_METHODS: dict[str, Callable[[list[Any]], Any]] = {
    "purchase.PurchaseReturn.pending": _pending,
    "finance.settle.PurchaseReturn.upload": _settle_upload,
}


def _verify_qjb(query: Any, body: str) -> None:
    try:
        secret, salt = signing.split_appsecret(settings.WDT_QJB_APPSECRET)
    except ValueError:
        raise Refusal("沙箱未配置WDT_QJB_APPSECRET（应写作secret:salt）") from None
    for name in ("sid", "key", "salt", "method", "v", "timestamp", "sign"):
        if not query.get(name):
            raise Refusal(f"缺少公共参数{name}")
    if query["sid"] != settings.WDT_QJB_SID:
        raise Refusal("卖家账号sid不存在")
    if query["key"] != settings.WDT_QJB_APPKEY:
        raise Refusal("接口账号key不存在")
    if query["salt"] != salt:
        raise Refusal("salt错误，请检查appsecret冒号后的部分")
    if query["v"] != "1.0":
        raise Refusal(f"版本号v错误：{query['v']}，应为1.0")
    if query["method"] not in QJB_METHODS:
        raise Refusal(f"接口{query['method']}不存在")
    try:
        skew = abs(int(query["timestamp"]) - signing.qjb_timestamp())
    except ValueError:
        raise Refusal("时间戳格式错误") from None
    if skew > QJB_WINDOW_S:
        raise Refusal(f"时间戳超出允许范围（与服务器时间相差{skew}秒，允许{QJB_WINDOW_S}秒）")
    if query["sign"] != signing.qjb_sign({k: query[k] for k in query if k != "sign"}, body, secret):
        raise Refusal(SIGN_WRONG)


@csrf_exempt
@require_POST
def qjb_openapi(request: HttpRequest) -> HttpResponse:
    method = request.GET.get("method", "")
    current = faults.current()
    faults.add_latency(current, method)
    if faults.draw(current, current.error_rate, method):
        return _service_unavailable()
    if faults.draw(current, current.rate_limit_rate, method):
        return _qjb_refusal(RATE_LIMITED)
    try:
        body = request.body.decode("utf-8")
        _verify_qjb(request.GET, body)
        try:
            args = _loads(body)
        except ValueError:
            raise Refusal("请求体不是合法的JSON") from None
        if not isinstance(args, list):
            raise Refusal("请求体必须是参数数组")
        data = QJB_METHODS[method](args)
    except UnicodeDecodeError:
        return _qjb_refusal("请求体不是UTF-8编码")
    except Refusal as refusal:
        return _qjb_refusal(refusal.message)
    if faults.draw(current, current.lost_answer_rate, method):
        faults.lose_answer(request)
    return _answer({"status": 0, "data": data})


# --- enterprise: POST /openapi2/purchase_return_order_push.php -----------------------------------

def _verify_enterprise(form: Any) -> None:
    for name in ("sid", "appkey", "timestamp", "sign"):
        if not form.get(name):
            raise Refusal(f"缺少公共参数{name}")
    if form["sid"] != settings.WDT_ENT_SID:
        raise Refusal("卖家账号sid不存在")
    if form["appkey"] != settings.WDT_ENT_APPKEY:
        raise Refusal("接口账号appkey不存在")
    try:
        skew = abs(int(form["timestamp"]) - signing.enterprise_timestamp())
    except ValueError:
        raise Refusal("时间戳格式错误") from None
    if skew > ENTERPRISE_WINDOW_S:
        raise Refusal(f"时间戳超出允许范围（与服务器时间相差{skew}秒，允许{ENTERPRISE_WINDOW_S}秒）")
    fields = {k: form.get(k) for k in form if k != "sign"}
    if form["sign"] != signing.enterprise_sign(fields, settings.WDT_ENT_APPSECRET):
        raise Refusal(SIGN_WRONG)


@csrf_exempt
@require_POST
def enterprise_purchase_return_order_push(request: HttpRequest) -> HttpResponse:
    current = faults.current()
    faults.add_latency(current, ENTERPRISE_ENDPOINT)
    if faults.draw(current, current.error_rate, ENTERPRISE_ENDPOINT):
        return _service_unavailable()
    if faults.draw(current, current.rate_limit_rate, ENTERPRISE_ENDPOINT):
        # Assumption: the vendor documents its limiter only for the flagship gateway; we answer code "100"
        # with the flagship's message, which the client treats as a rate limit on either gateway.
        return _enterprise_refusal("100", RATE_LIMITED)
    try:
        _verify_enterprise(request.POST)
        raw = request.POST.get("purchase_return_info", "")
        if not raw:
            raise Refusal("缺少业务参数purchase_return_info")
        try:
            info = _loads(raw)
        except ValueError:
            raise Refusal("purchase_return_info不是合法的JSON") from None
        if isinstance(info, dict) and "detail_list" not in info:
            raise Refusal(DETAIL_LIST_NOT_LIST)
        check_document(info, OUTBOUND_ORDER, info.get("detail_list") if isinstance(info, dict) else None,
                       OUTBOUND_LINE)
        state.push_outbound(info)
    except Refusal as refusal:
        return _enterprise_refusal(refusal.code, refusal.message)
    if faults.draw(current, current.lost_answer_rate, ENTERPRISE_ENDPOINT):
        faults.lose_answer(request)
    return _answer({"code": 0, "message": "succeed"})


@csrf_exempt
def enterprise_unknown_endpoint(request: HttpRequest, endpoint: str) -> HttpResponse:
    """Any other path below /openapi2/. Assumption: WDT's answer here is not documented; we refuse in the gateway's
    JSON shape (nothing was done), rather than with an HTML 404 that the client must read as an unknown outcome."""
    return _enterprise_refusal(REFUSAL_CODE, f"接口{endpoint}不存在")
