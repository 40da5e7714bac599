(* S3.2 (Sec. 3.2, after Thm 3.1): the norm identities behind "normalised logits shrink
   exponentially in depth".  Factors F_0 = H, F_1 = W_1, ..., F_L = W_L (square d x d here:
   rectangular factors are padded with zeros, which changes no norm), balanced
   (F_(l+1)^T F_(l+1) = F_l F_l^T), F_0 of unit Frobenius norm with r non-zero singular
   values all equal to s (G = F_0^T F_0 has G G = s^2 G and trace r s^2).  Then
   ||F_L ... F_0||_F^2 = r^(-L); the rank-r / DNC (r' = K - 1) ratio of squared norms is
   ((K-1)/r)^L.  Over any field. *)
From mathcomp Require Import all_ssreflect all_algebra.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory.
Open Scope ring_scope.

(* Squared Frobenius norm. *)
Definition frob2 (R : ringType) m n (M : 'M[R]_(m, n)) : R := \sum_(i < m) \sum_(j < n) M i j ^+ 2.

(* The product F_L *m ... *m F_0. *)
Fixpoint prodF (R : ringType) d (F : nat -> 'M[R]_d) (L : nat) : 'M[R]_d :=
  if L is L'.+1 then F L *m prodF F L' else F 0%N.

Lemma frob2_trace (R : comRingType) m n (M : 'M[R]_(m, n)) : frob2 M = \tr (M^T *m M).
Proof.
rewrite /frob2 /mxtrace exchange_big /=; apply: eq_bigr => j _; rewrite mxE.
by apply: eq_bigr => i _; rewrite !mxE expr2.
Qed.

Lemma gram_pow (R : comRingType) n (A : 'M[R]_n.+1) k :
  A^T *m (A *m A^T) ^+ k *m A = (A^T *m A) ^+ k.+1.
Proof.
elim: k => [|k IH]; first by rewrite expr0 mulmx1 expr1.
by rewrite exprSr [in RHS]exprSr -IH !mulmxE !mulrA.
Qed.

Lemma prod_gram (R : comRingType) d (F : nat -> 'M[R]_d.+1) L k :
  (forall l, (l < L)%N -> (F l.+1)^T *m F l.+1 = F l *m (F l)^T) ->
  (prodF F L)^T *m (F L *m (F L)^T) ^+ k *m prodF F L = ((F 0%N)^T *m F 0%N) ^+ (L + k).+1.
Proof.
elim: L k => [|L IH] k bal; first by rewrite gram_pow.
have bal' : forall l, (l < L)%N -> (F l.+1)^T *m F l.+1 = F l *m (F l)^T.
  by move=> l lL; apply: bal; apply: ltnW.
have gp := gram_pow (F L.+1) k; have IH' := IH k.+1 bal'.
rewrite (bal L) // in gp; rewrite !mulmxE in gp IH' *.
by rewrite /= trmx_mul mulmxE addSnnS -IH' -gp !mulrA.
Qed.

Lemma gram_power (R : comRingType) n (G : 'M[R]_n.+1) (s2 : R) k :
  G *m G = s2 *: G -> G ^+ k.+1 = s2 ^+ k *: G.
Proof.
move=> GG; elim: k => [|k IH]; first by rewrite expr1 expr0 scale1r.
by rewrite exprSr IH -mulmxE -scalemxAl GG scalerA -exprSr.
Qed.

Theorem product_norm (R : comRingType) (d L r : nat) (s2 : R) (F : nat -> 'M[R]_d.+1) :
  (forall l, (l < L)%N -> (F l.+1)^T *m F l.+1 = F l *m (F l)^T) ->
  ((F 0%N)^T *m F 0%N) *m ((F 0%N)^T *m F 0%N) = s2 *: ((F 0%N)^T *m F 0%N) ->
  \tr ((F 0%N)^T *m F 0%N) = r%:R * s2 ->
  frob2 (F 0%N) = 1 ->
  frob2 (prodF F L) * r%:R ^+ L = 1.
Proof.
move=> bal GG trG unit.
have h0 := prod_gram 0 bal; rewrite expr0 mulmx1 addn0 in h0.
rewrite frob2_trace h0 (gram_power _ GG) mxtraceZ.
have : r%:R * s2 = 1 by rewrite -trG -frob2_trace.
rewrite -(frob2_trace (F 0%N)) unit mulr1 => rs.
by rewrite -exprMn mulrC rs expr1n.
Qed.

(* The rank-r structure and DNC (r' = K - 1), both under product_norm's hypotheses:
   the ratio of squared norms is ((K-1)/r)^L. *)
Theorem norm_ratio (R : fieldType) (L r r' : nat) (a b : R) :
  r%:R != 0 :> R -> a * r%:R ^+ L = 1 -> b * r'%:R ^+ L = 1 -> a = b * (r'%:R / r%:R) ^+ L.
Proof.
move=> r0 ha hb; have rL : r%:R ^+ L != 0 :> R by rewrite expf_neq0.
rewrite expr_div_n mulrA hb.
have -> : 1 / r%:R ^+ L = a * r%:R ^+ L / r%:R ^+ L :> R by rewrite ha.
by rewrite mulfK.
Qed.

(* Control: the wrong exponent, ||F_L ... F_0||_F^2 = r^(-(L+1)), is false: d = 4, r = 4,
   s^2 = 1/4, every factor (1/2) I, L = 1 satisfy the hypotheses, and the squared norm is
   r^(-1) = 1/4, not r^(-2). *)
Theorem wrong_exponent_fails :
  exists (d L r : nat) (s2 : rat) (F : nat -> 'M[rat]_d.+1),
  [/\ (forall l, (l < L)%N -> (F l.+1)^T *m F l.+1 = F l *m (F l)^T),
      ((F 0%N)^T *m F 0%N) *m ((F 0%N)^T *m F 0%N) = s2 *: ((F 0%N)^T *m F 0%N),
      \tr ((F 0%N)^T *m F 0%N) = r%:R * s2, frob2 (F 0%N) = 1
    & frob2 (prodF F L) * r%:R ^+ L.+1 != 1].
Proof.
pose F : nat -> 'M[rat]_4 := fun _ => (2^-1)%:M.
have FF : (F 0%N)^T *m F 0%N = (4^-1)%:M by rewrite tr_scalar_mx -scalar_mxM; congr (_%:M); vm_compute.
have tr1 : \tr ((F 0%N)^T *m F 0%N) = 1 by rewrite FF mxtrace_scalar; vm_compute.
have bal : forall l, (l < 1)%N -> (F l.+1)^T *m F l.+1 = F l *m (F l)^T by move=> l _; rewrite tr_scalar_mx.
have GG : ((F 0%N)^T *m F 0%N) *m ((F 0%N)^T *m F 0%N) = 4^-1 *: ((F 0%N)^T *m F 0%N).
  by rewrite FF -scalar_mxM scale_scalar_mx.
have u : frob2 (F 0%N) = 1 by rewrite frob2_trace.
exists 3%N, 1%N, 4%N, 4^-1, F; split; [exact: bal | exact: GG | by rewrite tr1; vm_compute | exact: u | ].
have trr : \tr ((F 0%N)^T *m F 0%N) = 4%:R * 4^-1 by rewrite tr1; vm_compute.
have h := product_norm bal GG trr u.
by rewrite exprS mulrCA h mulr1.
Qed.
