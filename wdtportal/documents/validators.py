"""Field rules shared by returns and settlements, with the clerk's message in Chinese."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")
ONE = Decimal("1")

non_negative = MinValueValidator(ZERO, message=_("不能小于0"))
at_most_one = MaxValueValidator(ONE, message=_("不能大于1"))


def positive(value: Decimal) -> None:
    if value is not None and value <= ZERO:
        raise ValidationError(_("必须大于0"), code="not_positive")


# decimal(19,4) as the vendor's pages give it: 15 integer digits, 4 decimals.
DECIMAL_19_4 = {"max_digits": 19, "decimal_places": 4}
