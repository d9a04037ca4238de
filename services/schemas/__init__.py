"""Request and response bodies, per resource."""
