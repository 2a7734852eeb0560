"""Suara intake: the door every complaint comes in through."""
