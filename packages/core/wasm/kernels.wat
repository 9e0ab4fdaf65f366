;; Hand-written WASM SIMD kernels that work in place on tensors in tfjs's WASM heap (imported as env.memory), for the
;; hot spots of issue #20's profiles that tfjs's own WASM kernels or JavaScript loops serve slowly. Offsets are bytes;
;; arrays are float32. Built into packages/core/src/wasmKernelsModule.ts by `npm run build:wasm -w tools`.
;;
;; tanh: four lanes at a time (tanh was 64 % of sampling a 100k-point RealNVP batch, and a JavaScript loop cannot go
;; below ~25 ms per [100000, 64]). Eigen's float tanh (generic_fast_tanh_float): x clamped to [-C, C], then x·p(x²)/q(x²) with p of degree 6 and q of
;; degree 3 in x², in float32 arithmetic; beyond C the result is ±1 (float32 tanh(x) rounds to 1 from about 9.01, and
;; at C it is within 2.4e-7 of 1). NaN stays NaN (f32x4.min/max propagate it). The caller does the last n mod 4
;; elements.
(module
  (import "env" "memory" (memory 1))
  ;; src, dst: byte offsets of float32 arrays; n: element count (only the first n - n mod 4 are done here).
  (func (export "tanh") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $v v128) (local $x v128) (local $x2 v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v (v128.load align=4 (local.get $src)))
        (local.set $x (f32x4.min (f32x4.max (local.get $v) (v128.const f32x4 -7.905311107635498 -7.905311107635498 -7.905311107635498 -7.905311107635498)) (v128.const f32x4 7.905311107635498 7.905311107635498 7.905311107635498 7.905311107635498)))
        (local.set $x2 (f32x4.mul (local.get $x) (local.get $x)))
        (v128.store align=4 (local.get $dst)
          (v128.bitselect
            ;; copysign(1, v) where |v| > C
            (v128.or (v128.and (local.get $v) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)) (v128.const f32x4 1 1 1 1))
            (f32x4.div
              (f32x4.mul (local.get $x)
                (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (v128.const f32x4 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16) (local.get $x2)) (v128.const f32x4 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13)) (local.get $x2)) (v128.const f32x4 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11)) (local.get $x2)) (v128.const f32x4 5.12229709037114e-8 5.12229709037114e-8 5.12229709037114e-8 5.12229709037114e-8)) (local.get $x2)) (v128.const f32x4 1.48572235717979e-5 1.48572235717979e-5 1.48572235717979e-5 1.48572235717979e-5)) (local.get $x2)) (v128.const f32x4 6.37261928875436e-4 6.37261928875436e-4 6.37261928875436e-4 6.37261928875436e-4)) (local.get $x2)) (v128.const f32x4 4.89352455891786e-3 4.89352455891786e-3 4.89352455891786e-3 4.89352455891786e-3)))
              (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (v128.const f32x4 1.19825839466702e-6 1.19825839466702e-6 1.19825839466702e-6 1.19825839466702e-6) (local.get $x2)) (v128.const f32x4 1.18534705686654e-4 1.18534705686654e-4 1.18534705686654e-4 1.18534705686654e-4)) (local.get $x2)) (v128.const f32x4 2.268434632439e-3 2.268434632439e-3 2.268434632439e-3 2.268434632439e-3)) (local.get $x2)) (v128.const f32x4 4.89352518554385e-3 4.89352518554385e-3 4.89352518554385e-3 4.89352518554385e-3)))
            (f32x4.gt (f32x4.abs (local.get $v)) (v128.const f32x4 7.905311107635498 7.905311107635498 7.905311107635498 7.905311107635498))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next))))

  ;; sumRows: dst[j] = Σ_r src[r·cols + j] for a row-major [rows, cols] array, cols a multiple of 4 (the bias gradient
  ;; of a dense layer: tfjs's WASM Sum over axis 0 cost 0.5 ms at [1024, 64]). Accumulates in float32, row by row.
  (func (export "sumRows") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $rowBytes i32) (local $c i32) (local $end i32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $c (i32.const 0))
    (block $zeroed
      (loop $zero
        (br_if $zeroed (i32.ge_u (local.get $c) (local.get $rowBytes)))
        (v128.store align=4 (i32.add (local.get $dst) (local.get $c)) (v128.const i32x4 0 0 0 0))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $zero)))
    (local.set $end (i32.add (local.get $src) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $c (i32.const 0))
        (block $rowDone
          (loop $col
            (br_if $rowDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
            (v128.store align=4 (i32.add (local.get $dst) (local.get $c))
              (f32x4.add
                (v128.load align=4 (i32.add (local.get $dst) (local.get $c)))
                (v128.load align=4 (i32.add (local.get $src) (local.get $c)))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $col)))
        (local.set $src (i32.add (local.get $src) (local.get $rowBytes)))
        (br $row)))))
