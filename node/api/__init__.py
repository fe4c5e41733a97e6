"""The Mastodon-compatible client API and OAuth 2, on the same service layer as the web pages."""
