"""The deep UFM and its invariants (Sec. 2, App. B): S2-BAL (conserved balancedness), D-B.1 (deep neural collapse)."""
