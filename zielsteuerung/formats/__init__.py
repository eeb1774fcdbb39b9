"""Date and time formats that differ from Django's for a language of the interface (settings.FORMAT_MODULE_PATH)."""
