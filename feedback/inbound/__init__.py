"""Email intake: mailboxes (IMAP, Maildir) and ESP webhooks become cases or customer messages.

``parse`` reads an email, ``services.inbound_email_process`` acts on it once,
``mailboxes`` reads unread mail, ``poll`` ties a mailbox to the service and
``signals`` receives django-anymail's inbound webhooks.
"""
