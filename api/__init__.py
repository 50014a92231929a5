"""The HTTP layer: the FastAPI app, its routers, and the command line."""
