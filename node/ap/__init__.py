"""ActivityStreams views of our actors, posts and collections, on the URLs that serve HTML."""
