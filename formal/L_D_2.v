(* L-D.2 (App. D.2): over any ordered field, for K >= 3 no K x K matrix of rank <= 1 has
   every diagonal entry strictly larger than every other entry of its column. *)
From mathcomp Require Import all_ssreflect all_algebra.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory Num.Theory Order.POrderTheory Order.TotalTheory.
Open Scope ring_scope.

Lemma rank_le1_factor (R : fieldType) K (Z : 'M[R]_K) : (\rank Z <= 1)%N ->
  exists u v : 'I_K -> R, forall i j, Z i j = u i * v j.
Proof.
move=> rk; have := mulmx_base Z; move: (col_base Z) (row_base Z); move: (\rank Z) rk => r rk A B e.
case: r rk A B e => [|[|r]] // _ A B e.
  by exists (fun _ => 0), (fun _ => 0) => i j; rewrite -e mxE big_ord0 mul0r.
by exists (fun i => A i 0), (fun j => B 0 j) => i j; rewrite -e mxE big_ord1.
Qed.

Lemma same_sign (R : realDomainType) (x y : R) :
  x != 0 -> y != 0 -> (0 < x) = (0 < y) -> 0 < x * y.
Proof.
move=> x0 y0; case: (ltgtP 0 x) => [xp|xn|x_0]; last by move: x0; rewrite -x_0 eqxx.
  by move/esym => yp; rewrite mulr_gt0.
move=> /esym /negbT; rewrite -leNgt le_eqVlt (negbTE y0) /= => yn.
by rewrite nmulr_rgt0.
Qed.

Theorem rank_one_not_dominant (R : realFieldType) (K : nat) (Z : 'M[R]_K) :
  (3 <= K)%N -> (\rank Z <= 1)%N -> ~ (forall c c' : 'I_K, c' != c -> Z c' c < Z c c).
Proof.
move=> K3 rk dom; have [u [v uv]] := rank_le1_factor rk.
have pos a b : a != b -> 0 < (u b - u a) * v b.
  by move=> ab; rewrite mulrBl subr_gt0 -!uv; apply: dom.
have nz b : v b != 0.
  have [a ab] : exists a, a != b.
    have K1 : (0 < K)%N by apply: leq_trans K3.
    have K2 : (1 < K)%N by apply: leq_trans K3.
    case: (eqVneq b (Ordinal K1)) => [->|nb]; last by exists (Ordinal K1); rewrite eq_sym.
    by exists (Ordinal K2).
  by apply/eqP => v0; move: (pos a b ab); rewrite v0 mulr0 ltxx.
have clash a b : a != b -> 0 < v a * v b -> False.
  move=> ab vab; have ba : b != a by rewrite eq_sym.
  have h1 := pos b a ba; have h2 := pos a b ab; rewrite -opprB mulNr in h2.
  have := mulr_gt0 h1 h2; rewrite mulrN mulrACA oppr_gt0 -expr2 ltNge.
  by rewrite mulr_ge0 ?sqr_ge0 ?ltW.
have K0 : (0 < K)%N by apply: leq_trans K3.
have K1 : (1 < K)%N by apply: leq_trans K3.
pose i0 := Ordinal K0; pose i1 := Ordinal K1; pose i2 := Ordinal K3.
have d01 : i0 != i1 by []. have d02 : i0 != i2 by []. have d12 : i1 != i2 by [].
have [e01|n01] := eqVneq (0 < v i0) (0 < v i1).
  by apply: (clash _ _ d01); apply: same_sign.
have [e02|n02] := eqVneq (0 < v i0) (0 < v i2).
  by apply: (clash _ _ d02); apply: same_sign.
apply: (clash _ _ d12); apply: same_sign => //.
by move: n01 n02; case: (0 < v i0); case: (0 < v i1); case: (0 < v i2).
Qed.

(* Control: the claim extended to K = 2 is false: Z = [[1, -1], [-1, 1]] = s s^T with
   s = (1, -1) has rank 1 and strictly dominant diagonal entries in both columns. *)
Theorem rank_one_dominant_at_K2 :
  exists Z : 'M[rat]_2, (\rank Z <= 1)%N /\ (forall c c' : 'I_2, c' != c -> Z c' c < Z c c).
Proof.
pose s : 'I_2 -> rat := fun i => if i == ord0 then 1 else -1.
exists ((\col_i s i) *m (\row_j s j)); split.
  by apply: leq_trans (mxrankM_maxl _ _) (rank_leq_col _).
move=> c c'; rewrite !mxE !big_ord1 !mxE.
by case: c => [[|[|?]] ?]; case: c' => [[|[|?]] ?] //= _; vm_compute.
Qed.
