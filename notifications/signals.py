"""What the notifications app tells others about, without knowing who listens."""

from django.dispatch import Signal

# Sent when webhook destinations are switched on or off by an update() (which
# sends no post_save): routing keeps the subscriptions in its per-process set-up.
destinations_changed = Signal()
