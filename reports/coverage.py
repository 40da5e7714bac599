"""Coverage of the paper: every numbered result, figure and claim-carrying equation, with its claim id.

Built by a line-by-line pass over the paper text (``shared/seeds/002_793681c992127645.txt``): its
numbered definitions, theorems, proposition and lemmas, Figures 1-11, the numbered equations that
state a result (the others are steps inside a proof and are covered by that proof's claim), and
the unnumbered statements of the text that the registry checks (balancedness, saddles, norm
propagation).  Rows for registry claims that are not a paper item (E-ODE, X-PD, X-OPEN, X-SC) close the table.

``coverage_rows()`` returns one dict per row: ``paper_item``, ``kind`` (definition, theorem, lemma,
proposition, figure, equation, statement, experiment, beyond), ``section``, ``claim_id`` (a registry
id, or None) and ``why_not`` (why an item has no claim).  ``tests/test_coverage.py`` checks that
every id named exists in the registry and that every registry claim appears here.
"""

from __future__ import annotations

__all__ = ["coverage_rows", "ROWS"]

# (paper item, kind, section, claim id or None, why not)
ROWS: tuple[tuple[str, str, str, str | None, str], ...] = (
    # Section 2
    ("Eq. (1): deep UFM cross-entropy loss", "equation", "Sec. 2", None,
     "the model itself (numerics.deep_ufm, torch_check.trainer); every claim uses it and tests/test_torch_check.py "
     "compares the loss with torch's cross_entropy"),
    ("Definition 2.1 (DNC in the deep UFM)", "definition", "Sec. 2", "D-B.1", ""),
    ("Eq. (2): balancedness relations", "equation", "Sec. 2", "S2-BAL", ""),
    ("Sec. 2: W_{l+1}ᵀW_{l+1} - W_l W_lᵀ conserved by gradient flow (Ji & Telgarsky 2019)", "statement", "Sec. 2",
     "S2-BAL", ""),
    ("Sec. 2: for L = 1 every critical point but NC is a saddle (Ji et al. 2022)", "statement", "Sec. 2",
     "L1-SADDLE", ""),
    ("Sec. 2: for L = 1 the KL divergence to NC decreases (Garrod et al. 2025)", "statement", "Sec. 2, Sec. 4.2",
     "T4.3", ""),
    # Section 3
    ("Eq. (3): the max-margin problem (P_L)", "equation", "Sec. 3.1", "L-D.1", ""),
    ("Theorem 3.1", "theorem", "Sec. 3.1", "T3.1", ""),
    ("Eq. (4): norm decomposition of the logits", "equation", "Sec. 3.2", "S3.2", ""),
    ("Sec. 3.2: DNC vs rank-r logit norms at unit factor norms", "statement", "Sec. 3.2", "S3.2", ""),
    ("Sec. 3.2: loss decreases and each ||W_l|| increases once margins are positive (Lyu & Li)", "statement",
     "Sec. 3.2", "L-D.1", ""),
    ("Figure 1: angular vs Euclidean separation", "figure", "Sec. 3.2, App. E.1", "E-1", ""),
    ("Figure 2: effective rank falls with depth", "figure", "Sec. 3.2, App. E.1", "E-2", ""),
    ("Theorem 3.2", "theorem", "Sec. 3.3", "T3.2", ""),
    ("Eq. (5): the K-gon logit structure", "equation", "Sec. 3.3", "T3.2", ""),
    ("Figure 3 (left, middle): rank-2 solutions are regular K-gons", "figure", "Sec. 3.3, App. E.1", "E-3", ""),
    ("Figure 3 (right): depth-L rank-r margins match width-r UFMs", "figure", "Sec. 3.3, App. E.1", "E-3b", ""),
    # Section 4
    ("Definition 4.1 (Sylvester Hadamard matrix)", "definition", "Sec. 4.1", None,
     "a definition: numerics.hadamard builds it by the recursion (tests/test_hadamard.py); its properties are "
     "L-D.5 and L-D.6"),
    ("Theorem 4.2", "theorem", "Sec. 4.1", "T4.2", ""),
    ("Eq. (6): the reduced flow", "equation", "Sec. 4.1", "T4.2", ""),
    ("Theorem 4.3", "theorem", "Sec. 4.2", "T4.3", ""),
    ("Theorem 4.4", "theorem", "Sec. 4.3", "T4.4", ""),
    ("Figure 4: rich-get-richer under Hadamard initialisation", "figure", "Sec. 4.3, App. E.1", "E-4", ""),
    ("Theorem 4.5", "theorem", "Sec. 4.4", "T4.5", ""),
    ("Figure 5 (left): initial logit velocity vs the ETF, by width", "figure", "Sec. 4.4, App. E.1", "T4.5", ""),
    ("Figure 5 (middle): the alignment after tenfold logit growth", "figure", "Sec. 4.4, App. E.1", "E-5b", ""),
    ("Figure 5 (right): effective rank at convergence vs width", "figure", "Sec. 4.4, App. E.1", "E-5", ""),
    # Section 5
    ("Figure 6: real networks (ResNet-20 + ReLU head on MNIST / CIFAR-10)", "figure", "Sec. 5, App. E.1", "E-6", ""),
    # Appendix B
    ("Definition B.1 (deep neural collapse, DNC1-3)", "definition", "App. B", "D-B.1", ""),
    ("App. B: Def. 2.1 implies DNC1-3 (Garrod & Keating 2024a)", "statement", "App. B", "D-B.1", ""),
    ("Eq. (7): the deep UFM loss with a general activation", "equation", "App. B.1", None,
     "the paper sets the activation to the identity throughout (App. B.1); Eq. (1) is the model checked"),
    # Appendix C
    ("Proposition C.1 (minimal Hadamard rank log2 K)", "proposition", "App. C.1", "P-C.1", ""),
    ("Eq. (8)-(9): the support of λ and the span argument", "equation", "App. C.1", "P-C.1", ""),
    # Appendix D
    ("Eq. (10)-(16): the DNC and cross-polytope constructions and values", "equation", "App. D.1", "T3.1", ""),
    ("App. D.1: DNC remains a strict local minimum (Eq. 17-23)", "statement", "App. D.1", "T3.1", ""),
    ("Eq. (24)-(36): the reduction behind Theorem 3.2", "equation", "App. D.2", "T3.2", ""),
    ("Eq. (37)-(42): gradient flow under Hadamard initialisation", "equation", "App. D.3", "T4.2", ""),
    ("Eq. (43)-(52): stability of DNC and the cross-polytope, KL divergence", "equation", "App. D.4", "T4.3", ""),
    ("Eq. (53)-(55): the linearised regime", "equation", "App. D.5", "T4.4", ""),
    ("Eq. (56): the logit velocity", "equation", "App. D.6", "T4.5", ""),
    ("Lemma D.1 (KKT convergence, Lyu & Li 2019)", "lemma", "App. D.7", "L-D.1", ""),
    ("Lemma D.2 (rank one cannot separate K >= 3 classes)", "lemma", "App. D.7", "L-D.2", ""),
    ("Lemma D.3 (cosine sums under a gap constraint)", "lemma", "App. D.7", "L-D.3", ""),
    ("Eq. (57)-(58): the two-cluster configuration of Lemma D.3", "equation", "App. D.7", "L-D.3", ""),
    ("Lemma D.4 (softmax diagonalisation)", "lemma", "App. D.7", "L-D.4", ""),
    ("Lemma D.5 (Hadamard columns under XOR)", "lemma", "App. D.7", "L-D.5", ""),
    ("Lemma D.6 (Hadamard entries as (-1)^<i,j>)", "lemma", "App. D.7", "L-D.6", ""),
    ("Lemma D.7 (Schatten quasi-norm identity)", "lemma", "App. D.7", "L-D.7", ""),
    ("Eq. (59): the Schatten quasi-norm", "equation", "App. D.7", "L-D.7", ""),
    ("Lemma D.8 (the alternating form)", "lemma", "App. D.7", "L-D.8", ""),
    ("Lemma D.9 (first-order expansion around the cross-polytope direction)", "lemma", "App. D.7", "L-D.9", ""),
    ("Lemma D.10 (Gram matrices under a random Gaussian layer)", "lemma", "App. D.7", "L-D.10", ""),
    ("Lemma D.11 (Gram matrices of random products)", "lemma", "App. D.7", "L-D.11", ""),
    # Appendix E
    ("Eq. (60): effective rank", "equation", "App. E.1", "E-2", ""),
    ("Eq. (61): distance of the logit velocity to the ETF", "equation", "App. E.1", "T4.5", ""),
    ("Figure 7: DNC has the larger margin, yet GD often converges to low rank", "figure", "App. E.2", "E-7", ""),
    ("Figure 8: a K-gon circle solution with permuted classes", "figure", "App. E.2", "E-3", ""),
    ("Figure 9 (left): Hadamard effective rank falls with depth towards log2 K", "figure", "App. E.3", "E-9", ""),
    ("Figure 9 (right): Hadamard effective rank rises with the initial scale", "figure", "App. E.3", "E-9", ""),
    ("Figure 10: the alternating start drives KL up, towards the cross-polytope", "figure", "App. E.3", "E-10", ""),
    ("Figure 11: small random starts behave like Hadamard ones", "figure", "App. E.4", "E-11", ""),
    # not paper items: ncdepth's own claims
    ("Full-model gradient descent tracks the reduced ODE of Eq. (6)", "experiment", "Sec. 4.1 (ncdepth)", "E-ODE", ""),
    ("Phase diagram of (P_L) for small K", "beyond", "beyond the paper", "X-PD", ""),
    ("Rank-r optima of (P_L) against width-r softmax codes (Sec. 3.3's higher-rank remark)", "beyond", "Sec. 3.3 (ncdepth)", "X-SC", ""),
    ("Open cases of T3.1: K = 3 proved; (4, 2), (5, 2) certified gap", "beyond", "beyond the paper", "X-OPEN", ""),
)


def coverage_rows() -> list[dict]:
    return [{"paper_item": item, "kind": kind, "section": section, "claim_id": cid, "why_not": why or None}
            for item, kind, section, cid, why in ROWS]
