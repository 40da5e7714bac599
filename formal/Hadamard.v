(* Shared definitions of the ncdepth formal level (read these against the paper).

   Indices are natural numbers 0 <= i < 2^m read as bit sequences:
   [bit i t] is the t-th binary digit of i (t = 0 is the least significant one).
   [dot m i j] is the mod-2 dot product <i, j> of the m-bit indices i and j,
   [xorn m i j] their bitwise XOR i (+) j, and [sylvester m i j] the entry (i, j)
   of the Sylvester-Hadamard matrix H_K, K = 2^m, defined by its doubling recursion
   H_1 = [1],  H_(2k) = [[H_k, H_k], [H_k, -H_k]].
   [Hm R m] is the same matrix as a mathcomp matrix over any ring R. *)
From mathcomp Require Import all_ssreflect all_algebra.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory Num.Theory.

Definition bit (i t : nat) : bool := odd (i %/ 2 ^ t).

Definition dot (m i j : nat) : bool := odd (\sum_(t < m) (bit i t && bit j t)).

Definition xorn (m i j : nat) : nat := (\sum_(t < m) (bit i t (+) bit j t) * 2 ^ t)%N.

Fixpoint sylvester (m i j : nat) : int :=
  if m is m'.+1 then
    let h := (2 ^ m')%N in
    match (h <= i)%N, (h <= j)%N with
    | false, false => sylvester m' i j              (* top-left block:      H *)
    | false, true => sylvester m' i (j - h)         (* top-right block:     H *)
    | true, false => sylvester m' (i - h) j         (* bottom-left block:   H *)
    | true, true => (- sylvester m' (i - h) (j - h))%R  (* bottom-right block: -H *)
    end
  else 1%R.

Definition Hm (R : ringType) (m : nat) : 'M[R]_(2 ^ m) :=
  \matrix_(i, j) (sylvester m i j)%:~R%R.

(* ------------------------------------------------------------------ bits *)

Lemma bitD_high q r m t : (t < m)%N -> bit (q * 2 ^ m + r) t = bit r t.
Proof.
move=> ltm; rewrite /bit divnDl; last by rewrite dvdn_mull // dvdn_exp2l // ltnW.
have -> : (q * 2 ^ m %/ 2 ^ t = q * 2 ^ (m - t))%N.
  by rewrite -{1}(subnK (ltnW ltm)) expnD mulnA mulnK // expn_gt0.
by rewrite oddD oddM oddX subn_eq0 leqNgt ltm andbF.
Qed.

Lemma bit_small r t : (r < 2 ^ t)%N -> bit r t = false.
Proof. by move=> lt; rewrite /bit divn_small. Qed.

Lemma bit_top m i : (i < 2 ^ m.+1)%N -> bit i m = (2 ^ m <= i)%N.
Proof.
move=> lt; case: leqP => [le|gt]; last by rewrite bit_small.
rewrite /bit -(subnKC le) -{1}(mul1n (2 ^ m)) divnMDl ?expn_gt0 // divn_small //.
by rewrite ltn_subLR // addnn -mul2n -expnS.
Qed.

Lemma bit_sub_top m i t : (2 ^ m <= i)%N -> (t < m)%N -> bit (i - 2 ^ m) t = bit i t.
Proof. by move=> le lt; have := bitD_high 1 (i - 2 ^ m) lt; rewrite mul1n subnKC. Qed.

Lemma bit_mod m i t : (t < m)%N -> bit (i %% 2 ^ m) t = bit i t.
Proof. by move=> lt; rewrite {2}(divn_eq i (2 ^ m)) bitD_high. Qed.

Lemma sum_pow_lt (b : nat -> bool) m : (\sum_(t < m) b t * 2 ^ t < 2 ^ m)%N.
Proof.
elim: m => [|m IH]; first by rewrite big_ord0.
rewrite big_ord_recr /= expnS mul2n -addnn -addSn leq_add //.
by case: (b m); rewrite ?mul1n ?mul0n.
Qed.

Lemma bit_sum_pow (b : nat -> bool) m s :
  bit (\sum_(t < m) b t * 2 ^ t) s = (s < m)%N && b s.
Proof.
elim: m => [|m IH]; first by rewrite big_ord0 /bit div0n.
have top := sum_pow_lt b m.+1; rewrite big_ord_recr /= addnC in top *.
case: (ltngtP s m) => [lt_sm|gt_sm|->].
- by rewrite bitD_high // IH lt_sm ltnW.
- rewrite bit_small; first by rewrite ltnS leqNgt gt_sm.
  by apply: leq_trans top _; rewrite leq_exp2l.
- by rewrite /bit divnMDl ?expn_gt0 // divn_small ?addn0 ?oddb ?ltnSn // sum_pow_lt.
Qed.

Lemma bin_expansion m i : (i < 2 ^ m)%N -> (\sum_(t < m) bit i t * 2 ^ t)%N = i.
Proof.
elim: m i => [|m IH] i lt.
  by rewrite big_ord0; move: lt; rewrite expn0 ltnS leqn0 => /eqP->.
rewrite big_ord_recr /=.
rewrite (eq_bigr (fun t : 'I_m => bit (i %% 2 ^ m) t * 2 ^ t)) => [|t _]; last by rewrite bit_mod.
rewrite IH ?ltn_pmod ?expn_gt0 //.
have q2 : (i %/ 2 ^ m < 2)%N by rewrite ltn_divLR ?expn_gt0 // -expnS.
rewrite [in RHS](divn_eq i (2 ^ m)) addnC /bit.
by move: q2; case: (i %/ 2 ^ m) => [|[|q]].
Qed.

Lemma bit_eq m i j : (i < 2 ^ m)%N -> (j < 2 ^ m)%N ->
  (forall t, (t < m)%N -> bit i t = bit j t) -> i = j.
Proof.
move=> li lj eqb; rewrite -(bin_expansion li) -(bin_expansion lj).
by apply: eq_bigr => t _; rewrite eqb.
Qed.

Lemma bit0n t : bit 0 t = false.
Proof. by rewrite /bit div0n. Qed.

Lemma xorn_lt m i j : (xorn m i j < 2 ^ m)%N.
Proof. exact: (sum_pow_lt (fun t => bit i t (+) bit j t)). Qed.

Lemma bit_xorn m i j t : (t < m)%N -> bit (xorn m i j) t = bit i t (+) bit j t.
Proof. by move=> lt; rewrite /xorn (bit_sum_pow (fun t => bit i t (+) bit j t)) lt. Qed.

Lemma xornC m i j : xorn m i j = xorn m j i.
Proof. by apply: eq_bigr => t _; rewrite addbC. Qed.

Lemma xornK m i j : (j < 2 ^ m)%N -> xorn m i (xorn m i j) = j.
Proof.
move=> lj; apply: bit_eq (xorn_lt _ _ _) lj _ => t lt.
by rewrite !bit_xorn // addKb.
Qed.

Lemma xorn0 m i : (i < 2 ^ m)%N -> xorn m i 0 = i.
Proof.
move=> li; apply: bit_eq (xorn_lt _ _ _) li _ => t lt.
by rewrite bit_xorn // bit0n addbF.
Qed.

Lemma xorn_eq0 m i j : (i < 2 ^ m)%N -> (j < 2 ^ m)%N -> (xorn m i j == 0)%N = (i == j).
Proof.
move=> li lj; apply/eqP/eqP => [x0|<-].
  apply: bit_eq li lj _ => t lt; have := bit_xorn i j lt.
  by rewrite x0 bit0n; case: (bit i t); case: (bit j t).
apply: bit_eq (xorn_lt _ _ _) (expn_gt0 2 m) _ => t lt.
by rewrite bit_xorn // addbb bit0n.
Qed.

Lemma dotC m i j : dot m i j = dot m j i.
Proof. by rewrite /dot; congr odd; apply: eq_bigr => t _; rewrite andbC. Qed.

Lemma odd_sum_xor (f g h : nat -> bool) m :
  odd (\sum_(t < m) (f t && (g t (+) h t)))
  = odd (\sum_(t < m) (f t && g t)) (+) odd (\sum_(t < m) (f t && h t)).
Proof.
elim: m => [|m IH]; first by rewrite !big_ord0.
by rewrite !big_ord_recr /= !oddD IH !oddb andb_addr addbACA.
Qed.

Lemma dot_xorn m k i j : dot m k (xorn m i j) = dot m k i (+) dot m k j.
Proof.
rewrite /dot -odd_sum_xor; congr odd; apply: eq_bigr => t _.
by rewrite bit_xorn.
Qed.

Lemma dot_split m i j : (i < 2 ^ m.+1)%N -> (j < 2 ^ m.+1)%N ->
  dot m.+1 i j = dot m i j (+) ((2 ^ m <= i)%N && (2 ^ m <= j)%N).
Proof. by move=> li lj; rewrite /dot big_ord_recr /= oddD oddb !bit_top. Qed.

Lemma dot_sub_top m i j : (2 ^ m <= i)%N -> dot m (i - 2 ^ m) j = dot m i j.
Proof.
by move=> le; rewrite /dot; congr odd; apply: eq_bigr => t _; rewrite bit_sub_top.
Qed.

(* ------------------------------------------------------------------ the recursion, blockwise *)

Lemma sylvester_lo m i j : (i < 2 ^ m)%N ->
  sylvester m.+1 i j = if (2 ^ m <= j)%N then sylvester m i (j - 2 ^ m) else sylvester m i j.
Proof. by move=> li; rewrite /= leqNgt li; case: leqP. Qed.

Lemma sylvester_hi m i j :
  sylvester m.+1 (2 ^ m + i) j
  = if (2 ^ m <= j)%N then (- sylvester m i (j - 2 ^ m))%R else sylvester m i j.
Proof. by rewrite /= leq_addr addKn; case: leqP. Qed.

Open Scope ring_scope.

(* Orthogonality of the columns with the all-ones column: sum_i H[i, k] = K [k = 0]. *)
Lemma sum_column (R : ringType) m k : (k < 2 ^ m)%N ->
  \sum_(i < 2 ^ m) (sylvester m i k)%:~R = (if k == 0%N then (2 ^ m)%:R else 0) :> R.
Proof.
elim: m k => [|m IH] k lk.
  by move: lk; rewrite expn0 ltnS leqn0 => /eqP->; rewrite big_ord1.
have e : (2 ^ m.+1 = 2 ^ m + 2 ^ m)%N by rewrite expnS mul2n addnn.
have lo : \sum_(i < 2 ^ m) (sylvester m.+1 (lshift (2 ^ m) i) k)%:~R
  = \sum_(i < 2 ^ m) (if (2 ^ m <= k)%N then sylvester m i (k - 2 ^ m) else sylvester m i k)%:~R :> R.
  by apply: eq_bigr => i _; rewrite (sylvester_lo _ (ltn_ord i)).
have hi : \sum_(i < 2 ^ m) (sylvester m.+1 (rshift (2 ^ m) i) k)%:~R
  = \sum_(i < 2 ^ m) (if (2 ^ m <= k)%N then - sylvester m i (k - 2 ^ m) else sylvester m i k)%:~R :> R.
  by apply: eq_bigr => i _; rewrite (sylvester_hi m i k).
rewrite e big_split_ord lo hi.

case: (leqP (2 ^ m) k) => [le|lt] /=.
  rewrite -big_split big1 => [|i _]; last by rewrite /= mulrNz addrN.
  by case: eqP => // k0; move: le; rewrite k0 leqNgt expn_gt0.
rewrite IH // -mulr2n; case: eqP => _; last by rewrite mul0rn.
by rewrite natrD mulr2n.
Qed.
