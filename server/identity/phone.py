"""Vietnamese mobile numbers in one form, whatever way people type them."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType


class InvalidPhone(ValueError):
    pass


_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_phone(raw: str) -> str:
    """0912345678, 84912345678, +84 91 234 5678 and 0084912345678 all give 0912345678."""
    text = "".join(ch for ch in raw.strip() if ch not in " .-()")
    if not text or len(text) > 20:
        raise InvalidPhone(raw)
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("84") and len(text) == 11 and text.isdigit():
        text = "+" + text
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException:
        raise InvalidPhone(raw) from None
    if number.country_code != 84 or not phonenumbers.is_valid_number(number):
        raise InvalidPhone(raw)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidPhone(raw)
    return "0" + str(number.national_number)
