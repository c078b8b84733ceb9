"""Request body parsers shared by every API.

Its own module, apart from ``cxportal.api``: DRF reads
DEFAULT_PARSER_CLASSES while ``rest_framework.views`` is being imported,
so the parser must not import that module itself.
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, with nesting deeper than Python can decode refused as a 400.

    ``json.loads`` raises ``RecursionError`` (not the ``ValueError`` DRF
    turns into a 400) for a body such as ``[[[[...]]]]`` a few thousand
    levels deep.
    """

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON body is nested too deeply.")) from None
