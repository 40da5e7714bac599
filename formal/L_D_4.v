(* L-D.4 (App. D.3) as algebra, for every m (K = 2^m) and every field of characteristic 0:
   (1) for any f on the indices, the XOR-convolution matrix [f(i xor c)]_(i,c) is
       diagonalised by H with eigenvalues H f:  [f(i xor c)] H = H diag(H f);
   (2) the column-wise map "apply phi, divide by the column sum" (the softmax with
       exp replaced by an arbitrary function phi) sends [f(i xor c)] to [g(i xor c)],
       g = phi(f) / sum phi(f);
   (3) together: for Zbar = (1/K) H diag(lambda) H, the column-wise softmax of Zbar is
       (1/K) H diag(psi) H with psi = H softmax(H lambda / K).  Vectors are row vectors,
       so "H v" is written v *m H (H is symmetric). *)
From mathcomp Require Import all_ssreflect all_algebra.
From NCdepth Require Import Hadamard L_D_6 L_D_5.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory Num.Theory.
Open Scope ring_scope.

(* XOR of two indices, as an index. *)
Definition xo m (i j : 'I_(2 ^ m)) : 'I_(2 ^ m) := Ordinal (xorn_lt m i j).

(* The XOR-convolution matrix of f: entry (i, c) is f(i xor c). *)
Definition xconv (R : ringType) m (f : 'rV[R]_(2 ^ m)) : 'M[R]_(2 ^ m) :=
  \matrix_(i, c) f 0 (xo i c).

(* Column-wise "apply phi, divide by the column sum". *)
Definition colnorm (R : fieldType) n (phi : R -> R) (Z : 'M[R]_n) : 'M[R]_n :=
  \matrix_(i, c) (phi (Z i c) / \sum_(r < n) phi (Z r c)).

(* The softmax of a vector with exp replaced by phi. *)
Definition softmax (R : fieldType) n (phi : R -> R) (v : 'rV[R]_n) : 'rV[R]_n :=
  \row_k (phi (v 0 k) / \sum_(l < n) phi (v 0 l)).

Lemma xoK m (i j : 'I_(2 ^ m)) : xo i (xo i j) = j.
Proof. by apply: val_inj; rewrite /= xornK. Qed.

Lemma xoC m (i j : 'I_(2 ^ m)) : xo i j = xo j i.
Proof. by apply: val_inj; rewrite /= xornC. Qed.

Lemma xo0 m (i : 'I_(2 ^ m)) (z : 'I_(2 ^ m)) : (z : nat) = 0%N -> xo i z = i.
Proof. by move=> z0; apply: val_inj; rewrite /= z0 xorn0. Qed.

Lemma xo_inj m (i : 'I_(2 ^ m)) : injective (xo i).
Proof. exact: can_inj (@xoK m i). Qed.

Lemma xo_inj_l m (c : 'I_(2 ^ m)) : injective (fun r => xo r c).
Proof. by move=> r s; rewrite /= ![xo _ c]xoC; apply: (@xo_inj m c). Qed.

Lemma HmE (R : ringType) m (i j : 'I_(2 ^ m)) : Hm R m i j = (sylvester m i j)%:~R.
Proof. by rewrite mxE. Qed.

Lemma Hm_sym (R : ringType) m (i j : 'I_(2 ^ m)) : Hm R m i j = Hm R m j i.
Proof. by rewrite !HmE sylvesterC. Qed.

Lemma Hm_prod (R : ringType) m (i c k : 'I_(2 ^ m)) :
  Hm R m i k * Hm R m k c = Hm R m (xo i c) k.
Proof.
rewrite !HmE -intrM (sylvesterC (ltn_ord i)) // hadamard_columns_xor //.
by rewrite sylvesterC // xorn_lt.
Qed.

(* H H = K I. *)
Theorem hadamard_square (R : ringType) m : Hm R m *m Hm R m = (2 ^ m)%:R%:M.
Proof.
apply/matrixP => i j; rewrite !mxE.
rewrite (eq_bigr (fun k : 'I_(2 ^ m) => (sylvester m k (xo i j))%:~R)) => [|k _]; last first.
  by rewrite -!HmE Hm_prod Hm_sym.
rewrite sum_column ?xorn_lt //= xorn_eq0 //.
have -> : ((i : nat) == j) = (i == j) by [].
by case: (i == j).
Qed.

(* (1): [f(i xor c)] H = H diag(H f). *)
Theorem xconv_diagonalised (R : comRingType) m (f : 'rV[R]_(2 ^ m)) :
  xconv f *m Hm R m = Hm R m *m diag_mx (f *m Hm R m).
Proof.
apply/matrixP => i k; rewrite mul_mx_diag !mxE (reindex_inj (@xo_inj m i)) mulr_sumr.
apply: eq_bigr => d _; rewrite mxE xoK -Hm_prod (@Hm_sym R m k d).
by rewrite -HmE mulrCA.
Qed.

(* (2): the column-normalised map of an XOR-convolution matrix is an XOR-convolution matrix. *)
Theorem colnorm_xconv (R : fieldType) m (phi : R -> R) (f : 'rV[R]_(2 ^ m)) :
  colnorm phi (xconv f) = xconv (softmax phi f).
Proof.
apply/matrixP => i c; rewrite !mxE.
rewrite [in RHS](reindex_inj (@xo_inj_l m c)) /=.
by congr (_ / _); apply: eq_bigr => r _; rewrite mxE.
Qed.

Lemma K_neq0 (R : numFieldType) m : (2 ^ m)%:R != 0 :> R.
Proof. by rewrite pnatr_eq0 expn_eq0. Qed.

Lemma xconv_eq (R : numFieldType) m (f : 'rV[R]_(2 ^ m)) :
  xconv f = (2 ^ m)%:R^-1 *: (Hm R m *m diag_mx (f *m Hm R m) *m Hm R m).
Proof.
rewrite -xconv_diagonalised -mulmxA hadamard_square mul_mx_scalar scalerA.
by rewrite mulVf ?K_neq0 // scale1r.
Qed.

(* (3): L-D.4 with exp abstract: any phi, any lambda. *)
Theorem softmax_diagonalisation (R : numFieldType) (phi : R -> R) m (lam : 'rV[R]_(2 ^ m)) :
  colnorm phi ((2 ^ m)%:R^-1 *: (Hm R m *m diag_mx lam *m Hm R m))
  = (2 ^ m)%:R^-1 *: (Hm R m *m
      diag_mx (softmax phi ((2 ^ m)%:R^-1 *: (lam *m Hm R m)) *m Hm R m) *m Hm R m).
Proof.
set f := (2 ^ m)%:R^-1 *: (lam *m Hm R m).
have fH : f *m Hm R m = lam.
  by rewrite /f -scalemxAl -mulmxA hadamard_square mul_mx_scalar scalerA mulVf ?K_neq0 // scale1r.
by rewrite -[in LHS]fH -xconv_eq colnorm_xconv xconv_eq.
Qed.

(* Control: psi = H softmax(H lambda) (the 1/K inside the softmax dropped) is false:
   at K = 2, lambda = (0, 1), phi(x) = 1 + x + x^2 the two sides differ. *)
Theorem no_inner_1_over_K_fails :
  exists (phi : rat -> rat) (lam : 'rV[rat]_(2 ^ 1)),
  colnorm phi ((2 ^ 1)%:R^-1 *: (Hm [ringType of rat] 1 *m diag_mx lam *m Hm [ringType of rat] 1))
  != (2 ^ 1)%:R^-1 *: (Hm [ringType of rat] 1 *m diag_mx (softmax phi (lam *m Hm [ringType of rat] 1) *m Hm [ringType of rat] 1) *m Hm [ringType of rat] 1).
Proof.
pose phi := fun x : rat => 1 + x + x ^+ 2.
pose lam : 'rV[rat]_(2 ^ 1) := \row_k (if (k : nat) == 1%N then 1 else 0).
exists phi, lam; rewrite softmax_diagonalisation -!xconv_eq.
pose o0 : 'I_(2 ^ 1) := Ordinal (erefl true : (0 < 2 ^ 1)%N).
apply/eqP => /matrixP /(_ o0 o0); rewrite !mxE.
have z : xo o0 o0 = o0 by apply: val_inj; rewrite /= xorn0.
rewrite z !big_ord_recr !big_ord0 /= !mxE !big_ord_recr !big_ord0 /= !mxE.
by move/eqP; vm_compute.
Qed.
