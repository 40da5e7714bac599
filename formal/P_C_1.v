(* P-C.1 (App. C): the minimal Hadamard rank of a strictly separating logit matrix, for
   every m (K = 2^m) and every ordered field R.  For lambda >= 0 on the modes, with support
   S = {k : lambda_k > 0}, Zbar = H diag(lambda) H has strict margins
   (Zbar[c,c] > Zbar[i,c] for all i <> c)
     iff every non-zero index d has <d, k> odd for some k in S
     iff the bit vectors of S span F_2^m (the |S| x m matrix of their bits has full
         column rank over F_2 = 'F_2);
   hence |S| >= m, and the support {1, 2, 4, ..., K/2} attains m. *)
From mathcomp Require Import all_ssreflect all_algebra.
From NCdepth Require Import Hadamard L_D_6 L_D_5 L_D_4.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory Num.Theory.
Open Scope ring_scope.

Definition zbar (R : ringType) m (lam : 'rV[R]_(2 ^ m)) : 'M[R]_(2 ^ m) :=
  Hm R m *m diag_mx lam *m Hm R m.

Definition strict_margins (R : numDomainType) n (Z : 'M[R]_n) : Prop :=
  forall c i : 'I_n, i != c -> Z i c < Z c c.

Definition support (R : numDomainType) m (lam : 'rV[R]_(2 ^ m)) : {set 'I_(2 ^ m)} :=
  [set k | 0 < lam 0 k].

(* The bit vector of an index, in F_2^m, and the matrix whose rows are the bit vectors of S. *)
Definition vec m (i : nat) : 'rV['F_2]_m := \row_(t < m) (bit i t)%:R.

Definition bits_matrix m (S : {set 'I_(2 ^ m)}) : 'M['F_2]_(#|S|, m) :=
  \matrix_(s, t) (bit (enum_val (A := mem S) s) t)%:R.

(* "S spans F_2^m": the row space of its bit vectors is everything (full column rank). *)
Definition spans m (S : {set 'I_(2 ^ m)}) : bool := row_full (bits_matrix S).

(* ------------------------------------------------------------------ margins *)

Lemma zbarE (R : comRingType) m (lam : 'rV[R]_(2 ^ m)) i c :
  zbar lam i c = \sum_k lam 0 k * Hm R m (xo i c) k.
Proof.
rewrite !mxE; apply: eq_bigr => k _.
by rewrite mul_mx_diag mxE mulrAC mulrC -Hm_prod mulrA.
Qed.

Lemma Hm_row0 (R : ringType) m (z k : 'I_(2 ^ m)) : (z : nat) = 0%N -> Hm R m z k = 1.
Proof.
move=> z0; rewrite HmE z0 sylvester_entry ?expn_gt0 //.
by rewrite /dot big1 // => t _; rewrite bit0n.
Qed.

Lemma margin (R : comRingType) m (lam : 'rV[R]_(2 ^ m)) i c :
  zbar lam c c - zbar lam i c = \sum_(k : 'I_(2 ^ m) | dot m (xo i c) k) 2%:R * lam 0 k.
Proof.
rewrite !zbarE -sumrB [RHS]big_mkcond /=; apply: eq_bigr => k _.
rewrite Hm_row0 /=; last by apply/eqP; rewrite xorn_eq0.
rewrite HmE sylvester_entry // mulr1 -{1}[lam 0 k]mulr1 -mulrBr.
by case: (dot _ _ _); rewrite ?expr1 ?expr0 ?opprK ?subrr ?mulr0 // mulrC -mulr2n mulr_natl.
Qed.

Lemma sum_pos (R : numDomainType) n (P : pred 'I_n) (F : 'I_n -> R) :
  (forall k, 0 <= F k) -> (0 < \sum_(k | P k) F k) = [exists k, P k && (0 < F k)].
Proof.
move=> F0; apply/idP/idP => [pos|/existsP [k /andP [Pk Fk]]].
  apply: contraTT pos; rewrite negb_exists => /forallP none.
  rewrite big1 ?Order.POrderTheory.ltxx // => k Pk; have := none k; rewrite Pk /= => nk.
  by have := F0 k; rewrite le0r (negbTE nk) orbF => /eqP.
rewrite (bigD1 k) //=; apply: ltr_paddr Fk.
by apply: sumr_ge0 => j _; apply: F0.
Qed.

Lemma xo_eq0 m (i c : 'I_(2 ^ m)) : ((xo i c : nat) == 0%N) = (i == c).
Proof. by rewrite /= xorn_eq0. Qed.

Theorem margins_iff_odd (R : numDomainType) (m : nat) (lam : 'rV[R]_(2 ^ m)) :
  (forall k, 0 <= lam 0 k) ->
  strict_margins (zbar lam) <->
  (forall d : 'I_(2 ^ m), (d : nat) != 0%N -> exists2 k, k \in support lam & dot m d k).
Proof.
move=> l0.
have key i c : (zbar lam i c < zbar lam c c) = [exists k : 'I_(2 ^ m), dot m (xo i c) k && (0 < lam 0 k)].
  rewrite -subr_gt0 margin sum_pos => [|k]; last by rewrite mulr_ge0 ?ler0n.
  apply/existsP/existsP => [[k /andP [dk pk]]|[k /andP [dk pk]]]; exists k; rewrite dk /=.
    by rewrite pmulr_rgt0 ?ltr0n in pk.
  by rewrite pmulr_rgt0 ?ltr0n.
split => [sm d d0|odd c i ic].
  have z0 : (0 < 2 ^ m)%N by rewrite expn_gt0.
  pose z : 'I_(2 ^ m) := Ordinal z0.
  have dz : d != z by apply: contra d0 => /eqP ->.
  have := sm z d dz; rewrite key.
  have -> : xo d z = d by apply: xo0.
  by move=> /existsP [k /andP [dk pk]]; exists k => //; rewrite inE.
have nz : (xo i c : nat) != 0%N by rewrite xo_eq0.
rewrite key; have [k kS dk] := odd _ nz.
by apply/existsP; exists k; rewrite dk; rewrite inE in kS.
Qed.

(* ------------------------------------------------------------------ F_2 *)

Lemma F2_nat (n : nat) : (n%:R : 'F_2) = (odd n)%:R.
Proof. by rewrite -(Fp_nat_mod (isT : prime 2)) modn2; case: (odd n). Qed.

Lemma F2_cases (x : 'F_2) : x = (x != 0)%:R.
Proof. by case: x => [[|[|?]] ?] //; apply: val_inj. Qed.

Lemma F2_b (b : bool) : ((b%:R : 'F_2) != 0) = b.
Proof. by case: b; rewrite ?oner_eq0 ?eqxx. Qed.

Lemma vec_mul m (S : {set 'I_(2 ^ m)}) d s :
  (vec m d *m (bits_matrix S)^T) 0 s = (dot m d (enum_val (A := mem S) s))%:R.
Proof.
rewrite mxE (eq_bigr (fun t : 'I_m => ((bit d t && bit (enum_val (A := mem S) s) t) : nat)%:R)) => [|t _].
  by rewrite -natr_sum F2_nat.
by rewrite !mxE -natrM mulnb.
Qed.

Definition num m (v : 'rV['F_2]_m) : nat :=
  \sum_(t < m) [exists u : 'I_m, ((u : nat) == t) && (v ord0 u != 0%R)] * 2 ^ t.

Lemma num_bit m (v : 'rV['F_2]_m) (t : 'I_m) : bit (num v) t = (v 0 t != 0).
Proof.
rewrite /num (bit_sum_pow (fun t => [exists u : 'I_m, ((u : nat) == t) && (v ord0 u != 0%R)])) ltn_ord /=.
apply/existsP/idP => [[u /andP [/eqP ut]]|vt]; last by exists t; rewrite eqxx.
by have -> : u = t by apply: val_inj.
Qed.

Lemma num_lt m (v : 'rV['F_2]_m) : (num v < 2 ^ m)%N.
Proof. exact: (sum_pow_lt (fun t => [exists u : 'I_m, ((u : nat) == t) && (v ord0 u != 0%R)])). Qed.

Lemma vec_num m (v : 'rV['F_2]_m) : vec m (num v) = v.
Proof. by apply/rowP => t; rewrite mxE num_bit -F2_cases. Qed.

Lemma vec_eq0 m d : (d < 2 ^ m)%N -> (vec m d == 0) = (d == 0%N).
Proof.
move=> ld; apply/eqP/eqP => [v0|->]; last by apply/rowP => t; rewrite !mxE bit0n.
apply: (bit_eq ld (expn_gt0 2 m)) => t lt; rewrite bit0n.
have := congr1 (fun v : 'rV['F_2]_m => v 0 (Ordinal lt)) v0; rewrite !mxE /= => e.
by move: (F2_b (bit d t)); rewrite e eqxx.
Qed.

Theorem odd_iff_span (m : nat) (S : {set 'I_(2 ^ m)}) :
  (forall d : 'I_(2 ^ m), (d : nat) != 0%N -> exists2 k, k \in S & dot m d k) <-> spans S.
Proof.
have rf : spans S = row_free (bits_matrix S)^T by rewrite /spans /row_full /row_free mxrank_tr.
rewrite rf; split => [H|fr d d0].
  rewrite -kermx_eq0; apply/eqP/row_matrixP => i; rewrite row0.
  set v := row i (kermx (bits_matrix S)^T).
  have vA : v *m (bits_matrix S)^T = 0 by rewrite /v -row_mul mulmx_ker row0.
  rewrite -(vec_num v); apply/eqP; rewrite vec_eq0 ?num_lt //; apply/negPn/negP => n0.
  have [k kS dk] := H (Ordinal (num_lt v)) n0.
  have := congr1 (fun w : 'rV_#|S| => w 0 (enum_rank_in kS k)) vA.
  by rewrite -{1}(vec_num v) vec_mul enum_rankK_in // dk mxE /= => /eqP; rewrite oner_eq0.
have v0 : vec m d != 0 by rewrite vec_eq0.
have nz : vec m d *m (bits_matrix S)^T != 0 by rewrite mulmx_free_eq0.
have [s ns] : exists s, (vec m d *m (bits_matrix S)^T) 0 s != 0.
  apply/existsP; apply: contraR nz; rewrite negb_exists => /forallP all0.
  by apply/eqP/rowP => s; rewrite [RHS]mxE; have := all0 s; rewrite negbK => /eqP.
exists (enum_val (A := mem S) s); first exact: enum_valP.
by move: ns; rewrite vec_mul F2_b.
Qed.

(* The two equivalences together: strict margins iff the support spans F_2^m. *)
Theorem margins_iff_span (R : numDomainType) (m : nat) (lam : 'rV[R]_(2 ^ m)) :
  (forall k, 0 <= lam 0 k) -> strict_margins (zbar lam) <-> spans (support lam).
Proof. by move=> l0; rewrite margins_iff_odd // odd_iff_span. Qed.

(* Hence every strictly separating lambda >= 0 has at least m = log2 K modes. *)
Theorem min_support (R : numDomainType) (m : nat) (lam : 'rV[R]_(2 ^ m)) :
  (forall k, 0 <= lam 0 k) -> strict_margins (zbar lam) -> (m <= #|support lam|)%N.
Proof.
move=> l0 /(margins_iff_span l0); rewrite /spans /row_full => rk.
by apply: leq_trans (rank_leq_row (bits_matrix (support lam))); rewrite (eqP rk).
Qed.

Lemma bit_pow2 t s : bit (2 ^ t) s = (s == t).
Proof.
rewrite /bit; case: (ltngtP s t) => [st|ts|->]; last by rewrite divnn expn_gt0.
  by rewrite -expnB ?(ltnW st) // oddX subn_eq0 leqNgt st.
by rewrite divn_small // ltn_exp2l.
Qed.

Lemma dot_pow2 m d (t : 'I_m) : dot m d (2 ^ t) = bit d t.
Proof.
rewrite /dot (bigD1 t) //= bit_pow2 eqxx andbT big1 ?addn0 ?oddb // => s st.
by rewrite bit_pow2 (negbTE (st : (s : nat) != t)) andbF.
Qed.

Definition pw m (t : 'I_m) : 'I_(2 ^ m) := Ordinal (etrans (ltn_exp2l t m (isT : (1 < 2)%N)) (ltn_ord t)).

(* The support {1, 2, 4, ..., K/2}, weight 1 on each. *)
Definition powers m : {set 'I_(2 ^ m)} := [set pw t | t : 'I_m].

Definition lam_powers (R : numDomainType) m : 'rV[R]_(2 ^ m) := \row_k (if k \in powers m then 1 else 0).

Theorem canonical_support (R : numDomainType) (m : nat) :
  strict_margins (zbar (lam_powers R m)) /\ #|support (lam_powers R m)| = m.
Proof.
have supp : support (lam_powers R m) = powers m.
  by apply/setP => k; rewrite !inE mxE; case: (k \in powers m); rewrite ?ltr01 ?Order.POrderTheory.ltxx.
have l0 k : 0 <= (lam_powers R m) 0 k by rewrite mxE; case: (k \in powers m); rewrite ?ler01 ?lexx.
split; last first.
  rewrite supp card_imset ?card_ord // => t u /(congr1 val) /= /eqP.
  by rewrite eqn_exp2l // => /eqP /val_inj.
apply/(margins_iff_odd l0) => d d0; rewrite supp.
have [t dt] : exists t : 'I_m, bit d t.
  apply/existsP; apply: contraR d0; rewrite negb_exists => /forallP none; apply/eqP.
  apply: (bit_eq (ltn_ord d) (expn_gt0 2 m)) => t lt; rewrite bit0n.
  by apply/negbTE; apply: (none (Ordinal lt)).
by exists (pw t); [apply: imset_f | rewrite dot_pow2].
Qed.

(* Control: "S works iff |S| >= m" (cardinality instead of span) is false: at m = 3,
   lambda = 1 on {1, 2, 3} has |S| = 3 but no strict margins (3 = 1 xor 2; d = 4 is
   orthogonal to all of S). *)
Definition one23 (t : 'I_3) : 'I_(2 ^ 3) := @Ordinal (2 ^ 3) t.+1 (leq_trans (ltn_ord t) (isT : (3 <= 7)%N)).

Theorem size_m_not_enough :
  exists (m : nat) (lam : 'rV[rat]_(2 ^ m)),
  [/\ (forall k, 0 <= lam 0 k), #|support lam| = m & ~ strict_margins (zbar lam)].
Proof.
pose S := [set one23 t | t : 'I_3].
pose lam : 'rV[rat]_(2 ^ 3) := \row_k (if k \in S then 1 else 0).
have supp : support lam = S.
  by apply/setP => k; rewrite !inE mxE; case: (k \in S); rewrite ?ltr01 ?Order.POrderTheory.ltxx.
have l0 k : 0 <= lam 0 k by rewrite mxE; case: (k \in S); rewrite ?ler01 ?lexx.
exists 3%N, lam; split => //.
  by rewrite supp card_imset ?card_ord // => t u /(congr1 val) /= /eqP; rewrite eqSS => /eqP /val_inj.
move/(margins_iff_odd l0) => H.
have [k] := H (Ordinal (isT : (4 < 2 ^ 3)%N)) isT; rewrite supp => /imsetP [t _ ->].
by case: t => [[|[|[|?]]] ?] //; rewrite /dot !big_ord_recr big_ord0 /=; vm_compute.
Qed.
