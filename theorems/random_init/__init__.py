"""Random initialisation and width (Sec. 4.3, App. D.6): T4.5, L-D.10, L-D.11."""
