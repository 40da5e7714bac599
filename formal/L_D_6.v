(* L-D.6 (App. D.3): H[i, j] = (-1)^<i, j> for every m and all 0 <= i, j < 2^m. *)
From mathcomp Require Import all_ssreflect all_algebra.
From NCdepth Require Import Hadamard.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory.
Open Scope ring_scope.

Theorem sylvester_entry (m i j : nat) :
  (i < 2 ^ m)%N -> (j < 2 ^ m)%N -> sylvester m i j = (-1) ^+ dot m i j.
Proof.
elim: m i j => [|m IH] i j li lj.
  by rewrite /dot big_ord0.
have e : (2 ^ m.+1 = 2 ^ m + 2 ^ m)%N by rewrite expnS mul2n addnn.
rewrite dot_split // signr_addb /=.
have hs x : (2 ^ m <= x)%N -> (x < 2 ^ m.+1)%N -> (x - 2 ^ m < 2 ^ m)%N.
  by move=> le lt; rewrite ltn_subLR // -e.
case: (leqP (2 ^ m) i) => [lei|gti]; case: (leqP (2 ^ m) j) => [lej|gtj] /=.
- by rewrite IH ?hs // !dot_sub_top // dotC dot_sub_top // dotC expr1 mulrN1.
- by rewrite IH ?hs // dot_sub_top // mulr1.
- by rewrite IH ?hs // dotC dot_sub_top // dotC mulr1.
- by rewrite IH // mulr1.
Qed.

(* Control: the plausible misreading H[i, j] = (-1)^(i * j) with the ordinary integer
   product is false: at m = 2, i = j = 2 the entry is -1 but (-1)^(2 * 2) = 1. *)
Theorem integer_product_exponent_fails :
  exists m i j, [/\ (i < 2 ^ m)%N, (j < 2 ^ m)%N & sylvester m i j != (-1) ^+ (i * j)%N].
Proof. by exists 2%N, 2%N, 2%N. Qed.
