"""Files: atomic writes, checkpoints of a training state, and a run directory's files."""
