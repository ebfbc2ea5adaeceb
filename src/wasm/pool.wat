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
)
