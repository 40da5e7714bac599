(* The counting facts behind L-D.8 and T4.3 (App. D.4-D.5), for every m (K = 2^m):
   for k <> 0 exactly K/2 indices i < K have <i, k> odd, and for distinct non-zero
   j, k exactly K/4 indices have both <i, j> and <i, k> odd. *)
From mathcomp Require Import all_ssreflect all_algebra.
From NCdepth Require Import Hadamard L_D_6 L_D_5.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory Num.Theory.
Open Scope ring_scope.

Lemma sum_sign m k : (k < 2 ^ m)%N ->
  \sum_(i < 2 ^ m) ((-1) ^+ dot m i k : int) = if k == 0%N then (2 ^ m)%:R else 0.
Proof.
move=> lk; rewrite -(sum_column int_Ring lk); apply: eq_bigr => i _.
by rewrite sylvester_entry // intz.
Qed.

Lemma card_as_sum n (P : 'I_n -> bool) : #|[set i | P i]| = (\sum_(i < n) (P i : nat))%N.
Proof.
by rewrite -sum1_card big_mkcond /=; apply: eq_bigr => i _; rewrite inE; case: (P i).
Qed.

Theorem count_odd (m k : nat) : (0 < k < 2 ^ m)%N ->
  #|[set i : 'I_(2 ^ m) | dot m i k]| = (2 ^ m %/ 2)%N.
Proof.
case/andP=> k0 lk; have S := sum_sign lk; rewrite eqn0Ngt k0 /= in S.
have e : (\sum_(i < 2 ^ m) ((-1) ^+ dot m i k : int))
       = (2 ^ m)%:R - 2%:R * (#|[set i : 'I_(2 ^ m) | dot m i k]|)%:R.
  rewrite (eq_bigr (fun i : 'I_(2 ^ m) => 1 - 2%:R * (dot m i k : nat)%:R)) => [|i _]; last first.
    by case: (dot m i k); rewrite ?mulr1 ?mulr0 ?subr0.
  by rewrite sumrB sumr_const card_ord -mulr_sumr -natr_sum card_as_sum.
rewrite S in e; move/eqP: e; rewrite eq_sym subr_eq0 -natrM eqr_nat => /eqP e2.
by rewrite [in RHS]e2 mulKn.
Qed.

Theorem count_both_odd (m j k : nat) : (0 < j < 2 ^ m)%N -> (0 < k < 2 ^ m)%N -> j != k ->
  #|[set i : 'I_(2 ^ m) | dot m i j && dot m i k]| = (2 ^ m %/ 4)%N.
Proof.
case/andP=> j0 lj; case/andP=> k0 lk jk.
have Sj := sum_sign lj; rewrite eqn0Ngt j0 /= in Sj.
have Sk := sum_sign lk; rewrite eqn0Ngt k0 /= in Sk.
have Sjk := sum_sign (xorn_lt m j k); rewrite xorn_eq0 // (negbTE jk) in Sjk.
have e : (\sum_(i < 2 ^ m) (1 - (-1) ^+ dot m i j - (-1) ^+ dot m i k
                             + (-1) ^+ dot m i (xorn m j k) : int))
       = 4%:R * (#|[set i : 'I_(2 ^ m) | dot m i j && dot m i k]|)%:R.
  rewrite card_as_sum natr_sum mulr_sumr; apply: eq_bigr => i _.
  by rewrite dot_xorn signr_addb; case: (dot m i j); case: (dot m i k).
rewrite !big_split /= !sumrN Sj Sk Sjk sumr_const card_ord oppr0 !addr0 -natrM in e.
by move/eqP: e; rewrite eqr_nat => /eqP e2; rewrite [in RHS]e2 mulKn.
Qed.

(* Control: dropping distinctness ("K/4 for every pair of non-zero j, k") is false:
   at m = 2, j = k = 1 the count is K/2 = 2, not K/4 = 1. *)
Theorem both_odd_needs_distinct :
  exists m j, (0 < j < 2 ^ m)%N /\ #|[set i : 'I_(2 ^ m) | dot m i j && dot m i j]| != (2 ^ m %/ 4)%N.
Proof.
exists 2%N, 1%N; split => //.
have -> : [set i : 'I_(2 ^ 2) | dot 2 i 1 && dot 2 i 1] = [set i : 'I_(2 ^ 2) | dot 2 i 1].
  by apply/setP => i; rewrite !inE andbb.
by rewrite count_odd.
Qed.
