"""What a load is and how it is measured: the load and SLO sections of the
scenario, the recorder and its histograms, the LoadResult, SLO evaluation,
and the safety rails (allowed hosts, rate cap)."""
