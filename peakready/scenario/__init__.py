"""The scenario: its model (``model``), reading a file once with every
problem at once and every path resolved (``load``), and mapping a problem
to its line in the YAML file (``positions``)."""
