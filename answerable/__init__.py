"""Answerable: a help desk where every customer gets an answer and every promise is kept."""
