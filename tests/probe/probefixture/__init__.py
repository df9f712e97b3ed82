"""Code for the probe's tests to watch, and an SSE client to read it live."""
