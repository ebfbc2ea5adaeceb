;; Max-pooling forward over NCHW input with the argmax the backward pass routes gradients through
;; (see Kernels.maxPool2d). The same rule as the reference kernel, so the results are identical:
;; the first valid element of the window starts the maximum, a larger value or a NaN replaces it
;; (NaN propagates), and argmax is the flat index of the winner in x. Padding reads as −∞, i.e. it
;; is skipped: each window is clipped to the valid rows [iy0, iy1) and columns [ix0, ix1).
;;
;; Threads split over (b, c) planes, so they never write the same output.
(module
  (import "env" "memory" (memory 1 65536 shared))

  (func (export "maxPool2d")
    (param $x i32) (param $out i32) (param $argmax i32) (param $h i32) (param $w i32)
    (param $kh i32) (param $kw i32) (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32)
    (param $outH i32) (param $outW i32) (param $pl0 i32) (param $pl1 i32)
    (local $pl i32) (local $oy i32) (local $ox i32) (local $iy i32) (local $ix i32)
    (local $iy0 i32) (local $iy1 i32) (local $ix0 i32) (local $ix1 i32)
    (local $base i32) (local $o i32) (local $at i32) (local $best f32) (local $v f32) (local $idx i32)
    (local.set $pl (local.get $pl0))
    (local.set $o (i32.mul (local.get $pl0) (i32.mul (local.get $outH) (local.get $outW))))
    (block $planes_done (loop $planes
      (br_if $planes_done (i32.ge_s (local.get $pl) (local.get $pl1)))
      (local.set $base (i32.mul (local.get $pl) (i32.mul (local.get $h) (local.get $w))))
      (local.set $oy (i32.const 0))
      (block $oy_done (loop $oy_loop
        (br_if $oy_done (i32.ge_s (local.get $oy) (local.get $outH)))
        ;; the window's rows, clipped to the input
        (local.set $iy0 (i32.sub (i32.mul (local.get $oy) (local.get $sH)) (local.get $pH)))
        (local.set $iy1 (i32.add (local.get $iy0) (local.get $kh)))
        (if (i32.lt_s (local.get $iy0) (i32.const 0)) (then (local.set $iy0 (i32.const 0))))
        (if (i32.gt_s (local.get $iy1) (local.get $h)) (then (local.set $iy1 (local.get $h)))) ;; TAIL-POOL
        (local.set $ox (i32.const 0))
        (block $ox_done (loop $ox_loop
          (br_if $ox_done (i32.ge_s (local.get $ox) (local.get $outW)))
          (local.set $ix0 (i32.sub (i32.mul (local.get $ox) (local.get $sW)) (local.get $pW)))
          (local.set $ix1 (i32.add (local.get $ix0) (local.get $kw)))
          (if (i32.lt_s (local.get $ix0) (i32.const 0)) (then (local.set $ix0 (i32.const 0))))
          (if (i32.gt_s (local.get $ix1) (local.get $w)) (then (local.set $ix1 (local.get $w))))
          (local.set $best (f32.const -inf))
          (local.set $at (i32.const -1))
          (local.set $iy (local.get $iy0))
          (block $iy_done (loop $iy_loop
            (br_if $iy_done (i32.ge_s (local.get $iy) (local.get $iy1)))
            (local.set $ix (local.get $ix0))
            (block $ix_done (loop $ix_loop
              (br_if $ix_done (i32.ge_s (local.get $ix) (local.get $ix1)))
              (local.set $idx (i32.add (local.get $base) (i32.add (i32.mul (local.get $iy) (local.get $w)) (local.get $ix))))
              (local.set $v (f32.load (i32.add (local.get $x) (i32.shl (local.get $idx) (i32.const 2)))))
              (if (i32.or (i32.or (f32.gt (local.get $v) (local.get $best)) (i32.lt_s (local.get $at) (i32.const 0)))
                          (f32.ne (local.get $v) (local.get $v)))
                (then (local.set $best (local.get $v)) (local.set $at (local.get $idx))))
              (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
              (br $ix_loop)))
            (local.set $iy (i32.add (local.get $iy) (i32.const 1)))
            (br $iy_loop)))
          (f32.store (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 2))) (local.get $best))
          (i32.store (i32.add (local.get $argmax) (i32.shl (local.get $o) (i32.const 2))) (local.get $at))
          (local.set $o (i32.add (local.get $o) (i32.const 1)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $ox_loop)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oy_loop)))
      (local.set $pl (i32.add (local.get $pl) (i32.const 1)))
      (br $planes))))
;; The 2×2, stride 2, unpadded case (every pooling layer of the papers' CNNs), four outputs per
;; step without a branch: for outputs ox..ox+3 of output row oy, the two input rows give eight
;; floats each; even lanes are the windows' left column, odd lanes the right. The reference rule
;; then becomes three vector selects, in window order a (top left), b, c, d: a starts the maximum,
;; and each later element replaces it where it is larger or NaN; the index vector follows the
;; same masks. The last outW mod 4 outputs of a row go through the same rule one at a time.
  (func $better (param $v f32) (param $best f32) (result i32)
    (i32.or (f32.gt (local.get $v) (local.get $best)) (f32.ne (local.get $v) (local.get $v))))

  (func (export "maxPool2x2")
    (param $x i32) (param $out i32) (param $argmax i32) (param $h i32) (param $w i32)
    (param $outH i32) (param $outW i32) (param $pl0 i32) (param $pl1 i32)
    (local $pl i32) (local $oy i32) (local $ox i32) (local $i i32) (local $o i32) (local $row i32)
    (local $top0 v128) (local $top1 v128) (local $bottom0 v128) (local $bottom1 v128)
    (local $b v128) (local $c v128) (local $d v128) (local $best v128) (local $at v128) (local $mask v128)
    (local $index v128) (local $w4 v128)
    (local $sbest f32) (local $sat i32) (local $v f32)
    (local.set $w4 (i32x4.splat (local.get $w)))
    (local.set $pl (local.get $pl0))
    (local.set $o (i32.mul (local.get $pl0) (i32.mul (local.get $outH) (local.get $outW))))
    (block $planes_done (loop $planes
      (br_if $planes_done (i32.ge_s (local.get $pl) (local.get $pl1)))
      (local.set $oy (i32.const 0))
      (block $oy_done (loop $oy_loop
        (br_if $oy_done (i32.ge_s (local.get $oy) (local.get $outH)))
        ;; flat index of the top-left element of this output row's first window
        (local.set $row (i32.add (i32.mul (local.get $pl) (i32.mul (local.get $h) (local.get $w)))
                                 (i32.mul (i32.shl (local.get $oy) (i32.const 1)) (local.get $w))))
        (local.set $ox (i32.const 0))
        (block $vec_done (loop $vec
          (br_if $vec_done (i32.gt_s (i32.add (local.get $ox) (i32.const 4)) (local.get $outW)))
          (local.set $i (i32.add (local.get $row) (i32.shl (local.get $ox) (i32.const 1))))
          (local.set $top0 (v128.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $top1 (v128.load offset=16 (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $bottom0 (v128.load (i32.add (local.get $x) (i32.shl (i32.add (local.get $i) (local.get $w)) (i32.const 2)))))
          (local.set $bottom1 (v128.load offset=16 (i32.add (local.get $x) (i32.shl (i32.add (local.get $i) (local.get $w)) (i32.const 2)))))
          ;; a = even lanes of the top row, b = odd lanes; c, d likewise for the bottom row
          (local.set $best (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $top0) (local.get $top1)))
          (local.set $b (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $top0) (local.get $top1)))
          (local.set $c (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $bottom0) (local.get $bottom1)))
          (local.set $d (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $bottom0) (local.get $bottom1)))
          (local.set $index (i32x4.add (i32x4.splat (local.get $i)) (v128.const i32x4 0 2 4 6)))
          (local.set $at (local.get $index))
          (local.set $mask (v128.or (f32x4.gt (local.get $b) (local.get $best)) (f32x4.ne (local.get $b) (local.get $b))))
          (local.set $best (v128.bitselect (local.get $b) (local.get $best) (local.get $mask)))
          (local.set $at (v128.bitselect (i32x4.add (local.get $index) (v128.const i32x4 1 1 1 1)) (local.get $at) (local.get $mask)))
          (local.set $mask (v128.or (f32x4.gt (local.get $c) (local.get $best)) (f32x4.ne (local.get $c) (local.get $c))))
          (local.set $best (v128.bitselect (local.get $c) (local.get $best) (local.get $mask)))
          (local.set $at (v128.bitselect (i32x4.add (local.get $index) (local.get $w4)) (local.get $at) (local.get $mask)))
          (local.set $mask (v128.or (f32x4.gt (local.get $d) (local.get $best)) (f32x4.ne (local.get $d) (local.get $d))))
          (local.set $best (v128.bitselect (local.get $d) (local.get $best) (local.get $mask)))
          (local.set $at (v128.bitselect (i32x4.add (i32x4.add (local.get $index) (local.get $w4)) (v128.const i32x4 1 1 1 1)) (local.get $at) (local.get $mask)))
          (v128.store (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 2))) (local.get $best))
          (v128.store (i32.add (local.get $argmax) (i32.shl (local.get $o) (i32.const 2))) (local.get $at))
          (local.set $o (i32.add (local.get $o) (i32.const 4)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
          (br $vec)))
        ;; the row's last outW mod 4 outputs, one at a time
        (block $tail_done (loop $tail
          (br_if $tail_done (i32.ge_s (local.get $ox) (local.get $outW))) ;; TAIL-POOL2
          (local.set $i (i32.add (local.get $row) (i32.shl (local.get $ox) (i32.const 1))))
          (local.set $sbest (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $sat (local.get $i))
          (local.set $v (f32.load offset=4 (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
          (if (call $better (local.get $v) (local.get $sbest))
            (then (local.set $sbest (local.get $v)) (local.set $sat (i32.add (local.get $i) (i32.const 1)))))
          (local.set $v (f32.load (i32.add (local.get $x) (i32.shl (i32.add (local.get $i) (local.get $w)) (i32.const 2)))))
          (if (call $better (local.get $v) (local.get $sbest))
            (then (local.set $sbest (local.get $v)) (local.set $sat (i32.add (local.get $i) (local.get $w)))))
          (local.set $v (f32.load offset=4 (i32.add (local.get $x) (i32.shl (i32.add (local.get $i) (local.get $w)) (i32.const 2)))))
          (if (call $better (local.get $v) (local.get $sbest))
            (then (local.set $sbest (local.get $v)) (local.set $sat (i32.add (i32.add (local.get $i) (local.get $w)) (i32.const 1)))))
          (f32.store (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 2))) (local.get $sbest))
          (i32.store (i32.add (local.get $argmax) (i32.shl (local.get $o) (i32.const 2))) (local.get $sat))
          (local.set $o (i32.add (local.get $o) (i32.const 1)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $tail)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oy_loop)))
      (local.set $pl (i32.add (local.get $pl) (i32.const 1)))
      (br $planes))))
)
