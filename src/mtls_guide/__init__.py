"""Shared machinery of the guide: pinned files, the block collector, and the checkers."""
