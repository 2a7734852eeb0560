"""The routing domain: the catalogue of rules and the deadline calendar. Imports no infrastructure."""
