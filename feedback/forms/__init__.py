"""The customer side's forms; import them from here (``from feedback.forms import FeedbackForm``).

- ``public``: what customers fill in (feedback, messages, the survey, preferences);
- ``staff``: what staff fill in for a customer (a case entered by phone, in a store…).
"""

from .public import (
    ORDER_KINDS,
    ConsentFields,
    CustomerMessageForm,
    FeedbackForm,
    PreferencesForm,
    SurveyForm,
)
from .staff import STAFF_CHANNELS, StaffCaseForm, clean_phone_number, new_entry_key

__all__ = [
    "ORDER_KINDS",
    "STAFF_CHANNELS",
    "ConsentFields",
    "CustomerMessageForm",
    "FeedbackForm",
    "PreferencesForm",
    "StaffCaseForm",
    "SurveyForm",
    "clean_phone_number",
    "new_entry_key",
]
