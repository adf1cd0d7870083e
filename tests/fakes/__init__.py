"""Fakes of the outside services the bot talks to, served on loopback for tests and benchmarks."""
