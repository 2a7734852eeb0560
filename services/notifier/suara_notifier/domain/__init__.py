"""The notifier domain: who to alert and what the alert says. Imports no infrastructure."""
