"""ActivityPub: actors, signatures, inbox, outbox, delivery, discovery."""
