"""``{% promised_first_response as promise %}``: the first-response promise
and whether it counts business hours, for the thanks page and the
acknowledgement email (their views pass only the hours)."""

from django import template

from routing.selectors import Promise, promised_first_response

register = template.Library()


@register.simple_tag(name="promised_first_response")
def promised_first_response_tag() -> Promise | None:
    return promised_first_response()
