"""The service layer: every local action, shared by the web pages, the client API and the CLI."""
