"""The results API (FastAPI): agency accounts read their traces, leads and duplicates, and submit seizures."""
