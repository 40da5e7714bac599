"""The Hadamard core (Sec. 4, App. C, D.3): L-D.4, L-D.5, L-D.6, P-C.1, T4.2."""
