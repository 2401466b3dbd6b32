"""What rounds tell the apps that read them, which rounds itself never imports."""

from django.dispatch import Signal

# Sent with round_=the round once its closing is committed, whether a facilitator closed it or
# its closing date passed. The results app listens, to build the round's downloads.
round_closed = Signal()

# Sent with round_=the round, inside the transaction that deletes its answers and comments
# (rounds.retention). The results app listens, to delete its kept copies of them.
answers_deleted = Signal()
