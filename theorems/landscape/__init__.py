"""The asymptotic max-margin landscape (Sec. 3, App. D.1-D.2): T3.1, T3.2, S3.2, L-D.2, L-D.3, L-D.7."""
