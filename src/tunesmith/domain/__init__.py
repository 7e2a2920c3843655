"""Canonical spec models, validation rules and the friendly snake_case form."""
