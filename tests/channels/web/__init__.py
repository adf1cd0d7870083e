"""Tests of the web chat channel: its parts on their own, and the page, the event stream and
the posts through the real server."""
