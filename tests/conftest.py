"""Shared test settings."""

import os

import matplotlib
from hypothesis import settings

matplotlib.use("Agg")

# Deterministic examples on CI so a red run can be reproduced; random locally.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=100)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
