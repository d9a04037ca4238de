"""The FastAPI service: starts and steers workflows, streams their state. It decides nothing."""
