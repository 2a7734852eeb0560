"""Intake's domain: what a valid complaint is. Imports no infrastructure."""
