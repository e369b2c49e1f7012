"""The field rules WDT applies to each call's business data, as the vendor's pages give them.

Each check raises `Refusal` with a Chinese message naming the field; the views turn it into the gateway's
answer. Lengths count characters, decimals are decimal(19,4) (at most 15 integer digits and 4 decimals),
given as a string or a JSON number.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

DETAIL_LIST_NOT_LIST = "请求的detail_list参数不是二维数组"
MAX_PENDING_NUMBERS = 500
# The enterprise gateway's code for the sandbox's refusals. Assumption: the vendor pages give no list of codes.
REFUSAL_CODE = "9"
_DECIMAL_LIMIT = Decimal(10) ** 15
_FOUR_PLACES = Decimal("0.0001")


class Refusal(Exception):
    """The gateway refuses the request with `message` (and, on the enterprise gateway, `code`)."""

    def __init__(self, message: str, code: str = REFUSAL_CODE):
        self.message = message
        self.code = code
        super().__init__(message)


# (field, kind, max length or None, required). Kinds: str, decimal, bool, invoice_type, check01.
Rule = tuple[str, str, int | None, bool]

OUTBOUND_ORDER: list[Rule] = [
    ("return_no", "str", 40, True),
    ("outer_no", "str", 40, True),
    ("logistics_code", "str", 20, False),
    ("logistics_no", "str", 40, False),
    ("post_cost", "decimal", None, False),
    ("remark", "str", 255, False),
    ("is_check", "check01", None, False),
]
OUTBOUND_LINE: list[Rule] = [
    ("spec_no", "str", 40, True),
    ("num", "positive_decimal", None, True),
    ("price", "decimal", None, False),
    ("position_no", "str", 20, False),
    ("batch_no", "str", 20, False),
    ("remark", "str", 255, False),
]
SETTLE_ORDER: list[Rule] = [
    ("return_no", "str", 40, True),
    ("logistics_company_no", "str", 20, False),
    ("logistics_no", "str", 100, False),
    ("invoice_type", "invoice_type", None, False),
    ("invoice_no", "str", 100, False),
    ("post_fee", "decimal", None, False),
    ("other_fee", "decimal", None, False),
    ("remark", "str", 255, False),
    ("is_check", "bool", None, False),
    ("fuzzy_query", "bool", None, False),
]
SETTLE_LINE: list[Rule] = [
    ("spec_no", "str", 40, True),
    ("settle_num", "positive_decimal", None, True),
    ("price", "decimal", None, False),
    ("tax_rate", "decimal", None, False),
    ("remark", "str", 255, False),
    ("batch_no", "str", 40, False),
    ("expire_date", "str", 40, False),
]


def parse_decimal(value: Any) -> Decimal | None:
    """A decimal(19,4) from a string or JSON number, or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= _DECIMAL_LIMIT or number != number.quantize(_FOUR_PLACES):
        return None
    return number


def parse_flag(value: Any) -> bool | None:
    """true/false, 1/0, "1"/"0", "true"/"false"; None when it is none of these."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
        return value.strip().lower() in ("1", "true")
    return None


def _check_field(obj: dict, rule: Rule, where: str) -> None:
    name, kind, max_length, required = rule
    value = obj.get(name)
    if value is None or value == "":
        if required:
            raise Refusal(f"{where}字段{name}不能为空")
        return
    if kind == "str":
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise Refusal(f"{where}字段{name}必须是字符串")
        if max_length is not None and len(str(value)) > max_length:
            raise Refusal(f"{where}字段{name}超过最大长度{max_length}个字符")
    elif kind in ("decimal", "positive_decimal"):
        number = parse_decimal(value)
        if number is None:
            raise Refusal(f"{where}字段{name}不是合法的数值，最多15位整数和4位小数")
        if kind == "positive_decimal" and number <= 0:
            raise Refusal(f"{where}字段{name}必须大于0")
    elif kind == "bool":
        if parse_flag(value) is None:
            raise Refusal(f"{where}字段{name}只能是true或false")
    elif kind == "check01":
        if parse_flag(value) is None:
            raise Refusal(f"{where}字段{name}只能是0或1")
    elif kind == "invoice_type":
        try:
            number = int(str(value).strip())
        except ValueError:
            number = -1
        if isinstance(value, bool) or not 0 <= number <= 4:
            raise Refusal(f"{where}字段{name}只能是0到4")


def check_document(order: Any, order_rules: list[Rule], lines: Any, line_rules: list[Rule]) -> None:
    """Check an order and its `detail_list` against the rules; raise `Refusal` at the first problem."""
    if not isinstance(order, dict):
        raise Refusal("单据信息必须是JSON对象")
    for rule in order_rules:
        _check_field(order, rule, "")
    if not isinstance(lines, list) or not lines or not all(isinstance(line, dict) for line in lines):
        raise Refusal(DETAIL_LIST_NOT_LIST)
    for index, line in enumerate(lines, start=1):
        for rule in line_rules:
            _check_field(line, rule, f"detail_list第{index}行")


def check_pending_numbers(numbers: Any) -> list[str]:
    """The return numbers of one `pending` request: a list of at most 500 non-empty strings."""
    if not isinstance(numbers, list) or not numbers:
        raise Refusal("采购退货单号列表不能为空，且必须是数组")
    if len(numbers) > MAX_PENDING_NUMBERS:
        raise Refusal(f"一次请求退货单数量不可大于{MAX_PENDING_NUMBERS}")
    if not all(isinstance(n, str) and n.strip() for n in numbers):
        raise Refusal("采购退货单号必须是非空字符串")
    return numbers
