"""Intake's adapters: catalogue files, the reporter-contact store, the timeline read model."""
