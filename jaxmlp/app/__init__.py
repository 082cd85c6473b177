"""The application: a run's configuration, the command line, and runs kept in a directory."""
