"""Notifications: an outbox written with the event, delivered by the scheduler to e-mail and webhooks."""
