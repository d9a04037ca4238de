"""The domain layer: Vigil's operations, shared by the API, the console and the CLI.

One module per feature, keyword-only functions with a one-line docstring.
Routes parse, authorise and forward here; nothing in this room imports `api/`.
Refusals are `services.errors.VigilError`, which the API renders as its one
error shape.
"""
