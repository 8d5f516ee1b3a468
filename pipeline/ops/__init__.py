"""What operators run against a live pipeline: consumer lag (`lag/`), worker metrics (`metrics/`), the dashboard."""
