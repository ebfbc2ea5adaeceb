;; im2col and its adjoint col2im over NCHW input (see Kernels.im2col in src/tensor/kernels.ts).
;;
;; Layout. cols is [C·kh·kw, P] with P = N·outH·outW: row r = (ci·kh + ki)·kw + kj, column
;; (b·outH + oy)·outW + ox holds x[b, ci, oy·sH − pH + ki, ox·sW − pW + kj], or 0 in the padding.
;;
;; For one row (ci, ki, kj) the valid output columns ox form one interval [lo, hi), the same for
;; every b and oy: ix = ox·sW − pW + kj lies in [0, w) iff ox ∈ [ceil((pW − kj)/sW), floor((w − 1 + pW − kj)/sW) + 1).
;; So each output line is: zeros on [0, lo), the input run on [lo, hi) (f32x4 copies when sW = 1),
;; zeros on [hi, outW). Lines with iy outside [0, h) are all zeros.
;;
;; Threads: im2col splits over rows r of cols, col2im over the (b, ci) planes of dx, so two threads
;; never write the same float. col2im adds into each dx element in (ki, kj) order, exactly as the
;; reference kernel does, so its result is bit-identical to the reference.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; First valid ox of kernel column kj: max(0, ceil((pW − kj)/sW)).
  (func $lo (param $kj i32) (param $sW i32) (param $pW i32) (result i32)
    (local $d i32)
    (local.set $d (i32.sub (local.get $pW) (local.get $kj)))
    (if (result i32) (i32.le_s (local.get $d) (i32.const 0))
      (then (i32.const 0))
      (else (i32.div_s (i32.add (local.get $d) (i32.sub (local.get $sW) (i32.const 1))) (local.get $sW)))))

  ;; One past the last valid ox: min(outW, floor((w − 1 + pW − kj)/sW) + 1), at least lo.
  (func $hi (param $kj i32) (param $sW i32) (param $pW i32) (param $w i32) (param $outW i32) (param $lo i32) (result i32)
    (local $t i32) (local $hi i32)
    (local.set $t (i32.sub (i32.add (i32.sub (local.get $w) (i32.const 1)) (local.get $pW)) (local.get $kj)))
    (local.set $hi (select (i32.const 0) (i32.add (i32.div_s (local.get $t) (local.get $sW)) (i32.const 1)) ;; TAIL-HI
                           (i32.lt_s (local.get $t) (i32.const 0))))
    (if (i32.gt_s (local.get $hi) (local.get $outW)) (then (local.set $hi (local.get $outW))))
    (select (local.get $lo) (local.get $hi) (i32.lt_s (local.get $hi) (local.get $lo))))

  ;; Fills rows [r0, r1) of cols.
  (func (export "im2col")
    (param $x i32) (param $cols i32) (param $n i32) (param $c i32) (param $h i32) (param $w i32)
    (param $kh i32) (param $kw i32) (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32)
    (param $outH i32) (param $outW i32) (param $r0 i32) (param $r1 i32)
    (local $r i32) (local $ci i32) (local $ki i32) (local $kj i32) (local $b i32) (local $oy i32)
    (local $iy i32) (local $ox i32) (local $lo i32) (local $hi i32) (local $dst i32) (local $src i32)
    (local $plane i32) (local $step i32)
    (local.set $step (i32.shl (local.get $sW) (i32.const 2)))
    (local.set $r (local.get $r0))
    ;; the output is written sequentially: dst walks cols from row r0 on
    (local.set $dst (i32.add (local.get $cols)
      (i32.shl (i32.mul (local.get $r0) (i32.mul (local.get $n) (i32.mul (local.get $outH) (local.get $outW)))) (i32.const 2))))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_s (local.get $r) (local.get $r1)))
      (local.set $kj (i32.rem_s (local.get $r) (local.get $kw)))
      (local.set $ki (i32.rem_s (i32.div_s (local.get $r) (local.get $kw)) (local.get $kh)))
      (local.set $ci (i32.div_s (local.get $r) (i32.mul (local.get $kw) (local.get $kh))))
      (local.set $lo (call $lo (local.get $kj) (local.get $sW) (local.get $pW)))
      (local.set $hi (call $hi (local.get $kj) (local.get $sW) (local.get $pW) (local.get $w) (local.get $outW) (local.get $lo)))
      (local.set $b (i32.const 0))
      (block $batch_done (loop $batch
        (br_if $batch_done (i32.ge_s (local.get $b) (local.get $n)))
        (local.set $plane (i32.add (local.get $x)
          (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $ci))
                            (i32.mul (local.get $h) (local.get $w))) (i32.const 2))))
        (local.set $oy (i32.const 0))
        (block $lines_done (loop $lines
          (br_if $lines_done (i32.ge_s (local.get $oy) (local.get $outH)))
          (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sH)) (local.get $pH)) (local.get $ki)))
          ;; Lines are short (outW floats, 11 in CNN1), so they are written inline: a bulk-memory
          ;; instruction per piece costs a call into the engine each time.
          (local.set $ox (i32.const 0))
          (if (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $h)))
            (then
              (block $zl_done (loop $zl ;; zeros on [0, lo)
                (br_if $zl_done (i32.ge_s (local.get $ox) (local.get $lo)))
                (f32.store (i32.add (local.get $dst) (i32.shl (local.get $ox) (i32.const 2))) (f32.const 0))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $zl)))
              ;; src = x[b, ci, iy, lo·sW − pW + kj]
              (local.set $src (i32.add (local.get $plane)
                (i32.shl (i32.add (i32.mul (local.get $iy) (local.get $w))
                                  (i32.add (i32.sub (i32.mul (local.get $lo) (local.get $sW)) (local.get $pW)) (local.get $kj)))
                         (i32.const 2))))
              (if (i32.eq (local.get $sW) (i32.const 1))
                (then ;; contiguous input run: four floats at a time
                  (block $vec_done (loop $vec
                    (br_if $vec_done (i32.gt_s (i32.add (local.get $ox) (i32.const 4)) (local.get $hi)))
                    (v128.store (i32.add (local.get $dst) (i32.shl (local.get $ox) (i32.const 2))) (v128.load (local.get $src)))
                    (local.set $src (i32.add (local.get $src) (i32.const 16)))
                    (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
                    (br $vec)))))
              (block $copy_done (loop $copy ;; the rest of the run (all of it when sW > 1)
                (br_if $copy_done (i32.ge_s (local.get $ox) (local.get $hi))) ;; TAIL-IM2COL
                (f32.store (i32.add (local.get $dst) (i32.shl (local.get $ox) (i32.const 2))) (f32.load (local.get $src)))
                (local.set $src (i32.add (local.get $src) (local.get $step)))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $copy)))))
          (block $zr_done (loop $zr ;; zeros on [hi, outW), or the whole line in the vertical padding
            (br_if $zr_done (i32.ge_s (local.get $ox) (local.get $outW)))
            (f32.store (i32.add (local.get $dst) (i32.shl (local.get $ox) (i32.const 2))) (f32.const 0))
            (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
            (br $zr)))
          (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $outW) (i32.const 2))))
          (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
          (br $lines)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $batch)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  ;; dx planes [pl0, pl1) (plane = b·C + ci) = Σ over (ki, kj) of the matching cols entries.
  ;; For one (ki, kj) the valid output rows oy form an interval too (as the columns ox do, by the
  ;; same formula with the vertical geometry), so each kernel position is a rectangle of runs: the
  ;; source steps by one cols line (outW floats), the destination by sH image rows.
  (func (export "col2im")
    (param $cols i32) (param $dx i32) (param $n i32) (param $c i32) (param $h i32) (param $w i32)
    (param $kh i32) (param $kw i32) (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32)
    (param $outH i32) (param $outW i32) (param $pl0 i32) (param $pl1 i32)
    (local $pl i32) (local $b i32) (local $ci i32) (local $ki i32) (local $kj i32) (local $oy i32)
    (local $ox i32) (local $lo i32) (local $hi i32) (local $oyLo i32) (local $oyHi i32) (local $plane i32)
    (local $src i32) (local $dst i32) (local $lineSrc i32) (local $lineDst i32) (local $P i32) (local $vecEnd i32)
    (local $step i32) (local $srcStep i32) (local $dstStep i32)
    (local.set $P (i32.mul (local.get $n) (i32.mul (local.get $outH) (local.get $outW))))
    (local.set $step (i32.shl (local.get $sW) (i32.const 2)))
    (local.set $srcStep (i32.shl (local.get $outW) (i32.const 2)))
    (local.set $dstStep (i32.shl (i32.mul (local.get $sH) (local.get $w)) (i32.const 2)))
    (local.set $pl (local.get $pl0))
    (block $planes_done (loop $planes
      (br_if $planes_done (i32.ge_s (local.get $pl) (local.get $pl1)))
      (local.set $b (i32.div_s (local.get $pl) (local.get $c)))
      (local.set $ci (i32.rem_s (local.get $pl) (local.get $c)))
      (local.set $plane (i32.add (local.get $dx) (i32.shl (i32.mul (local.get $pl) (i32.mul (local.get $h) (local.get $w))) (i32.const 2))))
      (memory.fill (local.get $plane) (i32.const 0) (i32.shl (i32.mul (local.get $h) (local.get $w)) (i32.const 2)))
      (local.set $ki (i32.const 0))
      (block $ki_done (loop $ki_loop
        (br_if $ki_done (i32.ge_s (local.get $ki) (local.get $kh)))
        (local.set $oyLo (call $lo (local.get $ki) (local.get $sH) (local.get $pH)))
        (local.set $oyHi (call $hi (local.get $ki) (local.get $sH) (local.get $pH) (local.get $h) (local.get $outH) (local.get $oyLo)))
        (local.set $kj (i32.const 0))
        (block $kj_done (loop $kj_loop
          (br_if $kj_done (i32.ge_s (local.get $kj) (local.get $kw)))
          (local.set $lo (call $lo (local.get $kj) (local.get $sW) (local.get $pW)))
          (local.set $hi (call $hi (local.get $kj) (local.get $sW) (local.get $pW) (local.get $w) (local.get $outW) (local.get $lo)))
          ;; first line: src = cols[row (ci, ki, kj), column (b, oyLo, lo)], dst = dx[b, ci, iy(oyLo), lo·sW − pW + kj]
          (local.set $lineSrc (i32.add (local.get $cols)
            (i32.shl (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $ci) (local.get $kh)) (local.get $ki)) (local.get $kw)) (local.get $kj))
                                       (local.get $P))
                              (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $outH)) (local.get $oyLo)) (local.get $outW))
                                       (local.get $lo)))
                     (i32.const 2))))
          (local.set $lineDst (i32.add (local.get $plane)
            (i32.shl (i32.add (i32.mul (i32.add (i32.sub (i32.mul (local.get $oyLo) (local.get $sH)) (local.get $pH)) (local.get $ki)) (local.get $w))
                              (i32.add (i32.sub (i32.mul (local.get $lo) (local.get $sW)) (local.get $pW)) (local.get $kj)))
                     (i32.const 2))))
          (local.set $vecEnd (i32.sub (local.get $hi) (i32.const 3)))
          (local.set $oy (local.get $oyLo))
          (block $lines_done (loop $lines
            (br_if $lines_done (i32.ge_s (local.get $oy) (local.get $oyHi)))
            (local.set $src (local.get $lineSrc))
            (local.set $dst (local.get $lineDst))
            (local.set $ox (local.get $lo))
            (if (i32.eq (local.get $sW) (i32.const 1))
              (then ;; contiguous run: four lanes at a time, then the run's tail one by one
                (block $vec_done (loop $vec
                  (br_if $vec_done (i32.ge_s (local.get $ox) (local.get $vecEnd)))
                  (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
                  (local.set $src (i32.add (local.get $src) (i32.const 16)))
                  (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                  (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
                  (br $vec)))
                (block $tail_done (loop $tail
                  (br_if $tail_done (i32.ge_s (local.get $ox) (local.get $hi))) ;; TAIL-COL2IM
                  (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
                  (local.set $src (i32.add (local.get $src) (i32.const 4)))
                  (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                  (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                  (br $tail))))
              (else
                (block $run_done (loop $run
                  (br_if $run_done (i32.ge_s (local.get $ox) (local.get $hi)))
                  (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
                  (local.set $src (i32.add (local.get $src) (i32.const 4)))
                  (local.set $dst (i32.add (local.get $dst) (local.get $step)))
                  (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                  (br $run)))))
            (local.set $lineSrc (i32.add (local.get $lineSrc) (local.get $srcStep)))
            (local.set $lineDst (i32.add (local.get $lineDst) (local.get $dstStep)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $lines)))
          (local.set $kj (i32.add (local.get $kj) (i32.const 1)))
          (br $kj_loop)))
        (local.set $ki (i32.add (local.get $ki) (i32.const 1)))
        (br $ki_loop)))
      (local.set $pl (i32.add (local.get $pl) (i32.const 1)))
      (br $planes))))
;; The NCHW ↔ [K, N·H'·W'] reordering of a convolution's output or output gradient, inside the
;; arena: src seen as [a, b, inner] floats is copied to dst as [b, a, inner], for the rows [i0, i1)
;; of a (threads take disjoint rows). Without a bias ($bias = 0) one memory.copy per run of inner
;; floats; with one (a convolution's output, a = channels) every run of row i gets bias[i] added on
;; the way, one float32 addition per element as addChannelBias does it, so the copy that reorders
;; the output also adds its bias (no separate pass over y).
  (func (export "swapLeading")
    (param $src i32) (param $dst i32) (param $a i32) (param $b i32) (param $inner i32) (param $bias i32) (param $i0 i32) (param $i1 i32)
    (local $i i32) (local $j i32) (local $bytes i32) (local $s i32) (local $d i32) (local $end i32) (local $vecEnd i32)
    (local $bi f32) (local $bv v128)
    (local.set $bytes (i32.shl (local.get $inner) (i32.const 2)))
    (local.set $i (local.get $i0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_s (local.get $i) (local.get $i1)))
      (if (local.get $bias) (then
        (local.set $bi (f32.load (i32.add (local.get $bias) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $bv (f32x4.splat (local.get $bi)))))
      (local.set $j (i32.const 0))
      (block $runs_done (loop $runs
        (br_if $runs_done (i32.ge_s (local.get $j) (local.get $b)))
        (local.set $d (i32.add (local.get $dst) (i32.mul (i32.add (i32.mul (local.get $j) (local.get $a)) (local.get $i)) (local.get $bytes))))
        (local.set $s (i32.add (local.get $src) (i32.mul (i32.add (i32.mul (local.get $i) (local.get $b)) (local.get $j)) (local.get $bytes))))
        (if (i32.eqz (local.get $bias))
          (then (memory.copy (local.get $d) (local.get $s) (local.get $bytes)))
          (else
            (local.set $end (i32.add (local.get $s) (local.get $bytes)))
            (local.set $vecEnd (i32.sub (local.get $end) (i32.const 12)))
            (block $vec_done (loop $vec ;; four floats at a time
              (br_if $vec_done (i32.ge_u (local.get $s) (local.get $vecEnd)))
              (v128.store (local.get $d) (f32x4.add (v128.load (local.get $s)) (local.get $bv)))
              (local.set $s (i32.add (local.get $s) (i32.const 16)))
              (local.set $d (i32.add (local.get $d) (i32.const 16)))
              (br $vec)))
            (block $tail_done (loop $tail ;; the run's last inner mod 4 floats
              (br_if $tail_done (i32.ge_u (local.get $s) (local.get $end))) ;; TAIL-BIAS
              (f32.store (local.get $d) (f32.add (f32.load (local.get $s)) (local.get $bi)))
              (local.set $s (i32.add (local.get $s) (i32.const 4)))
              (local.set $d (i32.add (local.get $d) (i32.const 4)))
              (br $tail)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $runs)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows))))
)
