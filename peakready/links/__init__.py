"""Campaign links: their section of the scenario (config), the set of links
to check (the campaigns plus a links CSV) and GA4's default channel
rules."""
