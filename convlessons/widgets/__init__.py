"""Interactive instruments of the course: one module per widget (model + thin view)."""
