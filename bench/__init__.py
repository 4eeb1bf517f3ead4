"""Benchmarks of the planning and the bookings (see README.md): scripts, not tests."""
