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

;; Implicit B for a convolution: the GEMM reads the unfolded columns straight from the NCHW image
;; instead of from an im2col copy of it. Row r = (ci·kh + ki)·kw + kj of the unfolded matrix ("a
;; kernel position") and column q = (b·outH + oy)·outW + ox ("a pixel") meet at image row
;; iy = Y(q) + ki and image column ix = X(q) + kj, with Y(q) = oy·sH − padH and X(q) = ox·sW − padW:
;;   x[b, ci, iy, ix] = x + kernelTerm(r) + pixelTerm(q)   (byte offsets)
;; with kernelTerm(r) = 4·(ci·h·w + ki·w + kj) and pixelTerm(q) = 4·(b·c·h·w + Y(q)·w + X(q)), when
;; 0 ≤ iy < h and 0 ≤ ix < w; outside (the zero padding) the entry is 0. So every index, kernel
;; position or pixel, carries a term and a coordinate pair (Y, X), which is (ki, kj) for a kernel
;; position, and op(B)(p, j) is one load at x + term(p) + term(j) when Y(p) + Y(j) ∈ [0, h) and
;; X(p) + X(j) ∈ [0, w), else 0: the same rule whichever kind of index p is. The forward pass has
;; p = kernel position, j = pixel; the filter gradient (columnsᵀ) has p = pixel, j = kernel position.
;; Both kinds are three digits (outer, yi, xi) = (b, oy, ox) or (ci, ki, kj), described alike:
;; Y = yi·stepY − padY, X = xi·stepX − padX, term = 4·(outer·outerStride + Y·w + X). Consecutive
;; indices (a block's rows, the columns of a call) step their digits instead of dividing them out.
;;
;; Without padding every entry is inside the image: a full 8-column panel is eight loads per row,
;; no test. With padding the same holds for a full panel whose columns' coordinate ranges, added to
;; those of the block's rows, stay inside the image (the interior of a large image). A panel at the
;; border checks each row against the panel's ranges: a row inside for all eight columns is eight
;; plain loads, any other is tested, four entries per SIMD compare (the load reads x itself where
;; the entry is padding, and a mask makes it +0). The partial last panel tests every row, its
;; columns past nb made to fail the test.
;;
;; The geometry block at $geom holds i32s: 0 x, 4 columns-are-pixels flag, 8 h, 12 w, then the two
;; index kinds as [outerStride, nY, nX, stepY, stepX, padY, padX]: pixels at 16 (c·h·w, outH, outW,
;; sH, sW, padH, padW), kernel positions at 44 (h·w, kh, kw, 1, 1, 0, 0).
;; Packing yields exactly the floats packB would read from an im2col copy (+0 in the padding, as
;; im2col writes it), so the sums (and the result) are bit-identical to the unfused path.

  ;; Indices [i, i + count) of the kind described at $kind (pixels: geom + 16, kernel positions:
  ;; geom + 44): stores the term (byte offset within the image) of index i + e at dst + 4e, its Y at
  ;; dst + stride + 4e and its X at dst + 2·stride + 4e. Only i is divided into its digits; the
  ;; others step from it.
  (func $terms (param $geom i32) (param $kind i32) (param $i i32) (param $count i32) (param $dst i32) (param $stride i32)
    (local $outerStride i32) (local $nY i32) (local $nX i32) (local $stepY i32) (local $stepX i32)
    (local $padX i32) (local $w i32) (local $outer i32) (local $yi i32) (local $xi i32) (local $y i32) (local $x i32)
    (local $end i32)
    (local.set $outerStride (i32.load (local.get $kind)))
    (local.set $nY (i32.load offset=4 (local.get $kind)))
    (local.set $nX (i32.load offset=8 (local.get $kind)))
    (local.set $stepY (i32.load offset=12 (local.get $kind)))
    (local.set $stepX (i32.load offset=16 (local.get $kind)))
    (local.set $padX (i32.load offset=24 (local.get $kind)))
    (local.set $w (i32.load offset=12 (local.get $geom)))
    (local.set $outer (i32.div_u (local.get $i) (i32.mul (local.get $nY) (local.get $nX))))
    (local.set $xi (i32.rem_u (local.get $i) (i32.mul (local.get $nY) (local.get $nX))))
    (local.set $yi (i32.div_u (local.get $xi) (local.get $nX)))
    (local.set $xi (i32.rem_u (local.get $xi) (local.get $nX)))
    (local.set $y (i32.sub (i32.mul (local.get $yi) (local.get $stepY)) (i32.load offset=20 (local.get $kind))))  ;; yi·stepY − padY
    (local.set $x (i32.sub (i32.mul (local.get $xi) (local.get $stepX)) (local.get $padX)))                       ;; xi·stepX − padX
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $count) (i32.const 2))))
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
      (i32.store (local.get $dst)
        (i32.shl (i32.add (i32.add (i32.mul (local.get $outer) (local.get $outerStride)) (i32.mul (local.get $y) (local.get $w)))
                          (local.get $x))
                 (i32.const 2)))
      (i32.store (i32.add (local.get $dst) (local.get $stride)) (local.get $y))
      (i32.store (i32.add (local.get $dst) (i32.shl (local.get $stride) (i32.const 1))) (local.get $x))
      ;; the next index: xi, then yi, then outer carry
      (local.set $xi (i32.add (local.get $xi) (i32.const 1)))
      (local.set $x (i32.add (local.get $x) (local.get $stepX)))
      (if (i32.eq (local.get $xi) (local.get $nX))
        (then
          (local.set $xi (i32.const 0))
          (local.set $x (i32.sub (i32.const 0) (local.get $padX)))
          (local.set $yi (i32.add (local.get $yi) (i32.const 1)))
          (local.set $y (i32.add (local.get $y) (local.get $stepY)))
          (if (i32.eq (local.get $yi) (local.get $nY))
            (then
              (local.set $yi (i32.const 0))
              (local.set $y (i32.sub (i32.const 0) (i32.load offset=20 (local.get $kind))))
              (local.set $outer (i32.add (local.get $outer) (i32.const 1)))))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (br $each))))

  ;; The smallest and the largest of four i32 lanes.
  (func $lanesMin (param $v v128) (result i32)
    (local.set $v (i32x4.min_s (local.get $v) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
    (i32x4.extract_lane 0 (i32x4.min_s (local.get $v) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $v) (local.get $v)))))
  (func $lanesMax (param $v v128) (result i32)
    (local.set $v (i32x4.max_s (local.get $v) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
    (i32x4.extract_lane 0 (i32x4.max_s (local.get $v) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $v) (local.get $v)))))

  ;; packB's panels for the implicit B described at $geom. $table (3168 bytes of scratch) holds the
  ;; row terms of [pc, pc+kb) at table + 4p, their Y at + 1024 + 4p and X at + 2048 + 4p (kb ≤ KC =
  ;; 256), then the current panel's eight column addresses (x + term) at + 3072 + 4jj, their Y at
  ;; + 3104 + 4jj and X at + 3136 + 4jj. The columns [jc, jc+nb) are visited in order by a cursor
  ;; that steps their digits as $terms does.
  (func $packBImplicit (param $geom i32) (param $pc i32) (param $kb i32) (param $jc i32) (param $nb i32)
                       (param $dst i32) (param $table i32)
    (local $rowKind i32) (local $colKind i32) (local $q i32) (local $p i32) (local $jj i32)
    (local $out i32) (local $row i32) (local $bases i32) (local $entry i32)
    (local $t0 i32) (local $t1 i32) (local $t2 i32) (local $t3 i32)
    (local $t4 i32) (local $t5 i32) (local $t6 i32) (local $t7 i32)
    (local $x i32) (local $h i32) (local $w i32) (local $padded i32) (local $full i32)
    (local $ry i32) (local $rx i32)
    (local $rowMinY i32) (local $rowMaxY i32) (local $rowMinX i32) (local $rowMaxX i32)
    (local $colMinY i32) (local $colMaxY i32) (local $colMinX i32) (local $colMaxX i32)
    (local $loY i32) (local $spanY i32) (local $loX i32) (local $spanX i32)
    ;; the column cursor: digits, coordinates, and its kind's description
    (local $co i32) (local $cyi i32) (local $cxi i32) (local $cy i32) (local $cx i32)
    (local $outerStride i32) (local $nY i32) (local $nX i32) (local $stepY i32) (local $stepX i32)
    (local $padY i32) (local $padX i32)
    (local $hv v128) (local $wv v128) (local $xv v128) (local $a0 v128) (local $a1 v128)
    (local $cy0 v128) (local $cy1 v128) (local $cx0 v128) (local $cx1 v128)
    (local $m v128) (local $v v128) (local $ryv v128) (local $rxv v128) (local $rowv v128)
    (local.set $colKind (select (i32.add (local.get $geom) (i32.const 16)) (i32.add (local.get $geom) (i32.const 44))
                                (i32.load offset=4 (local.get $geom))))
    (local.set $rowKind (select (i32.add (local.get $geom) (i32.const 44)) (i32.add (local.get $geom) (i32.const 16))
                                (i32.load offset=4 (local.get $geom))))
    (local.set $x (i32.load (local.get $geom)))
    (local.set $h (i32.load offset=8 (local.get $geom)))
    (local.set $w (i32.load offset=12 (local.get $geom)))
    (local.set $padded (i32.or (i32.load offset=36 (local.get $geom)) (i32.load offset=40 (local.get $geom))))
    (local.set $hv (i32x4.splat (local.get $h)))
    (local.set $wv (i32x4.splat (local.get $w)))
    (local.set $xv (i32x4.splat (local.get $x)))
    (local.set $bases (i32.add (local.get $table) (i32.const 3072)))
    ;; the block's rows: terms, coordinates and the coordinates' ranges
    (local.set $rowMinY (i32.const 0x7fffffff))
    (local.set $rowMaxY (i32.const 0x80000000))
    (local.set $rowMinX (i32.const 0x7fffffff))
    (local.set $rowMaxX (i32.const 0x80000000))
    (call $terms (local.get $geom) (local.get $rowKind) (local.get $pc) (local.get $kb) (local.get $table) (i32.const 1024))
    (local.set $p (i32.const 0))
    (block $terms_done (loop $terms
      (br_if $terms_done (i32.ge_s (local.get $p) (local.get $kb)))
      (local.set $entry (i32.add (local.get $table) (i32.shl (local.get $p) (i32.const 2))))
      (local.set $ry (i32.load offset=1024 (local.get $entry)))
      (local.set $rx (i32.load offset=2048 (local.get $entry)))
      (local.set $rowMinY (select (local.get $ry) (local.get $rowMinY) (i32.lt_s (local.get $ry) (local.get $rowMinY))))
      (local.set $rowMaxY (select (local.get $ry) (local.get $rowMaxY) (i32.gt_s (local.get $ry) (local.get $rowMaxY))))
      (local.set $rowMinX (select (local.get $rx) (local.get $rowMinX) (i32.lt_s (local.get $rx) (local.get $rowMinX))))
      (local.set $rowMaxX (select (local.get $rx) (local.get $rowMaxX) (i32.gt_s (local.get $rx) (local.get $rowMaxX))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $terms)))
    ;; the column cursor at jc
    (local.set $outerStride (i32.load (local.get $colKind)))
    (local.set $nY (i32.load offset=4 (local.get $colKind)))
    (local.set $nX (i32.load offset=8 (local.get $colKind)))
    (local.set $stepY (i32.load offset=12 (local.get $colKind)))
    (local.set $stepX (i32.load offset=16 (local.get $colKind)))
    (local.set $padY (i32.load offset=20 (local.get $colKind)))
    (local.set $padX (i32.load offset=24 (local.get $colKind)))
    (local.set $co (i32.div_u (local.get $jc) (i32.mul (local.get $nY) (local.get $nX))))
    (local.set $cxi (i32.rem_u (local.get $jc) (i32.mul (local.get $nY) (local.get $nX))))
    (local.set $cyi (i32.div_u (local.get $cxi) (local.get $nX)))
    (local.set $cxi (i32.rem_u (local.get $cxi) (local.get $nX)))
    (local.set $cy (i32.sub (i32.mul (local.get $cyi) (local.get $stepY)) (local.get $padY)))
    (local.set $cx (i32.sub (i32.mul (local.get $cxi) (local.get $stepX)) (local.get $padX)))
    (local.set $q (i32.const 0))
    (block $panels_done (loop $panels
      (br_if $panels_done (i32.ge_s (local.get $q) (local.get $nb)))
      ;; the panel's columns: addresses and coordinates. A column past nb gets address x and a Y
      ;; no row can bring inside the image, so that it packs as zeros.
      (local.set $jj (i32.const 0))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.ge_s (local.get $jj) (i32.const 8)))
        (local.set $entry (i32.add (local.get $bases) (i32.shl (local.get $jj) (i32.const 2))))
        (if (i32.lt_s (i32.add (local.get $q) (local.get $jj)) (local.get $nb)) ;; TAIL-IMPLICIT
          (then
            (i32.store (local.get $entry)
              (i32.add (local.get $x)
                (i32.shl (i32.add (i32.add (i32.mul (local.get $co) (local.get $outerStride))
                                           (i32.mul (local.get $cy) (local.get $w)))
                                  (local.get $cx))
                         (i32.const 2))))
            (i32.store offset=32 (local.get $entry) (local.get $cy))
            (i32.store offset=64 (local.get $entry) (local.get $cx))
            ;; step the cursor to the next column
            (local.set $cxi (i32.add (local.get $cxi) (i32.const 1)))
            (local.set $cx (i32.add (local.get $cx) (local.get $stepX)))
            (if (i32.eq (local.get $cxi) (local.get $nX))
              (then
                (local.set $cxi (i32.const 0))
                (local.set $cx (i32.sub (i32.const 0) (local.get $padX)))
                (local.set $cyi (i32.add (local.get $cyi) (i32.const 1)))
                (local.set $cy (i32.add (local.get $cy) (local.get $stepY)))
                (if (i32.eq (local.get $cyi) (local.get $nY))
                  (then
                    (local.set $cyi (i32.const 0))
                    (local.set $cy (i32.sub (i32.const 0) (local.get $padY)))
                    (local.set $co (i32.add (local.get $co) (i32.const 1))))))))
          (else
            (i32.store (local.get $entry) (local.get $x))
            (i32.store offset=32 (local.get $entry) (i32.const 0x40000000))
            (i32.store offset=64 (local.get $entry) (i32.const 0))))
        (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
        (br $cols)))
      (local.set $out (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $q) (local.get $kb)) (i32.const 2))))
      (local.set $full (i32.le_s (i32.add (local.get $q) (i32.const 8)) (local.get $nb)))
      (local.set $t0 (i32.load (local.get $bases)))
      (local.set $t1 (i32.load offset=4 (local.get $bases)))
      (local.set $t2 (i32.load offset=8 (local.get $bases)))
      (local.set $t3 (i32.load offset=12 (local.get $bases)))
      (local.set $t4 (i32.load offset=16 (local.get $bases)))
      (local.set $t5 (i32.load offset=20 (local.get $bases)))
      (local.set $t6 (i32.load offset=24 (local.get $bases)))
      (local.set $t7 (i32.load offset=28 (local.get $bases)))
      (local.set $a0 (v128.load (local.get $bases)))
      (local.set $a1 (v128.load offset=16 (local.get $bases)))
      (local.set $cy0 (v128.load offset=32 (local.get $bases)))
      (local.set $cy1 (v128.load offset=48 (local.get $bases)))
      (local.set $cx0 (v128.load offset=64 (local.get $bases)))
      (local.set $cx1 (v128.load offset=80 (local.get $bases)))
      ;; the columns' coordinate ranges (those of a full panel are all that is used)
      (local.set $colMinY (call $lanesMin (i32x4.min_s (local.get $cy0) (local.get $cy1))))
      (local.set $colMaxY (call $lanesMax (i32x4.max_s (local.get $cy0) (local.get $cy1))))
      (local.set $colMinX (call $lanesMin (i32x4.min_s (local.get $cx0) (local.get $cx1))))
      (local.set $colMaxX (call $lanesMax (i32x4.max_s (local.get $cx0) (local.get $cx1))))
      ;; the rows inside the image for all eight columns: Y ∈ [loY, loY + spanY), X ∈ [loX, loX + spanX)
      ;; (none for the partial last panel)
      (local.set $loY (i32.sub (i32.const 0) (local.get $colMinY)))
      (local.set $spanY (i32.sub (i32.sub (local.get $h) (local.get $colMaxY)) (local.get $loY)))
      (local.set $spanY (select (local.get $spanY) (i32.const 0) (i32.and (local.get $full) (i32.gt_s (local.get $spanY) (i32.const 0)))))
      (local.set $loX (i32.sub (i32.const 0) (local.get $colMinX)))
      (local.set $spanX (i32.sub (i32.sub (local.get $w) (local.get $colMaxX)) (local.get $loX)))
      (local.set $spanX (select (local.get $spanX) (i32.const 0) (i32.gt_s (local.get $spanX) (i32.const 0))))
      (if (i32.and (local.get $full)
                   (i32.or (i32.eqz (local.get $padded))
                           (i32.and (i32.and (i32.lt_u (i32.sub (local.get $rowMinY) (local.get $loY)) (local.get $spanY))
                                             (i32.lt_u (i32.sub (local.get $rowMaxY) (local.get $loY)) (local.get $spanY))) ;; PAD-PANEL
                                    (i32.and (i32.lt_u (i32.sub (local.get $rowMinX) (local.get $loX)) (local.get $spanX))
                                             (i32.lt_u (i32.sub (local.get $rowMaxX) (local.get $loX)) (local.get $spanX))))))
        (then ;; every row inside: eight loads per p, the addresses in locals
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
        (else ;; a panel at the border (or the partial last one): the rows inside as above, the others tested
          (local.set $p (i32.const 0))
          (block $border_done (loop $border
            (br_if $border_done (i32.ge_s (local.get $p) (local.get $kb)))
            (local.set $entry (i32.add (local.get $table) (i32.shl (local.get $p) (i32.const 2))))
            (local.set $row (i32.load (local.get $entry)))
            (local.set $ry (i32.load offset=1024 (local.get $entry)))
            (local.set $rx (i32.load offset=2048 (local.get $entry)))
            (if (i32.and (i32.lt_u (i32.sub (local.get $ry) (local.get $loY)) (local.get $spanY)) ;; PAD-ROW
                         (i32.lt_u (i32.sub (local.get $rx) (local.get $loX)) (local.get $spanX)))
              (then
                (f32.store (local.get $out) (f32.load (i32.add (local.get $t0) (local.get $row))))
                (f32.store offset=4 (local.get $out) (f32.load (i32.add (local.get $t1) (local.get $row))))
                (f32.store offset=8 (local.get $out) (f32.load (i32.add (local.get $t2) (local.get $row))))
                (f32.store offset=12 (local.get $out) (f32.load (i32.add (local.get $t3) (local.get $row))))
                (f32.store offset=16 (local.get $out) (f32.load (i32.add (local.get $t4) (local.get $row))))
                (f32.store offset=20 (local.get $out) (f32.load (i32.add (local.get $t5) (local.get $row))))
                (f32.store offset=24 (local.get $out) (f32.load (i32.add (local.get $t6) (local.get $row))))
                (f32.store offset=28 (local.get $out) (f32.load (i32.add (local.get $t7) (local.get $row)))))
              (else ;; inside iff Y(p) + Y(j) ∈ [0, h) and X(p) + X(j) ∈ [0, w), four columns per compare
                (local.set $ryv (i32x4.splat (local.get $ry)))
                (local.set $rxv (i32x4.splat (local.get $rx)))
                (local.set $rowv (i32x4.splat (local.get $row)))
                (local.set $m (v128.and (i32x4.lt_u (i32x4.add (local.get $ryv) (local.get $cy0)) (local.get $hv)) ;; PAD-TEST
                                        (i32x4.lt_u (i32x4.add (local.get $rxv) (local.get $cx0)) (local.get $wv))))
                (local.set $v (v128.bitselect (i32x4.add (local.get $a0) (local.get $rowv)) (local.get $xv) (local.get $m)))
                (v128.store (local.get $out)
                  (v128.and (local.get $m)
                    (f32x4.replace_lane 3
                      (f32x4.replace_lane 2
                        (f32x4.replace_lane 1
                          (f32x4.splat (f32.load (i32x4.extract_lane 0 (local.get $v))))
                          (f32.load (i32x4.extract_lane 1 (local.get $v))))
                        (f32.load (i32x4.extract_lane 2 (local.get $v))))
                      (f32.load (i32x4.extract_lane 3 (local.get $v))))))
                (if (i32.lt_s (i32.add (local.get $q) (i32.const 4)) (local.get $nb)) ;; columns 4–7: zeros when all past nb
                  (then
                    (local.set $m (v128.and (i32x4.lt_u (i32x4.add (local.get $ryv) (local.get $cy1)) (local.get $hv))
                                            (i32x4.lt_u (i32x4.add (local.get $rxv) (local.get $cx1)) (local.get $wv))))
                    (local.set $v (v128.bitselect (i32x4.add (local.get $a1) (local.get $rowv)) (local.get $xv) (local.get $m)))
                    (v128.store offset=16 (local.get $out)
                      (v128.and (local.get $m)
                        (f32x4.replace_lane 3
                          (f32x4.replace_lane 2
                            (f32x4.replace_lane 1
                              (f32x4.splat (f32.load (i32x4.extract_lane 0 (local.get $v))))
                              (f32.load (i32x4.extract_lane 1 (local.get $v))))
                            (f32.load (i32x4.extract_lane 2 (local.get $v))))
                          (f32.load (i32x4.extract_lane 3 (local.get $v)))))))
                  (else (v128.store offset=16 (local.get $out) (v128.const i32x4 0 0 0 0))))))
            (local.set $out (i32.add (local.get $out) (i32.const 32)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $border)))))
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
  ;; (KC·NC floats = 1 MiB), the edge tile (192 B: room for the fused variant's 6×8 tile, see
  ;; tallTileSource in scripts/assemble-wat.ts), the implicit B's table (3·KC + 3·8 i32s).
  ;; The host reserves scratchBytes() per thread.
  (func (export "scratchBytes") (result i32)
    (i32.const 1183008)) ;; (128·256 + 256·1024 + 48 + 3·256 + 3·8)·4

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
                                       (local.get $bpack) (i32.add (local.get $tmp) (i32.const 192))))
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
