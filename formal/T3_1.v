(* T3.1's region (Thm 3.1, App. D.1, Eq. 10-16), for every K and L, from the exact forms.

   With p = L + 1, V_CP < V_DNC is (paper, K even)  2^((1-L)/(1+L)) < 1 - 1/K,
   (K odd, plain singleton)  ((K-1)/2) 4^(1/p) + 1 < K - 1,
   (K odd, centred singleton) ((K-1)/2) 4^(1/p) + ((K-1)/K)^(1/p) < K - 1.
   Real powers enter only through the positive p-th roots x = 4^(1/p) (so that
   x/2 = 2^((1-L)/(1+L))) and y = ((K-1)/K)^(1/p): below, x and y are any positive
   elements of an ordered field with x^p = 4 and y^p = (K-1)/K.  The exact integer
   forms are  K^p < 2^(L-1) (K-1)^p  (even) and  (K-1)^p < 2^(L-1) (K-2)^p  (odd plain).
   Proved: both integer forms are equivalent to the paper's inequalities, and all three
   constructions beat DNC exactly for (L = 2, K >= 6) and (L >= 3, K >= 4) (K >= 5 odd),
   never for L = 1.  That V_CP and V_DNC are the values of (P_L) at these constructions
   (Lemma D.7, the Schatten-quasi-norm value) is not part of this file. *)
From Coq Require Import Lia.
From mathcomp Require Import all_ssreflect all_algebra.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory Num.Theory.

Definition cp_even_wins (K L : nat) : bool := (K ^ L.+1 < 2 ^ (L - 1) * (K - 1) ^ L.+1)%N.
Definition cp_odd_plain_wins (K L : nat) : bool := ((K - 1) ^ L.+1 < 2 ^ (L - 1) * (K - 2) ^ L.+1)%N.

Lemma odd_plain_is_even_shift K L : cp_odd_plain_wins K L = cp_even_wins (K - 1) L.
Proof. by rewrite /cp_odd_plain_wins /cp_even_wins -subnDA. Qed.

Lemma form_mono_k k0 k L : (k0 <= k)%N -> cp_even_wins k0 L -> cp_even_wins k L.
Proof.
rewrite /cp_even_wins => le h.
have X0 : (0 < (k0 - 1) ^ L.+1)%N.
  by move: h; case: ((k0 - 1) ^ L.+1) => [|x] //; rewrite muln0 ltn0.
have k01 : (0 < k0 - 1)%N by move: X0; rewrite expn_gt0 orbF.
have k1 : (0 < k - 1)%N by apply: leq_trans k01 (leq_sub2r 1 le).
rewrite -(ltn_pmul2r X0).
apply: (@leq_ltn_trans (k0 ^ L.+1 * (k - 1) ^ L.+1)).
  rewrite -!expnMn leq_exp2r // !mulnBr !muln1 [k0 * k]mulnC.
  exact: leq_sub2l.
by rewrite mulnAC ltn_pmul2r ?expn_gt0 ?k1.
Qed.

Lemma form_mono_L k L : (2 <= k)%N -> (1 <= L)%N -> cp_even_wins k L -> cp_even_wins k L.+1.
Proof.
rewrite /cp_even_wins => k2 L1 h.
have e : (2 ^ (L.+1 - 1) = 2 * 2 ^ (L - 1))%N by rewrite -expnS !subn1 /= prednK.
have kk : (k <= 2 * (k - 1))%N.
  by apply/leP; move/leP: k2; rewrite -?multE -?minusE; lia.
rewrite e expnS [(k - 1) ^ L.+2]expnS.
apply: (@leq_trans (k * (2 ^ (L - 1) * (k - 1) ^ L.+1))).
  by rewrite ltn_pmul2l // (leq_trans _ k2).
by rewrite mulnACA leq_mul2r kk orbT.
Qed.

Lemma form_L1 k : ~~ cp_even_wins k 1.
Proof. by rewrite /cp_even_wins /= mul1n -leqNgt leq_exp2r // leq_subr. Qed.

Theorem even_form_region (k L : nat) : (4 <= k)%N -> (1 <= L)%N ->
  cp_even_wins k L = ((L == 2) && (5 <= k)%N) || (3 <= L)%N.
Proof.
move=> k4 L1; case: L L1 => [|[|[|L]]] // _.
- by rewrite (negbTE (form_L1 k)).
- rewrite ltnn orbF; case: (ltngtP 4 k) k4 => [k5|//|<-] _; last by [].
  by apply: (@form_mono_k 5).
- have -> : (2 < L.+3)%N by []. rewrite orbT; apply: (@form_mono_k 4) => //.
  by elim: L => [//|L IH]; apply: form_mono_L.
Qed.

Theorem cp_even_region (K L : nat) : (4 <= K)%N -> ~~ odd K -> (1 <= L)%N ->
  cp_even_wins K L = ((L == 2) && (6 <= K)%N) || (3 <= L)%N.
Proof.
move=> K4 ev L1; rewrite even_form_region //.
have K5 : K != 5 by apply/eqP => K5; rewrite K5 in ev.
by rewrite [(5 <= K)%N]leq_eqVlt [(5 == K)%N]eq_sym (negbTE K5).
Qed.

Theorem cp_odd_plain_region (K L : nat) : (5 <= K)%N -> odd K -> (1 <= L)%N ->
  cp_odd_plain_wins K L = ((L == 2) && (6 <= K)%N) || (3 <= L)%N.
Proof.
by move=> K5 od L1; rewrite odd_plain_is_even_shift even_form_region ?ltn_subRL.
Qed.

Import Order.POrderTheory Order.TotalTheory.
Open Scope ring_scope.

Lemma real_form (R : realFieldType) (k L : nat) (x : R) : (1 <= L)%N -> 0 < x -> x ^+ L.+1 = 4%:R ->
  (k%:R * x < 2%:R * (k - 1)%:R) = cp_even_wins k L.
Proof.
move=> L1 x0 xp.
rewrite -(ltr_pexpn2r (ltn0Sn L)) ?nnegrE ?mulr_ge0 ?ler0n ?(ltW x0) //.
rewrite !exprMn xp -!natrX -!natrM ltr_nat /cp_even_wins.
have e : (2 ^ L.+1 = 4 * 2 ^ (L - 1))%N.
  by rewrite -[4%N]/(2 ^ 2)%N -expnD addnBA // add2n subn1.
by rewrite e [(k ^ L.+1 * 4)%N]mulnC -mulnA ltn_pmul2l.
Qed.

(* The paper's even threshold 2^((1-L)/(1+L)) < 1 - 1/K, written with x = 4^(1/(L+1))
   (x/2 = 2^((1-L)/(1+L))), is the exact integer form. *)
Theorem even_threshold_exact (R : realFieldType) (K L : nat) (x : R) :
  (1 <= K)%N -> (1 <= L)%N -> 0 < x -> x ^+ L.+1 = 4%:R ->
  (x / 2%:R < 1 - K%:R^-1) = cp_even_wins K L.
Proof.
move=> K1 L1 x0 xp; rewrite -(real_form K L1 x0 xp).
have K0 : 0 < K%:R :> R by rewrite ltr0n.
rewrite ltr_pdivr_mulr ?ltr0n // -(ltr_pmul2l K0 x) [K%:R * ((1 - _) * _)]mulrA.
by rewrite mulrBr mulr1 mulfV ?gt_eqF // natrB // mulr1n [_ * 2%:R]mulrC.
Qed.

(* The paper's odd threshold with the plain singleton, ((K-1)/2) 4^(1/(L+1)) + 1 < K - 1,
   is the exact integer form (K-1)^(L+1) < 2^(L-1) (K-2)^(L+1). *)
Theorem odd_plain_threshold_exact (R : realFieldType) (K L : nat) (x : R) :
  (2 <= K)%N -> (1 <= L)%N -> 0 < x -> x ^+ L.+1 = 4%:R ->
  ((K - 1)%:R / 2%:R * x + 1 < (K - 1)%:R) = cp_odd_plain_wins K L.
Proof.
move=> K2 L1 x0 xp; rewrite odd_plain_is_even_shift -(real_form (K - 1) L1 x0 xp).
have e : (K - 1 - 1)%:R = (K - 1)%:R - 1 :> R by rewrite (natrB _ (_ : 1 <= K - 1)%N) ?subn_gt0.
rewrite -ltr_subr_addr e.
by rewrite mulrAC ltr_pdivr_mulr ?ltr0n // [_ * 2%:R]mulrC.
Qed.

(* The centred singleton at (K, L) = (5, 2): 2 * 4^(1/3) + (4/5)^(1/3) >= 4, so it does not beat DNC. *)
Lemma centred_5_2 (R : realFieldType) (x y : R) :
  0 < x -> x ^+ 3 = 4%:R -> 0 < y -> y ^+ 3 = 4%:R / 5%:R -> ~ (2%:R * x + y < 4%:R).
Proof.
move=> x0 xp y0 yp H.
have Xp : (13%:R * x) ^+ 3 = 8788%:R :> R by rewrite exprMn xp -natrX -natrM.
have X20 : 20%:R < 13%:R * x.
  rewrite ltNge; apply/negP => h.
  have := h; rewrite -(ler_pexpn2r (_ : (0 < 3)%N)) ?nnegrE ?mulr_ge0 ?ler0n ?(ltW x0) //.
  by rewrite Xp -natrX ler_nat; vm_compute.
have Y12 : 13%:R * y < 12%:R.
  have H13 : 13%:R * (2%:R * x + y) < 13%:R * 4%:R by rewrite ltr_pmul2l ?ltr0n.
  rewrite mulrDr mulrCA -natrM in H13.
  have X40 : 2%:R * 20%:R < 2%:R * (13%:R * x) :> R by rewrite ltr_pmul2l ?ltr0n.
  have := ltr_sub H13 X40; rewrite addrAC subrr add0r => /lt_le_trans; apply.
  by rewrite -natrM -natrB // ler_nat.
have Yp : (13%:R * y) ^+ 3 * 5%:R = 8788%:R :> R.
  by rewrite exprMn yp mulrA divfK ?pnatr_eq0 // -natrX -natrM.
have := Y12; rewrite -(ltr_pexpn2r (_ : (0 < 3)%N)) ?nnegrE ?mulr_ge0 ?ler0n ?(ltW y0) //.
rewrite -(ltr_pmul2r (ltr0n R 5)) Yp -natrX -natrM ltr_nat.
by vm_compute.
Qed.

(* The centred singleton: ((K-1)/2) 4^(1/(L+1)) + ((K-1)/K)^(1/(L+1)) < K - 1 holds, for odd
   K >= 5, exactly in the same region. *)
Theorem centred_region (R : realFieldType) (K L : nat) (x y : R) :
  (5 <= K)%N -> odd K -> (1 <= L)%N -> 0 < x -> x ^+ L.+1 = 4%:R ->
  0 < y -> y ^+ L.+1 = (K - 1)%:R / K%:R ->
  ((K - 1)%:R / 2%:R * x + y < (K - 1)%:R) = ((L == 2)%N && (6 <= K)%N) || (3 <= L)%N.
Proof.
move=> K5 oK L1 x0 xp y0 yp.
have K0 : (0 < K)%N by apply: leq_trans K5.
have y1 : y < 1.
  rewrite ltNge; apply/negP => y1.
  have := exprn_ege1 L.+1 y1; rewrite yp ler_pdivl_mulr ?ltr0n // mul1r ler_nat.
  by rewrite leqNgt ltn_subrL K0.
case reg : (((L == 2) && (6 <= K)) || (3 <= L))%N.
  have := odd_plain_threshold_exact (leq_trans (isT : (2 <= 5)%N) K5) L1 x0 xp.
  rewrite cp_odd_plain_region // reg => plain.
  by apply: le_lt_trans plain; rewrite ler_add2l ltW.
apply/negP => win; move/negbT: reg => reg.
have [L_1|L_2] : (L = 1 \/ L = 2 /\ K = 5)%N.
  move: reg; case: L L1 xp yp win => [|[|[|L]]] //= _ xp yp win; first by left.
  rewrite ltnn orbF -leqNgt => K5'; right; split => //.
  by apply/eqP; rewrite eqn_leq K5' K5.
- move: xp win; rewrite L_1 => xp.
  have x2 : x = 2%:R.
    by apply/eqP; rewrite -(eqr_expn2 (_ : (0 < 2)%N)) ?ler0n ?(ltW x0) // xp -natrX.
  by rewrite x2 divfK ?pnatr_eq0 // gtr_addl ltNge (ltW y0).
- case: L_2 => L2 K_5; move: xp yp win; rewrite L2 K_5 => xp yp win.
  apply: (centred_5_2 x0 xp y0 yp).
  have e : (5 - 1)%:R / 2%:R = 2%:R :> R by rewrite -[(5 - 1)%N]/(2 * 2)%N natrM mulfK ?pnatr_eq0.
  by rewrite e in win.
Qed.

(* Control: the threshold with the wrong exponent, 2^(-L/(L+1)) < 1 - 1/K (z = 2^(-L/(L+1))
   is the positive z with z^(L+1) 2^L = 1), disagrees with the exact comparison at
   (K, L) = (4, 1): it holds there, but the cross-polytope does not beat DNC. *)
Theorem wrong_exponent_fails :
  exists K L : nat, [/\ (4 <= K)%N,
    (forall (R : realFieldType) (z : R), 0 < z -> z ^+ L.+1 * 2%:R ^+ L = 1 -> z < 1 - K%:R^-1)
    & ~~ cp_even_wins K L].
Proof.
exists 4%N, 1%N; split => // R z z0 zp.
have K0 : 0 < 4%:R :> R by rewrite ltr0n.
rewrite -(ltr_pmul2l K0) mulrBr mulr1 mulfV ?gt_eqF //.
rewrite -(ltr_pexpn2r (_ : (0 < 2)%N)) ?nnegrE ?mulr_ge0 ?ler0n ?(ltW z0) ?subr_ge0 ?ler1n //.
rewrite exprMn -[4%:R ^+ 2](_ : (8%:R * 2%:R : R) = _); last by rewrite -natrX -natrM.
rewrite -mulrA [2%:R * _]mulrC zp mulr1 -[4%:R - 1](_ : 3%:R = _ :> R); last first.
  by rewrite -[4%N]/(3 + 1)%N natrD addrK.
by rewrite -natrX ltr_nat.
Qed.
