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

(* ------------------------------------------------------------------ the closed forms *)

Lemma bit1 t : bit 1 t = (t == 0%N).
Proof. by case: t => [|t] //; rewrite bit_small // -[1%N]/(2 ^ 0)%N ltn_exp2l. Qed.

Lemma dot_one m j : (0 < m)%N -> dot m j 1 = odd j.
Proof.
case: m => [|m] // _; rewrite /dot big_ord_recl big1 => [|t _]; last by rewrite bit1 andbF.
by rewrite bit1 andbT addn0 oddb /bit expn0 divn1.
Qed.

Lemma dot_zero m i : dot m i 0 = false.
Proof. by rewrite /dot big1 // => t _; rewrite bit0n andbF. Qed.

Lemma card_split n (P Q : pred 'I_n) :
  #|[set j | P j]| = (#|[set j | P j && Q j]| + #|[set j | P j && ~~ Q j]|)%N.
Proof.
rewrite !card_as_sum -big_split /=; apply: eq_bigr => j _.
by case: (P j); case: (Q j).
Qed.

Lemma sum_const_set (R : ringType) n (P : pred 'I_n) (x : R) :
  \sum_(j | P j) x = x *+ #|[set j | P j]|.
Proof. by rewrite sumr_const; congr (_ *+ _); apply: eq_card => j; rewrite inE. Qed.

Lemma sum_lam (R : ringType) m (a b : R) i : (0 < m)%N ->
  \sum_(j < 2 ^ m | dot m i j) (if odd j then a else b)
  = a *+ #|[set j : 'I_(2 ^ m) | dot m j i && dot m j 1]| + b *+ #|[set j : 'I_(2 ^ m) | dot m j i && ~~ dot m j 1]|.
Proof.
move=> m0; rewrite (bigID (fun j : 'I_(2 ^ m) => dot m j 1)) /= -!sum_const_set.
congr (_ + _); apply: eq_big => [j|j /andP [_ o]]; try by rewrite [dot m i j]dotC.
- by move: (dot_one j m0); rewrite o => <-.
- by move: (dot_one j m0); rewrite (negbTE o) => <-.
Qed.

Lemma K_ne0 (R : numFieldType) m : (2 ^ m)%:R != 0 :> R.
Proof. by rewrite pnatr_eq0 expn_eq0. Qed.

Lemma E_one (R : numFieldType) (phi : R -> R) m (a b : R) : (0 < m)%N ->
  phi (- (2%:R / (2 ^ m)%:R) * \sum_(j < 2 ^ m | dot m 1 j) (if odd j then a else b)) = phi (- a).
Proof.
move=> m0; congr phi; rewrite sum_lam //.
have -> : [set j : 'I_(2 ^ m) | dot m j 1 && dot m j 1] = [set j : 'I_(2 ^ m) | dot m j 1].
  by apply/setP => j; rewrite !inE andbb.
have -> : [set j : 'I_(2 ^ m) | dot m j 1 && ~~ dot m j 1] = set0.
  by apply/setP => j; rewrite !inE andbN.
rewrite cards0 mulr0n addr0 count_odd; last by rewrite /= -[1%N]/(2 ^ 0)%N ltn_exp2l.
have e : (2 * (2 ^ m %/ 2) = 2 ^ m)%N by rewrite -(prednK m0) expnS mulKn.
rewrite mulNr; congr (- _).
by rewrite -[a *+ _]mulr_natr mulrCA mulrAC -natrM e divff ?mulr1 ?K_ne0.
Qed.

Lemma E_generic (R : numFieldType) (phi : R -> R) m (a b : R) (i : nat) : (2 <= m)%N -> (1 < i < 2 ^ m)%N ->
  phi (- (2%:R / (2 ^ m)%:R) * \sum_(j < 2 ^ m | dot m i j) (if odd j then a else b))
  = phi (- ((a + b) / 2%:R)).
Proof.
move=> m2 /andP [i1 li]; congr phi; rewrite sum_lam ?(leq_trans _ m2) //.
set q := (2 ^ (m - 2))%N.
have eK : (2 ^ m = 4 * q)%N by rewrite /q -[4%N]/(2 ^ 2)%N -expnD subnKC.
have l1 : (0 < 1 < 2 ^ m)%N by rewrite /= -[1%N]/(2 ^ 0)%N ltn_exp2l // (ltn_trans _ m2).
have li' : (0 < i < 2 ^ m)%N by rewrite li andbT (ltn_trans _ i1).
have i1' : i != 1%N by rewrite neq_ltn i1 orbT.
have c1 := count_both_odd li' l1 i1'.
have h := card_split (fun j : 'I_(2 ^ m) => dot m j i) (fun j => dot m j 1); rewrite /= in h.
have e2 : (2 ^ m %/ 2 = 2 * q)%N by rewrite eK -[4%N]/(2 * 2)%N -mulnA mulKn.
have e4 : (2 ^ m %/ 4 = q)%N by rewrite eK mulKn.
rewrite count_odd // c1 e2 e4 in h.
have c2 : #|[set j : 'I_(2 ^ m) | dot m j i && ~~ dot m j 1]| = q.
  by move/eqP: h; rewrite mul2n -addnn eqn_add2l => /eqP <-.
rewrite c1 c2 e4 -mulrnDl mulNr; congr (- _).
rewrite -[(a + b) *+ _]mulr_natr mulrCA; congr (_ * _).
have eK' : (2 ^ m)%:R = 2%:R * (2 * q)%:R :> R by rewrite eK -natrM mulnA.
by rewrite mulrAC -natrM eK' invfM mulrCA divff ?mulr1 // pnatr_eq0 muln_eq0 expn_eq0.
Qed.

(* T4.2's core form for the alternating lambda (a on odd modes j, b on even modes j >= 1), with
   exp replaced by any phi:  E_i = phi(-(2/K) sum_(j >= 1, <i,j> odd) lambda_j). *)
Definition core_E (R : numFieldType) (phi : R -> R) (m : nat) (a b : R) (i : nat) : R :=
  phi (- (2%:R / (2 ^ m)%:R) * \sum_(j < 2 ^ m | (0 < j)%N && dot m i j) (if odd j then a else b)).

(* L-D.8's closed forms: D = 1 + sum_(i >= 1) E_i and the numerators 2 sum_(i >= 1, <k,i> odd) E_i
   of 1 - psi_k, for every m >= 2 and every phi. *)
Theorem alternating_closed_forms (R : numFieldType) (phi : R -> R) (m : nat) (a b : R) : (2 <= m)%N ->
  let E := core_E phi m a b in
  [/\ 1 + (\sum_(i < 2 ^ m | (0 < i)%N) E i)
        = 1 + phi (- a) + (2 ^ m - 2)%:R * phi (- ((a + b) / 2%:R)),
      forall k, (0 < k < 2 ^ m)%N -> odd k ->
        (2%:R * (\sum_(i < 2 ^ m | (0 < i)%N && dot m k i) E i)
         = 2%:R * (phi (- a) + (2 ^ m %/ 2 - 1)%:R * phi (- ((a + b) / 2%:R))))%R
    & forall k, (0 < k < 2 ^ m)%N -> ~~ odd k ->
        (2%:R * (\sum_(i < 2 ^ m | (0 < i)%N && dot m k i) E i) = (2 ^ m)%:R * phi (- ((a + b) / 2%:R)))%R].
Proof.
move=> m2 E; set g := phi (- ((a + b) / 2%:R)).
have m0 : (0 < m)%N by apply: ltn_trans m2.
have l1 : (1 < 2 ^ m)%N by rewrite -[1%N]/(2 ^ 0)%N ltn_exp2l.
pose o1 : 'I_(2 ^ m) := Ordinal l1.
have Ej (i : nat) : E i = phi (- (2%:R / (2 ^ m)%:R) * \sum_(j < 2 ^ m | dot m i j) (if odd j then a else b)).
  by rewrite /E /core_E; congr phi; congr (_ * _); apply: eq_bigl => -[[|j] ?] //=; rewrite dot_zero.
have E1 : E o1 = phi (- a) by rewrite Ej E_one.
have Eg (i : 'I_(2 ^ m)) : (0 < i)%N -> i != o1 -> E i = g.
  move=> i0 i1; rewrite Ej E_generic // ltn_ord andbT ltn_neqAle eq_sym.
  by rewrite (i1 : (i : nat) != 1%N) i0.
have drop0 (k : nat) : [set i : 'I_(2 ^ m) | (0 < i)%N && dot m k i] = [set i : 'I_(2 ^ m) | dot m k i].
  by apply/setP => -[[|i] ?]; rewrite !inE //= dot_zero.
have half (k : nat) : (0 < k < 2 ^ m)%N -> #|[set i : 'I_(2 ^ m) | dot m k i]| = (2 ^ m %/ 2)%N.
  by move=> kk; rewrite -(count_odd kk); apply: eq_card => i; rewrite !inE dotC.
have e2 : (2 * (2 ^ m %/ 2) = 2 ^ m)%N by rewrite -(prednK m0) expnS mulKn.
split.
- rewrite (bigD1 o1) //= E1 -addrA; congr (_ + (_ + _)).
  rewrite (eq_bigr (fun _ => g)) => [|i /andP [i0 i1]]; last exact: Eg.
  rewrite sum_const_set mulr_natl; congr (_ *+ _).
  have -> : [set i : 'I_(2 ^ m) | (0 < i)%N && (i != o1)] = ~: [set Ordinal (ltn_trans (isT : (0 < 1)%N) l1); o1].
    by apply/setP => -[[|[|i]] ?]; rewrite !inE.
  by rewrite cardsCs setCK cards2 card_ord.
- move=> k kk ok; rewrite (bigD1 o1) /=; last by rewrite (dot_one k m0) ok.
  rewrite E1 (eq_bigr (fun _ => g)) => [|i /andP [/andP [i0 _] i1]]; last exact: Eg.
  rewrite sum_const_set; congr (_ * (_ + _)); rewrite mulr_natl; congr (_ *+ _).
  have h := card_split (fun i : 'I_(2 ^ m) => dot m k i) (fun i => i != o1); rewrite /= half // in h.
  have c1 : #|[set i : 'I_(2 ^ m) | dot m k i && ~~ (i != o1)]| = 1%N.
    have -> : [set i : 'I_(2 ^ m) | dot m k i && ~~ (i != o1)] = [set o1]; last exact: cards1.
    apply/setP => i; rewrite !inE negbK; case: (i =P o1) => [->|_]; last by rewrite andbF.
    by rewrite andbT /= (dot_one k m0) ok.
  rewrite (@eq_card _ _ [set j : 'I_(2 ^ m) | dot m k j && (j != o1)]); last first.
    by move=> -[[|j] ?]; rewrite !inE //= dot_zero.
  by rewrite h c1 addnK.
- move=> k kk ek.
  rewrite (eq_bigr (fun _ => g)) => [|i /andP [i0 di]]; last first.
    apply: Eg => //; apply/eqP => io; move: di; rewrite io /= (dot_one k m0).
    by rewrite (negbTE ek).
  by rewrite sum_const_set drop0 half // -[g *+ _]mulr_natl mulrA -natrM e2.
Qed.

(* Control: counting the even rows like the K - 2 generic weights, 1 - psi_even = (K-2) E / D,
   is false: at K = 4, phi = 1, a = b = 0, k = 2 the numerator is 4, not 2. *)
Theorem even_miscounted_fails :
  exists (m k : nat) (phi : rat -> rat) (a b : rat), [/\ (2 <= m)%N, (0 < k < 2 ^ m)%N, ~~ odd k &
    2%:R * (\sum_(i < 2 ^ m | (0 < i)%N && dot m k i) core_E phi m a b i)
    != (2 ^ m - 2)%:R * phi (- ((a + b) / 2%:R))].
Proof.
exists 2%N, 2%N, (fun _ => 1), 0, 0; split => //.
have [_ _ h] := alternating_closed_forms (fun _ : rat => 1) 0 0 (isT : (2 <= 2)%N).
by rewrite (h 2%N isT isT); vm_compute.
Qed.
