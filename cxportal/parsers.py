"""Request body parsers shared by every API.

Its own module, apart from ``cxportal.api``: DRF reads
DEFAULT_PARSER_CLASSES while ``rest_framework.views`` is being imported,
so the parser must not import that module itself.
"""

import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Half of a UTF-16 pair on its own: JSON may spell one ("\ud800"), UTF-8 cannot encode it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _holds_lone_surrogate(data: Any) -> bool:
    # An explicit stack: the parser has already refused nesting Python cannot recurse into.
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, refusing with a 400 two bodies it would let through to a 500.

    ``json.loads`` raises ``RecursionError`` (not the ``ValueError`` DRF
    turns into a 400) for a body such as ``[[[[...]]]]`` a few thousand
    levels deep. And it accepts an escaped lone surrogate (``"\\ud800"``),
    text no database column, log line or response can encode: a field
    error echoing it (``"\\ud800" is not a valid choice``) failed while
    the response was written.
    """

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON body is nested too deeply.")) from None
        if _holds_lone_surrogate(data):
            raise ParseError(_("The JSON body holds text that is not valid Unicode."))
        return data
