"""Dynamics from a Hadamard initialisation (Sec. 4, App. D.4-D.6): T4.3, T4.4, L-D.8, L-D.9."""
