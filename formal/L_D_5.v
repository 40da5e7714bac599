(* L-D.5 (App. D.3): the columns h_i of H satisfy h_i (.) h_j = h_(i xor j), for every m. *)
From mathcomp Require Import all_ssreflect all_algebra.
From NCdepth Require Import Hadamard L_D_6.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory.
Open Scope ring_scope.

(* Entry k of h_i (.) h_j is H[k, i] * H[k, j]; it equals entry k of column i xor j. *)
Theorem hadamard_columns_xor (m i j k : nat) :
  (i < 2 ^ m)%N -> (j < 2 ^ m)%N -> (k < 2 ^ m)%N ->
  sylvester m k i * sylvester m k j = sylvester m k (xorn m i j).
Proof.
move=> li lj lk.
by rewrite !sylvester_entry ?xorn_lt // dot_xorn signr_addb.
Qed.

Lemma sylvesterC m i j : (i < 2 ^ m)%N -> (j < 2 ^ m)%N -> sylvester m i j = sylvester m j i.
Proof. by move=> li lj; rewrite !sylvester_entry // dotC. Qed.

Lemma sylvester_sqr m i j : (i < 2 ^ m)%N -> (j < 2 ^ m)%N -> sylvester m i j * sylvester m i j = 1.
Proof. by move=> li lj; rewrite sylvester_entry // -expr2 sqrr_sign. Qed.

(* Control: the cyclic misreading h_i (.) h_j = h_((i + j) mod K) is false:
   at m = 2, i = j = 1, row k = 2: H[2,1] H[2,1] = 1 but H[2, 2] = -1. *)
Theorem cyclic_index_fails :
  exists m i j k, [/\ (i < 2 ^ m)%N, (j < 2 ^ m)%N, (k < 2 ^ m)%N &
    sylvester m k i * sylvester m k j != sylvester m k ((i + j) %% 2 ^ m)].
Proof. by exists 2%N, 1%N, 1%N, 2%N. Qed.
