"""peakready: will the shop hold the peak, is everything around the traffic right,
and can the launch meeting say GO with evidence."""

__version__ = "0.1.0"
