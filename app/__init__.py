"""Parcours: field case-tracking for harm-reduction outreach."""
