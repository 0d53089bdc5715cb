"""Matching engine: finds the library claims a post, comment, query or image repeats."""
