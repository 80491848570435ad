"""The subcommands' bodies, one module per family. peakready.cli parses the
arguments and imports only the module of the command that runs, so
``peakready --help`` and ``peakready email`` never load Locust, matplotlib or
every check."""
