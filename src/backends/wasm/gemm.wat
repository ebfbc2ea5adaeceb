;; GEMM with 128-bit SIMD: C[t] = op(A[t]) · op(B[t]) for every batch entry t, with op(A) m×k and
;; op(B) k×n, computed for the rows [i0, i1) and columns [j0, j1) of C only. Two threads each take a
;; disjoint rectangle of C; every element of C is summed over k in the same order whatever the
;; rectangle, so the result is bit-identical for one and two threads.
;;
;; Layouts. Element (i, p) of op(A) lives at A + (i·ars + p·acs)·4 with (ars, acs) = (k, 1) for a
;; row-major A and (1, m) for a transposed one; likewise op(B)(p, j) at B + (p·brs + j·bcs)·4 with
;; (brs, bcs) = (n, 1) or (1, k). The transposes therefore cost nothing beyond the packing below.
;;
;; Blocking (GotoBLAS order). Columns are taken NC at a time and the reduction KC at a time; that
;; KC×NC block of op(B) is packed into "panels" of 8 columns (for each p, 8 consecutive floats),
;; then rows are taken MC at a time and that MC×KC block of op(A) is packed into panels of 4 rows
;; (for each p, 4 consecutive floats). The micro-kernel multiplies one 4-row A panel by one
;; 8-column B panel: 4×8 results held in eight f32x4 accumulators (x64 has 16 xmm registers: 8
;; accumulators + 2 B vectors + 1 broadcast A value), 32 multiply-adds per 3 loads. The packed B
;; panel (KC·8·4 B = 8 KiB) stays in L1 while the A block (MC·KC·4 B = 128 KiB) streams from L2.
;;
;; Tails. m, n, k need not be multiples of anything: packing pads a partial A panel with zero rows
;; and a partial B panel with zero columns, so the micro-kernel always computes a full 4×8 tile;
;; only the valid rows × columns of an edge tile are written back (through a small scratch tile).
;; Padded rows/columns only ever meet padded outputs, which are discarded. The reduction tail
;; (k mod KC) needs no padding: the micro-kernel loops exactly kb times.
;; The first KC block stores into C, later blocks add to it.
;;
;; Convolutions. With $geom ≠ 0 the B operand is not in memory: it is the unfolded (im2col) image
;; described at $geom, packed straight from the image (see $packBImplicit).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Packs op(A)[ic .. ic+mb) × [pc .. pc+kb) into 4-row panels at dst:
  ;; element (ii, p) of the panel starting at row r lives at dst + (r·kb + 4p + ii)·4.
  (func $packA (param $a i32) (param $ars i32) (param $acs i32) (param $ic i32) (param $mb i32)
               (param $pc i32) (param $kb i32) (param $dst i32)
    (local $r i32) (local $p i32) (local $ii i32) (local $row i32)
    (local $src i32) (local $stepP i32)
    (local.set $stepP (i32.shl (local.get $acs) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $panels_done (loop $panels
      (br_if $panels_done (i32.ge_s (local.get $r) (local.get $mb)))
      ;; the four rows of this panel, one after the other in the interleaved layout
      (local.set $ii (i32.const 0))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_s (local.get $ii) (i32.const 4)))
        (local.set $row (i32.add (local.get $r) (local.get $ii)))
        (local.set $p (i32.const 0))
        (if (i32.lt_s (local.get $row) (local.get $mb)) ;; TAIL-A: rows past mb are zero
          (then
            (local.set $src (i32.add (local.get $a)
              (i32.shl (i32.add (i32.mul (i32.add (local.get $ic) (local.get $row)) (local.get $ars))
                                (i32.mul (local.get $pc) (local.get $acs)))
                       (i32.const 2))))
            (block $copy_done (loop $copy
              (br_if $copy_done (i32.ge_s (local.get $p) (local.get $kb)))
              (f32.store
                (i32.add (local.get $dst) (i32.shl (i32.add (i32.add (i32.mul (local.get $r) (local.get $kb))
                                                                     (i32.shl (local.get $p) (i32.const 2)))
                                                             (local.get $ii)) (i32.const 2)))
                (f32.load (local.get $src)))
              (local.set $src (i32.add (local.get $src) (local.get $stepP)))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $copy))))
          (else
            (block $zero_done (loop $zero
              (br_if $zero_done (i32.ge_s (local.get $p) (local.get $kb)))
              (f32.store
                (i32.add (local.get $dst) (i32.shl (i32.add (i32.add (i32.mul (local.get $r) (local.get $kb))
                                                                     (i32.shl (local.get $p) (i32.const 2)))
                                                             (local.get $ii)) (i32.const 2)))
                (f32.const 0))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $zero)))))
        (local.set $ii (i32.add (local.get $ii) (i32.const 1)))
        (br $rows)))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $panels))))

  ;; Packs op(B)[pc .. pc+kb) × [jc .. jc+nb) into 8-column panels at dst:
  ;; element (p, jj) of the panel starting at column q lives at dst + (q·kb + 8p + jj)·4.
  ;; A full panel of a row-major B is two v128 copies per p; everything else goes element-wise.
  (func $packB (param $b i32) (param $brs i32) (param $bcs i32) (param $pc i32) (param $kb i32)
               (param $jc i32) (param $nb i32) (param $dst i32)
    (local $q i32) (local $p i32) (local $jj i32) (local $col i32)
    (local $src i32) (local $out i32) (local $stepP i32)
    (local.set $stepP (i32.shl (local.get $brs) (i32.const 2)))
    (local.set $q (i32.const 0))
    (block $panels_done (loop $panels
      (br_if $panels_done (i32.ge_s (local.get $q) (local.get $nb)))
      (if (i32.and (i32.eq (local.get $bcs) (i32.const 1))
                   (i32.le_s (i32.add (local.get $q) (i32.const 8)) (local.get $nb)))
        (then ;; full panel, contiguous columns: 8 floats per p
          (local.set $src (i32.add (local.get $b)
            (i32.shl (i32.add (i32.mul (local.get $pc) (local.get $brs)) (i32.add (local.get $jc) (local.get $q)))
                     (i32.const 2))))
          (local.set $out (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $q) (local.get $kb)) (i32.const 2))))
          (local.set $p (i32.const 0))
          (block $copy_done (loop $copy
            (br_if $copy_done (i32.ge_s (local.get $p) (local.get $kb)))
            (v128.store (local.get $out) (v128.load (local.get $src)))
            (v128.store offset=16 (local.get $out) (v128.load offset=16 (local.get $src)))
            (local.set $src (i32.add (local.get $src) (local.get $stepP)))
            (local.set $out (i32.add (local.get $out) (i32.const 32)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $copy))))
        (else ;; strided columns (transposed B) or the partial last panel: one column at a time
          (local.set $jj (i32.const 0))
          (block $cols_done (loop $cols
            (br_if $cols_done (i32.ge_s (local.get $jj) (i32.const 8)))
            (local.set $col (i32.add (local.get $q) (local.get $jj)))
            (local.set $out (i32.add (local.get $dst)
              (i32.shl (i32.add (i32.mul (local.get $q) (local.get $kb)) (local.get $jj)) (i32.const 2))))
            (local.set $p (i32.const 0))
            (if (i32.lt_s (local.get $col) (local.get $nb)) ;; TAIL-B: columns past nb are zero
              (then
                (local.set $src (i32.add (local.get $b)
                  (i32.shl (i32.add (i32.mul (local.get $pc) (local.get $brs))
                                    (i32.mul (i32.add (local.get $jc) (local.get $col)) (local.get $bcs)))
                           (i32.const 2))))
                (block $copy_done (loop $copy
                  (br_if $copy_done (i32.ge_s (local.get $p) (local.get $kb)))
                  (f32.store (local.get $out) (f32.load (local.get $src)))
                  (local.set $src (i32.add (local.get $src) (local.get $stepP)))
                  (local.set $out (i32.add (local.get $out) (i32.const 32)))
                  (local.set $p (i32.add (local.get $p) (i32.const 1)))
                  (br $copy))))
              (else
                (block $zero_done (loop $zero
                  (br_if $zero_done (i32.ge_s (local.get $p) (local.get $kb)))
                  (f32.store (local.get $out) (f32.const 0))
                  (local.set $out (i32.add (local.get $out) (i32.const 32)))
                  (local.set $p (i32.add (local.get $p) (i32.const 1)))
                  (br $zero)))))
            (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
            (br $cols)))))
      (local.set $q (i32.add (local.get $q) (i32.const 8)))
      (br $panels))))

;; Implicit B for an unpadded convolution: the GEMM reads the unfolded columns straight from the
;; NCHW image instead of from an im2col copy of it. Column r = (ci·kh + ki)·kw + kj of the unfolded
;; matrix ("a kernel position") and column q = (b·outH + oy)·outW + ox ("a pixel") meet at
;;   x[b, ci, oy·sH + ki, ox·sW + kj] = x + kernelTerm(r) + pixelTerm(q)   (byte offsets)
;; with kernelTerm(r) = 4·(ci·h·w + ki·w + kj) and pixelTerm(q) = 4·(b·c·h·w + oy·sH·w + ox·sW).
;; Without padding every such address is inside the image, so op(B)(p, j) is one load at
;; x + rowTerm(p) + colTerm(j): the forward pass has p = kernel position, j = pixel; the filter
;; gradient (columnsᵀ) has p = pixel, j = kernel position. The geometry block at $geom holds i32s:
;;   0 x, 4 columns-are-pixels flag, 8 c·h·w, 12 h·w, 16 w, 20 kh·kw, 24 kw, 28 sH·w, 32 sW,
;;   36 outH·outW, 40 outW.
;; Packing yields exactly the floats packB would read from an im2col copy, so the sums (and the
;; result) are bit-identical to the unfused path.

  ;; Byte offset of kernel position r (pixel = 0) or of pixel q (pixel = 1) within the image.
  (func $term (param $geom i32) (param $pixel i32) (param $i i32) (result i32)
    (local $whole i32) (local $rest i32)
    (if (result i32) (local.get $pixel)
      (then
        (local.set $whole (i32.div_u (local.get $i) (i32.load offset=36 (local.get $geom))))  ;; b
        (local.set $rest (i32.rem_u (local.get $i) (i32.load offset=36 (local.get $geom))))   ;; oy·outW + ox
        (i32.shl (i32.add (i32.add (i32.mul (local.get $whole) (i32.load offset=8 (local.get $geom)))
                                   (i32.mul (i32.div_u (local.get $rest) (i32.load offset=40 (local.get $geom)))
                                            (i32.load offset=28 (local.get $geom))))
                          (i32.mul (i32.rem_u (local.get $rest) (i32.load offset=40 (local.get $geom)))
                                   (i32.load offset=32 (local.get $geom))))
                 (i32.const 2)))
      (else
        (local.set $whole (i32.div_u (local.get $i) (i32.load offset=20 (local.get $geom))))  ;; ci
        (local.set $rest (i32.rem_u (local.get $i) (i32.load offset=20 (local.get $geom))))   ;; ki·kw + kj
        (i32.shl (i32.add (i32.add (i32.mul (local.get $whole) (i32.load offset=12 (local.get $geom)))
                                   (i32.mul (i32.div_u (local.get $rest) (i32.load offset=24 (local.get $geom)))
                                            (i32.load offset=16 (local.get $geom))))
                          (i32.rem_u (local.get $rest) (i32.load offset=24 (local.get $geom))))
                 (i32.const 2)))))

  ;; packB's panels for the implicit B described at $geom. $table (kb + 8 i32s of scratch) holds the
  ;; row terms of [pc, pc+kb) and then the eight column addresses of the current panel.
  (func $packBImplicit (param $geom i32) (param $pc i32) (param $kb i32) (param $jc i32) (param $nb i32)
                       (param $dst i32) (param $table i32)
    (local $colsArePixels i32) (local $q i32) (local $p i32) (local $jj i32) (local $col i32)
    (local $out i32) (local $row i32) (local $base i32) (local $bases i32)
    (local $t0 i32) (local $t1 i32) (local $t2 i32) (local $t3 i32)
    (local $t4 i32) (local $t5 i32) (local $t6 i32) (local $t7 i32)
    (local.set $colsArePixels (i32.load offset=4 (local.get $geom)))
    (local.set $bases (i32.add (local.get $table) (i32.shl (local.get $kb) (i32.const 2))))
    (local.set $p (i32.const 0))
    (block $terms_done (loop $terms
      (br_if $terms_done (i32.ge_s (local.get $p) (local.get $kb)))
      (i32.store (i32.add (local.get $table) (i32.shl (local.get $p) (i32.const 2)))
        (call $term (local.get $geom) (i32.eqz (local.get $colsArePixels)) (i32.add (local.get $pc) (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $terms)))
    (local.set $q (i32.const 0))
    (block $panels_done (loop $panels
      (br_if $panels_done (i32.ge_s (local.get $q) (local.get $nb)))
      ;; the panel's column addresses; −1 marks a column past nb
      (local.set $jj (i32.const 0))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.ge_s (local.get $jj) (i32.const 8)))
        (local.set $col (i32.add (local.get $q) (local.get $jj)))
        (i32.store (i32.add (local.get $bases) (i32.shl (local.get $jj) (i32.const 2)))
          (select (i32.add (i32.load (local.get $geom))
                           (call $term (local.get $geom) (local.get $colsArePixels) (i32.add (local.get $jc) (local.get $col))))
                  (i32.const -1)
                  (i32.lt_s (local.get $col) (local.get $nb)))) ;; TAIL-IMPLICIT
        (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
        (br $cols)))
      (local.set $out (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $q) (local.get $kb)) (i32.const 2))))
      (if (i32.le_s (i32.add (local.get $q) (i32.const 8)) (local.get $nb))
        (then ;; full panel: eight loads per p, the addresses in locals
          (local.set $t0 (i32.load (local.get $bases)))
          (local.set $t1 (i32.load offset=4 (local.get $bases)))
          (local.set $t2 (i32.load offset=8 (local.get $bases)))
          (local.set $t3 (i32.load offset=12 (local.get $bases)))
          (local.set $t4 (i32.load offset=16 (local.get $bases)))
          (local.set $t5 (i32.load offset=20 (local.get $bases)))
          (local.set $t6 (i32.load offset=24 (local.get $bases)))
          (local.set $t7 (i32.load offset=28 (local.get $bases)))
          (local.set $p (i32.const 0))
          (block $copy_done (loop $copy
            (br_if $copy_done (i32.ge_s (local.get $p) (local.get $kb)))
            (local.set $row (i32.load (i32.add (local.get $table) (i32.shl (local.get $p) (i32.const 2)))))
            (f32.store (local.get $out) (f32.load (i32.add (local.get $t0) (local.get $row))))
            (f32.store offset=4 (local.get $out) (f32.load (i32.add (local.get $t1) (local.get $row))))
            (f32.store offset=8 (local.get $out) (f32.load (i32.add (local.get $t2) (local.get $row))))
            (f32.store offset=12 (local.get $out) (f32.load (i32.add (local.get $t3) (local.get $row))))
            (f32.store offset=16 (local.get $out) (f32.load (i32.add (local.get $t4) (local.get $row))))
            (f32.store offset=20 (local.get $out) (f32.load (i32.add (local.get $t5) (local.get $row))))
            (f32.store offset=24 (local.get $out) (f32.load (i32.add (local.get $t6) (local.get $row))))
            (f32.store offset=28 (local.get $out) (f32.load (i32.add (local.get $t7) (local.get $row))))
            (local.set $out (i32.add (local.get $out) (i32.const 32)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $copy))))
        (else ;; the partial last panel: one column at a time, zeros past nb
          (local.set $jj (i32.const 0))
          (block $tail_done (loop $tail
            (br_if $tail_done (i32.ge_s (local.get $jj) (i32.const 8)))
            (local.set $base (i32.load (i32.add (local.get $bases) (i32.shl (local.get $jj) (i32.const 2)))))
            (local.set $out (i32.add (local.get $dst)
              (i32.shl (i32.add (i32.mul (local.get $q) (local.get $kb)) (local.get $jj)) (i32.const 2))))
            (local.set $p (i32.const 0))
            (block $fill_done (loop $fill
              (br_if $fill_done (i32.ge_s (local.get $p) (local.get $kb)))
              (f32.store (local.get $out)
                (if (result f32) (i32.ne (local.get $base) (i32.const -1))
                  (then (f32.load (i32.add (local.get $base)
                                           (i32.load (i32.add (local.get $table) (i32.shl (local.get $p) (i32.const 2)))))))
                  (else (f32.const 0))))
              (local.set $out (i32.add (local.get $out) (i32.const 32)))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $fill)))
            (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
            (br $tail)))))
      (local.set $q (i32.add (local.get $q) (i32.const 8)))
      (br $panels))))

  ;; The 4×8 micro-kernel: acc = Σ_p Apanel[p]ᵀ ⊗ Bpanel[p] over kb ≥ 1 steps, then C (rows × cols
  ;; valid, row stride ldc bytes) = acc when first, C += acc otherwise.
  (func $kernel (param $ap i32) (param $bp i32) (param $kb i32) (param $c i32) (param $ldc i32)
                (param $rows i32) (param $cols i32) (param $first i32) (param $tmp i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (local $ii i32) (local $jj i32) (local $dst i32) (local $v f32)
    (loop $steps
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $av (v128.load32_splat (local.get $ap)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=4 (local.get $ap)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=8 (local.get $ap)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $av (v128.load32_splat offset=12 (local.get $ap)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
      (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
      (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
      (local.set $kb (i32.sub (local.get $kb) (i32.const 1)))
      (br_if $steps (local.get $kb)))
    (if (i32.and (i32.eq (local.get $rows) (i32.const 4)) (i32.eq (local.get $cols) (i32.const 8)))
      (then ;; interior tile: straight into C
        (if (local.get $first)
          (then
            (v128.store (local.get $c) (local.get $c00))
            (v128.store offset=16 (local.get $c) (local.get $c01))
            (local.set $c (i32.add (local.get $c) (local.get $ldc)))
            (v128.store (local.get $c) (local.get $c10))
            (v128.store offset=16 (local.get $c) (local.get $c11))
            (local.set $c (i32.add (local.get $c) (local.get $ldc)))
            (v128.store (local.get $c) (local.get $c20))
            (v128.store offset=16 (local.get $c) (local.get $c21))
            (local.set $c (i32.add (local.get $c) (local.get $ldc)))
            (v128.store (local.get $c) (local.get $c30))
            (v128.store offset=16 (local.get $c) (local.get $c31)))
          (else
            (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c00)))
            (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c01)))
            (local.set $c (i32.add (local.get $c) (local.get $ldc)))
            (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c10)))
            (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c11)))
            (local.set $c (i32.add (local.get $c) (local.get $ldc)))
            (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c20)))
            (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c21)))
            (local.set $c (i32.add (local.get $c) (local.get $ldc)))
            (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c30)))
            (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c31))))))
      (else ;; edge tile: spill the 4×8 accumulators to tmp, write back the valid rows × cols only
        (v128.store (local.get $tmp) (local.get $c00))
        (v128.store offset=16 (local.get $tmp) (local.get $c01))
        (v128.store offset=32 (local.get $tmp) (local.get $c10))
        (v128.store offset=48 (local.get $tmp) (local.get $c11))
        (v128.store offset=64 (local.get $tmp) (local.get $c20))
        (v128.store offset=80 (local.get $tmp) (local.get $c21))
        (v128.store offset=96 (local.get $tmp) (local.get $c30))
        (v128.store offset=112 (local.get $tmp) (local.get $c31))
        (local.set $ii (i32.const 0))
        (block $rows_done (loop $rows
          (br_if $rows_done (i32.ge_s (local.get $ii) (local.get $rows)))
          (local.set $jj (i32.const 0))
          (block $cols_done (loop $cols
            (br_if $cols_done (i32.ge_s (local.get $jj) (local.get $cols))) ;; TAIL-C: valid columns only
            (local.set $dst (i32.add (i32.add (local.get $c) (i32.mul (local.get $ii) (local.get $ldc)))
                                     (i32.shl (local.get $jj) (i32.const 2))))
            (local.set $v (f32.load (i32.add (local.get $tmp)
                                             (i32.shl (i32.add (i32.shl (local.get $ii) (i32.const 3)) (local.get $jj))
                                                      (i32.const 2)))))
            (if (local.get $first)
              (then (f32.store (local.get $dst) (local.get $v)))
              (else (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (local.get $v)))))
            (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
            (br $cols)))
          (local.set $ii (i32.add (local.get $ii) (i32.const 1)))
          (br $rows))))))

  ;; Scratch layout (bytes from $scratch): packed A block (MC·KC floats = 128 KiB), packed B block
  ;; (KC·NC floats = 1 MiB), the 4×8 edge tile (128 B), the implicit B's table (KC + 8 i32s).
  ;; The host reserves scratchBytes() per thread.
  (func (export "scratchBytes") (result i32)
    (i32.const 1180832)) ;; (128·256 + 256·1024 + 32 + 256 + 8)·4

  (func (export "gemm")
    (param $a i32) (param $b i32) (param $c i32) (param $batch i32) (param $aStride i32) (param $bStride i32)
    (param $m i32) (param $n i32) (param $k i32) (param $transA i32) (param $transB i32)
    (param $i0 i32) (param $i1 i32) (param $j0 i32) (param $j1 i32) (param $scratch i32) (param $geom i32)
    (local $ars i32) (local $acs i32) (local $brs i32) (local $bcs i32)
    (local $t i32) (local $ab i32) (local $bb i32) (local $cb i32)
    (local $jc i32) (local $nb i32) (local $pc i32) (local $kb i32) (local $ic i32) (local $mb i32)
    (local $jr i32) (local $ir i32) (local $apack i32) (local $bpack i32) (local $tmp i32)
    (local $first i32) (local $ldc i32)
    (local.set $ars (select (i32.const 1) (local.get $k) (local.get $transA)))
    (local.set $acs (select (local.get $m) (i32.const 1) (local.get $transA)))
    (local.set $brs (select (i32.const 1) (local.get $n) (local.get $transB)))
    (local.set $bcs (select (local.get $k) (i32.const 1) (local.get $transB)))
    (local.set $apack (local.get $scratch))
    (local.set $bpack (i32.add (local.get $scratch) (i32.const 131072)))  ;; + MC·KC·4
    (local.set $tmp (i32.add (local.get $bpack) (i32.const 1048576)))     ;; + KC·NC·4
    (local.set $ldc (i32.shl (local.get $n) (i32.const 2)))
    (local.set $t (i32.const 0))
    (block $batch_done (loop $batch_loop
      (br_if $batch_done (i32.ge_s (local.get $t) (local.get $batch)))
      (local.set $ab (i32.add (local.get $a) (i32.shl (i32.mul (local.get $t) (local.get $aStride)) (i32.const 2))))
      (local.set $bb (i32.add (local.get $b) (i32.shl (i32.mul (local.get $t) (local.get $bStride)) (i32.const 2))))
      (local.set $cb (i32.add (local.get $c) (i32.shl (i32.mul (local.get $t) (i32.mul (local.get $m) (local.get $n))) (i32.const 2))))
      (local.set $jc (local.get $j0))
      (block $jc_done (loop $jc_loop
        (br_if $jc_done (i32.ge_s (local.get $jc) (local.get $j1)))
        (local.set $nb (i32.sub (local.get $j1) (local.get $jc)))
        (if (i32.gt_s (local.get $nb) (i32.const 1024)) (then (local.set $nb (i32.const 1024))))
        (local.set $pc (i32.const 0))
        (block $pc_done (loop $pc_loop
          (br_if $pc_done (i32.ge_s (local.get $pc) (local.get $k)))
          (local.set $kb (i32.sub (local.get $k) (local.get $pc)))
          (if (i32.gt_s (local.get $kb) (i32.const 256)) (then (local.set $kb (i32.const 256))))
          (local.set $first (i32.eqz (local.get $pc)))
          (if (local.get $geom) ;; B is the unfolded image described at $geom (batch 1)
            (then (call $packBImplicit (local.get $geom) (local.get $pc) (local.get $kb) (local.get $jc) (local.get $nb)
                                       (local.get $bpack) (i32.add (local.get $tmp) (i32.const 128))))
            (else (call $packB (local.get $bb) (local.get $brs) (local.get $bcs) (local.get $pc) (local.get $kb)
                               (local.get $jc) (local.get $nb) (local.get $bpack))))
          (local.set $ic (local.get $i0))
          (block $ic_done (loop $ic_loop
            (br_if $ic_done (i32.ge_s (local.get $ic) (local.get $i1)))
            (local.set $mb (i32.sub (local.get $i1) (local.get $ic)))
            (if (i32.gt_s (local.get $mb) (i32.const 128)) (then (local.set $mb (i32.const 128))))
            (call $packA (local.get $ab) (local.get $ars) (local.get $acs) (local.get $ic) (local.get $mb)
                         (local.get $pc) (local.get $kb) (local.get $apack))
            ;; micro-tiles: B panel outer (stays in L1), A panels inner
            (local.set $jr (i32.const 0))
            (block $jr_done (loop $jr_loop
              (br_if $jr_done (i32.ge_s (local.get $jr) (local.get $nb)))
              (local.set $ir (i32.const 0))
              (block $ir_done (loop $ir_loop
                (br_if $ir_done (i32.ge_s (local.get $ir) (local.get $mb)))
                (call $kernel
                  (i32.add (local.get $apack) (i32.shl (i32.mul (local.get $ir) (local.get $kb)) (i32.const 2)))
                  (i32.add (local.get $bpack) (i32.shl (i32.mul (local.get $jr) (local.get $kb)) (i32.const 2)))
                  (local.get $kb)
                  (i32.add (local.get $cb)
                    (i32.shl (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $n))
                                      (i32.add (local.get $jc) (local.get $jr)))
                             (i32.const 2)))
                  (local.get $ldc)
                  (select (i32.const 4) (i32.sub (local.get $mb) (local.get $ir))
                          (i32.ge_s (i32.sub (local.get $mb) (local.get $ir)) (i32.const 4)))
                  (select (i32.const 8) (i32.sub (local.get $nb) (local.get $jr))
                          (i32.ge_s (i32.sub (local.get $nb) (local.get $jr)) (i32.const 8)))
                  (local.get $first)
                  (local.get $tmp))
                (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
                (br $ir_loop)))
              (local.set $jr (i32.add (local.get $jr) (i32.const 8)))
              (br $jr_loop)))
            (local.set $ic (i32.add (local.get $ic) (i32.const 128)))
            (br $ic_loop)))
          (local.set $pc (i32.add (local.get $pc) (i32.const 256)))
          (br $pc_loop)))
        (local.set $jc (i32.add (local.get $jc) (i32.const 1024)))
        (br $jc_loop)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $batch_loop))))
)
