"""One run from scenario to report: the checks, the Locust process
(locust), the find-limit staircase run, the Report built from what was
collected (report), and the live progress (console)."""
