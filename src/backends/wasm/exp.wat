;; e^x and the logistic sigmoid σ(x) = 1/(1 + e^−x) over float32 arrays, two elements at a time in
;; float64 (f64x2), giving the float32 results the reference gives with Math.exp. V8's Math.exp is
;; fdlibm's e_exp.c; $exp2 below runs the same double operations in the same order, fdlibm's
;; branches becoming lane selects (on an engine whose Math.exp is another libm, the results stay
;; V8's):
;;
;;   x = k·ln2 + r, |r| ≤ ln2/2, with k = trunc(x/ln2 ± 1/2) when |x| > ln2/2 (else k = 0, r = x),
;;     ln2 split into ln2hi (its low 32 bits zero, so k·ln2hi is exact) and ln2lo: hi = x − k·ln2hi,
;;     lo = k·ln2lo, r = hi − lo;
;;   c = r − r²·(P1 + r²·(P2 + r²·(P3 + r²·(P4 + r²·P5))))   (Remez fit of r·(e^r + 1)/(e^r − 1) − 2)
;;   e^r = 1 − ((lo − r·c/(2 − c)) − hi),   e^x = 2^k·e^r by adding k to the exponent bits.
;;
;; (fdlibm returns 1 − (r·c/(c − 2) − r) when k = 0; with lo = 0 and hi = r the form above is the
;; same double, since c − 2 = −(2 − c) exactly.) Three of fdlibm's cases are left out because none
;; can change a float32: |x| < 2^−28, where it returns 1 + x (both forms round to 1.0f); V8's exp(1)
;; = Math.E (one ulp from the formula; both round to the same float); and the gradual underflow
;; below 2^−1021, replaced by +0 for every x < −700 (e^−700 ≈ 1e−304, +0 in float32; from −700 up k
;; ≥ −1010, so the exponent addition cannot underflow). Above 709.78 the result is +∞, as fdlibm's.
;; A NaN comes back as itself, quieted (what a float32 NaN read into a JavaScript number becomes).
;;
;; Constants are fdlibm's, written as their bit patterns (i64x2) so they are exact by construction.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; e^x of both float64 lanes.
  (func $exp2 (param $x v128) (result v128)
    (local $k32 v128) (local $t v128) (local $k v128) (local $reduce v128)
    (local $hi v128) (local $lo v128) (local $r v128) (local $rr v128) (local $c v128) (local $y v128)
    ;; reduce where |x| > ln2/2, decided as fdlibm does on the high word of |x|
    (local.set $reduce (i64x2.gt_s
      (i64x2.shr_u (v128.and (local.get $x) (v128.const i64x2 0x7fffffffffffffff 0x7fffffffffffffff)) (i32.const 32))
      (v128.const i64x2 0x3fd62e42 0x3fd62e42)))
    ;; k = trunc(x·(1/ln2) ± 1/2), the sign of the half that of x
    (local.set $k32 (i32x4.trunc_sat_f64x2_s_zero
      (f64x2.add
        (f64x2.mul (local.get $x) (v128.const i64x2 0x3ff71547652b82fe 0x3ff71547652b82fe)) ;; 1/ln2
        (v128.bitselect (v128.const f64x2 -0.5 -0.5) (v128.const f64x2 0.5 0.5)
                        (f64x2.lt (local.get $x) (v128.const f64x2 0 0))))))
    ;; k = 0 (t = +0.0) in the lanes that do not reduce
    (local.set $t (v128.and (f64x2.convert_low_i32x4_s (local.get $k32)) (local.get $reduce)))
    (local.set $k (v128.and (i64x2.extend_low_i32x4_s (local.get $k32)) (local.get $reduce)))
    (local.set $hi (f64x2.sub (local.get $x)
      (f64x2.mul (local.get $t) (v128.const i64x2 0x3fe62e42fee00000 0x3fe62e42fee00000)))) ;; ln2hi
    (local.set $lo (f64x2.mul (local.get $t) (v128.const i64x2 0x3dea39ef35793c76 0x3dea39ef35793c76))) ;; ln2lo
    (local.set $r (f64x2.sub (local.get $hi) (local.get $lo)))
    (local.set $rr (f64x2.mul (local.get $r) (local.get $r)))
    (local.set $c (f64x2.sub (local.get $r) (f64x2.mul (local.get $rr)
      (f64x2.add (v128.const i64x2 0x3fc555555555553e 0x3fc555555555553e) (f64x2.mul (local.get $rr)        ;; P1
      (f64x2.add (v128.const i64x2 0xbf66c16c16bebd93 0xbf66c16c16bebd93) (f64x2.mul (local.get $rr)        ;; P2
      (f64x2.add (v128.const i64x2 0x3f11566aaf25de2c 0x3f11566aaf25de2c) (f64x2.mul (local.get $rr)        ;; P3
      (f64x2.add (v128.const i64x2 0xbebbbd41c5d26bf1 0xbebbbd41c5d26bf1) (f64x2.mul (local.get $rr)        ;; P4
                 (v128.const i64x2 0x3e66376972bea4d0 0x3e66376972bea4d0))))))))))))                       ;; P5
    (local.set $y (f64x2.sub (v128.const f64x2 1 1)
      (f64x2.sub
        (f64x2.sub (local.get $lo)
          (f64x2.div (f64x2.mul (local.get $r) (local.get $c)) (f64x2.sub (v128.const f64x2 2 2) (local.get $c))))
        (local.get $hi))))
    ;; 2^k: k added to the exponent field (fdlibm adds k << 20 to the high word)
    (local.set $y (i64x2.add (local.get $y) (i64x2.shl (local.get $k) (i32.const 52)))) ;; TAIL-SCALE
    ;; the ends of the range, then NaN
    (local.set $y (v128.bitselect (v128.const f64x2 inf inf) (local.get $y)
      (f64x2.gt (local.get $x) (v128.const i64x2 0x40862e42fefa39ef 0x40862e42fefa39ef)))) ;; 709.78…
    (local.set $y (v128.andnot (local.get $y) (f64x2.lt (local.get $x) (v128.const f64x2 -700 -700))))
    (v128.bitselect (local.get $x) (local.get $y) (f64x2.ne (local.get $x) (local.get $x))))

  ;; σ(x) as the reference writes it: 1/(1 + e^−x) for x ≥ 0 and e^x/(1 + e^x) below, so that the
  ;; exponential, e^−|x| either way, never overflows. One division: the numerator is selected.
  (func $sigmoid2 (param $x v128) (result v128)
    (local $e v128)
    (local.set $e (call $exp2 (f64x2.neg (f64x2.abs (local.get $x)))))
    (v128.bitselect
      (local.get $x)
      (f64x2.div
        (v128.bitselect (v128.const f64x2 1 1) (local.get $e) (f64x2.ge (local.get $x) (v128.const f64x2 0 0)))
        (f64x2.add (v128.const f64x2 1 1) (local.get $e)))
      (f64x2.ne (local.get $x) (local.get $x))))

  (func $apply (param $sigmoid i32) (param $x v128) (result v128)
    (if (result v128) (local.get $sigmoid)
      (then (call $sigmoid2 (local.get $x)))
      (else (call $exp2 (local.get $x)))))

  ;; out[i] = e^x[i] ($sigmoid = 0) or σ(x[i]) ($sigmoid = 1) for i in [lo, hi): float32 in and out,
  ;; float64 in between (the reference's float64 numbers, rounded to float32 when stored).
  (func (export "expOrSigmoid") (param $sigmoid i32) (param $x i32) (param $out i32) (param $lo i32) (param $hi i32)
    (local $at i32) (local $end i32)
    (local.set $at (i32.shl (local.get $lo) (i32.const 2)))
    (local.set $end (i32.shl (local.get $hi) (i32.const 2)))
    (block $pairs_done (loop $pairs
      (br_if $pairs_done (i32.gt_s (i32.add (local.get $at) (i32.const 8)) (local.get $end))) ;; TAIL-PAIRS
      (v128.store64_lane 0 (i32.add (local.get $out) (local.get $at))
        (f32x4.demote_f64x2_zero (call $apply (local.get $sigmoid)
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $x) (local.get $at)))))))
      (local.set $at (i32.add (local.get $at) (i32.const 8)))
      (br $pairs)))
    ;; an odd last element
    (if (i32.lt_s (local.get $at) (local.get $end))
      (then
        (v128.store32_lane 0 (i32.add (local.get $out) (local.get $at))
          (f32x4.demote_f64x2_zero (call $apply (local.get $sigmoid)
            (f64x2.promote_low_f32x4 (v128.load32_zero (i32.add (local.get $x) (local.get $at))))))))))
)
