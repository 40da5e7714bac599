"""Beyond the paper: ncdepth's own findings (X-PD)."""
