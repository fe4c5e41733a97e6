"""The SQLite layer: the only place in Meent that speaks SQL."""
