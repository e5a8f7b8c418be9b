"""Privacy backend: everything deployed besides app.py lives here."""
