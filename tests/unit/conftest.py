"""Hypothesis settings for the unit suite: a loaded CI machine is slow, not wrong.

Generation speed and per-example time are not what these tests check, so the too_slow health
check and the per-example deadline are off; everything else Hypothesis checks stays on.
"""

from hypothesis import HealthCheck, settings

settings.register_profile("refund_manager", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("refund_manager")
