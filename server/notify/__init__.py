"""Notifications: outbox, dispatcher, inbox, announcements, live subscriptions and Web Push."""
