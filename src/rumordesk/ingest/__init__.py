"""Monitoring and ingestion: event contract, pipeline, spread counters, early warning, sweeps."""
