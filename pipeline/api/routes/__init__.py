"""The API's routes, one module per resource: health, traces, submissions, leads, admin."""
