;; Hand-written WASM SIMD kernels that work in place on tensors in tfjs's WASM heap (imported as env.memory), for the
;; hot spots of issue #20's profiles that tfjs's own WASM kernels or JavaScript loops serve slowly. Offsets are bytes;
;; arrays are float32. Built into packages/core/src/wasmKernelsModule.ts by `npm run build:wasm -w tools`.
;;
;; tanh: four lanes at a time (tanh was 64 % of sampling a 100k-point RealNVP batch, and a JavaScript loop cannot go
;; below ~25 ms per [100000, 64]). Eigen's float tanh (generic_fast_tanh_float): x clamped to [-C, C], then x·p(x²)/q(x²) with p of degree 6 and q of
;; degree 3 in x², in float32 arithmetic; beyond C the result is ±1 (float32 tanh(x) rounds to 1 from about 9.01, and
;; at C it is within 2.4e-7 of 1). NaN stays NaN (the clamp is pmax(v, −C) then pmin(·, C): x86's maxps/minps, which
;; return their first operand for NaN; wasm's min/max, which propagate NaN themselves, cost ≈ 1 ns more per vector in
;; V8). The caller does the last n mod 4 elements.
(module
  (import "env" "memory" (memory 1))
  ;; Math.log and Math.exp, so the ziggurat's rejection branch computes the same doubles as rng.ts.
  (import "env" "log" (func $log (param f64) (result f64)))
  (import "env" "exp" (func $exp (param f64) (result f64)))
  ;; src, dst: byte offsets of float32 arrays; n: element count (only the first n - n mod 4 are done here).
  (func (export "tanh") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $v_0 v128) (local $v_1 v128) (local $v_2 v128) (local $v_3 v128) (local $x_0 v128) (local $x_1 v128) (local $x_2 v128) (local $x_3 v128) (local $x2_0 v128) (local $x2_1 v128) (local $x2_2 v128) (local $x2_3 v128) (local $p_0 v128) (local $p_1 v128) (local $p_2 v128) (local $p_3 v128) (local $q_0 v128) (local $q_1 v128) (local $q_2 v128) (local $q_3 v128)
    ;; four vectors per iteration, statement by statement, so that their dependency chains (≈ 60 cycles each) overlap
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (block $done4
      (loop $next4
        (br_if $done4 (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v_0 (v128.load align=4 (local.get $src)))
        (local.set $v_1 (v128.load offset=16 align=4 (local.get $src)))
        (local.set $v_2 (v128.load offset=32 align=4 (local.get $src)))
        (local.set $v_3 (v128.load offset=48 align=4 (local.get $src)))
        (local.set $x_0 (f32x4.pmin (f32x4.pmax (local.get $v_0) (v128.const f32x4 -7.905311107635498 -7.905311107635498 -7.905311107635498 -7.905311107635498)) (v128.const f32x4 7.905311107635498 7.905311107635498 7.905311107635498 7.905311107635498)))
        (local.set $x_1 (f32x4.pmin (f32x4.pmax (local.get $v_1) (v128.const f32x4 -7.905311107635498 -7.905311107635498 -7.905311107635498 -7.905311107635498)) (v128.const f32x4 7.905311107635498 7.905311107635498 7.905311107635498 7.905311107635498)))
        (local.set $x_2 (f32x4.pmin (f32x4.pmax (local.get $v_2) (v128.const f32x4 -7.905311107635498 -7.905311107635498 -7.905311107635498 -7.905311107635498)) (v128.const f32x4 7.905311107635498 7.905311107635498 7.905311107635498 7.905311107635498)))
        (local.set $x_3 (f32x4.pmin (f32x4.pmax (local.get $v_3) (v128.const f32x4 -7.905311107635498 -7.905311107635498 -7.905311107635498 -7.905311107635498)) (v128.const f32x4 7.905311107635498 7.905311107635498 7.905311107635498 7.905311107635498)))
        (local.set $x2_0 (f32x4.mul (local.get $x_0) (local.get $x_0)))
        (local.set $x2_1 (f32x4.mul (local.get $x_1) (local.get $x_1)))
        (local.set $x2_2 (f32x4.mul (local.get $x_2) (local.get $x_2)))
        (local.set $x2_3 (f32x4.mul (local.get $x_3) (local.get $x_3)))
        (local.set $p_0 (f32x4.add (f32x4.mul (v128.const f32x4 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16) (local.get $x2_0)) (v128.const f32x4 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13)))
        (local.set $p_1 (f32x4.add (f32x4.mul (v128.const f32x4 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16) (local.get $x2_1)) (v128.const f32x4 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13)))
        (local.set $p_2 (f32x4.add (f32x4.mul (v128.const f32x4 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16) (local.get $x2_2)) (v128.const f32x4 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13)))
        (local.set $p_3 (f32x4.add (f32x4.mul (v128.const f32x4 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16) (local.get $x2_3)) (v128.const f32x4 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13)))
        (local.set $q_0 (f32x4.add (f32x4.mul (v128.const f32x4 1.19825839466702e-6 1.19825839466702e-6 1.19825839466702e-6 1.19825839466702e-6) (local.get $x2_0)) (v128.const f32x4 1.18534705686654e-4 1.18534705686654e-4 1.18534705686654e-4 1.18534705686654e-4)))
        (local.set $q_1 (f32x4.add (f32x4.mul (v128.const f32x4 1.19825839466702e-6 1.19825839466702e-6 1.19825839466702e-6 1.19825839466702e-6) (local.get $x2_1)) (v128.const f32x4 1.18534705686654e-4 1.18534705686654e-4 1.18534705686654e-4 1.18534705686654e-4)))
        (local.set $q_2 (f32x4.add (f32x4.mul (v128.const f32x4 1.19825839466702e-6 1.19825839466702e-6 1.19825839466702e-6 1.19825839466702e-6) (local.get $x2_2)) (v128.const f32x4 1.18534705686654e-4 1.18534705686654e-4 1.18534705686654e-4 1.18534705686654e-4)))
        (local.set $q_3 (f32x4.add (f32x4.mul (v128.const f32x4 1.19825839466702e-6 1.19825839466702e-6 1.19825839466702e-6 1.19825839466702e-6) (local.get $x2_3)) (v128.const f32x4 1.18534705686654e-4 1.18534705686654e-4 1.18534705686654e-4 1.18534705686654e-4)))
        (local.set $p_0 (f32x4.add (f32x4.mul (local.get $p_0) (local.get $x2_0)) (v128.const f32x4 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11)))
        (local.set $p_1 (f32x4.add (f32x4.mul (local.get $p_1) (local.get $x2_1)) (v128.const f32x4 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11)))
        (local.set $p_2 (f32x4.add (f32x4.mul (local.get $p_2) (local.get $x2_2)) (v128.const f32x4 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11)))
        (local.set $p_3 (f32x4.add (f32x4.mul (local.get $p_3) (local.get $x2_3)) (v128.const f32x4 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11)))
        (local.set $q_0 (f32x4.add (f32x4.mul (local.get $q_0) (local.get $x2_0)) (v128.const f32x4 2.268434632439e-3 2.268434632439e-3 2.268434632439e-3 2.268434632439e-3)))
        (local.set $q_1 (f32x4.add (f32x4.mul (local.get $q_1) (local.get $x2_1)) (v128.const f32x4 2.268434632439e-3 2.268434632439e-3 2.268434632439e-3 2.268434632439e-3)))
        (local.set $q_2 (f32x4.add (f32x4.mul (local.get $q_2) (local.get $x2_2)) (v128.const f32x4 2.268434632439e-3 2.268434632439e-3 2.268434632439e-3 2.268434632439e-3)))
        (local.set $q_3 (f32x4.add (f32x4.mul (local.get $q_3) (local.get $x2_3)) (v128.const f32x4 2.268434632439e-3 2.268434632439e-3 2.268434632439e-3 2.268434632439e-3)))
        (local.set $p_0 (f32x4.add (f32x4.mul (local.get $p_0) (local.get $x2_0)) (v128.const f32x4 5.12229709037114e-8 5.12229709037114e-8 5.12229709037114e-8 5.12229709037114e-8)))
        (local.set $p_1 (f32x4.add (f32x4.mul (local.get $p_1) (local.get $x2_1)) (v128.const f32x4 5.12229709037114e-8 5.12229709037114e-8 5.12229709037114e-8 5.12229709037114e-8)))
        (local.set $p_2 (f32x4.add (f32x4.mul (local.get $p_2) (local.get $x2_2)) (v128.const f32x4 5.12229709037114e-8 5.12229709037114e-8 5.12229709037114e-8 5.12229709037114e-8)))
        (local.set $p_3 (f32x4.add (f32x4.mul (local.get $p_3) (local.get $x2_3)) (v128.const f32x4 5.12229709037114e-8 5.12229709037114e-8 5.12229709037114e-8 5.12229709037114e-8)))
        (local.set $q_0 (f32x4.add (f32x4.mul (local.get $q_0) (local.get $x2_0)) (v128.const f32x4 4.89352518554385e-3 4.89352518554385e-3 4.89352518554385e-3 4.89352518554385e-3)))
        (local.set $q_1 (f32x4.add (f32x4.mul (local.get $q_1) (local.get $x2_1)) (v128.const f32x4 4.89352518554385e-3 4.89352518554385e-3 4.89352518554385e-3 4.89352518554385e-3)))
        (local.set $q_2 (f32x4.add (f32x4.mul (local.get $q_2) (local.get $x2_2)) (v128.const f32x4 4.89352518554385e-3 4.89352518554385e-3 4.89352518554385e-3 4.89352518554385e-3)))
        (local.set $q_3 (f32x4.add (f32x4.mul (local.get $q_3) (local.get $x2_3)) (v128.const f32x4 4.89352518554385e-3 4.89352518554385e-3 4.89352518554385e-3 4.89352518554385e-3)))
        (local.set $p_0 (f32x4.add (f32x4.mul (local.get $p_0) (local.get $x2_0)) (v128.const f32x4 1.48572235717979e-5 1.48572235717979e-5 1.48572235717979e-5 1.48572235717979e-5)))
        (local.set $p_1 (f32x4.add (f32x4.mul (local.get $p_1) (local.get $x2_1)) (v128.const f32x4 1.48572235717979e-5 1.48572235717979e-5 1.48572235717979e-5 1.48572235717979e-5)))
        (local.set $p_2 (f32x4.add (f32x4.mul (local.get $p_2) (local.get $x2_2)) (v128.const f32x4 1.48572235717979e-5 1.48572235717979e-5 1.48572235717979e-5 1.48572235717979e-5)))
        (local.set $p_3 (f32x4.add (f32x4.mul (local.get $p_3) (local.get $x2_3)) (v128.const f32x4 1.48572235717979e-5 1.48572235717979e-5 1.48572235717979e-5 1.48572235717979e-5)))
        (local.set $p_0 (f32x4.add (f32x4.mul (local.get $p_0) (local.get $x2_0)) (v128.const f32x4 6.37261928875436e-4 6.37261928875436e-4 6.37261928875436e-4 6.37261928875436e-4)))
        (local.set $p_1 (f32x4.add (f32x4.mul (local.get $p_1) (local.get $x2_1)) (v128.const f32x4 6.37261928875436e-4 6.37261928875436e-4 6.37261928875436e-4 6.37261928875436e-4)))
        (local.set $p_2 (f32x4.add (f32x4.mul (local.get $p_2) (local.get $x2_2)) (v128.const f32x4 6.37261928875436e-4 6.37261928875436e-4 6.37261928875436e-4 6.37261928875436e-4)))
        (local.set $p_3 (f32x4.add (f32x4.mul (local.get $p_3) (local.get $x2_3)) (v128.const f32x4 6.37261928875436e-4 6.37261928875436e-4 6.37261928875436e-4 6.37261928875436e-4)))
        (local.set $p_0 (f32x4.add (f32x4.mul (local.get $p_0) (local.get $x2_0)) (v128.const f32x4 4.89352455891786e-3 4.89352455891786e-3 4.89352455891786e-3 4.89352455891786e-3)))
        (local.set $p_1 (f32x4.add (f32x4.mul (local.get $p_1) (local.get $x2_1)) (v128.const f32x4 4.89352455891786e-3 4.89352455891786e-3 4.89352455891786e-3 4.89352455891786e-3)))
        (local.set $p_2 (f32x4.add (f32x4.mul (local.get $p_2) (local.get $x2_2)) (v128.const f32x4 4.89352455891786e-3 4.89352455891786e-3 4.89352455891786e-3 4.89352455891786e-3)))
        (local.set $p_3 (f32x4.add (f32x4.mul (local.get $p_3) (local.get $x2_3)) (v128.const f32x4 4.89352455891786e-3 4.89352455891786e-3 4.89352455891786e-3 4.89352455891786e-3)))
        (local.set $p_0 (f32x4.div (f32x4.mul (local.get $x_0) (local.get $p_0)) (local.get $q_0)))
        (local.set $p_1 (f32x4.div (f32x4.mul (local.get $x_1) (local.get $p_1)) (local.get $q_1)))
        (local.set $p_2 (f32x4.div (f32x4.mul (local.get $x_2) (local.get $p_2)) (local.get $q_2)))
        (local.set $p_3 (f32x4.div (f32x4.mul (local.get $x_3) (local.get $p_3)) (local.get $q_3)))
        (v128.store align=4 (local.get $dst)
          (v128.bitselect
            (v128.or (v128.and (local.get $v_0) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)) (v128.const f32x4 1 1 1 1))
            (local.get $p_0)
            (f32x4.gt (f32x4.abs (local.get $v_0)) (v128.const f32x4 7.905311107635498 7.905311107635498 7.905311107635498 7.905311107635498))))
        (v128.store offset=16 align=4 (local.get $dst)
          (v128.bitselect
            (v128.or (v128.and (local.get $v_1) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)) (v128.const f32x4 1 1 1 1))
            (local.get $p_1)
            (f32x4.gt (f32x4.abs (local.get $v_1)) (v128.const f32x4 7.905311107635498 7.905311107635498 7.905311107635498 7.905311107635498))))
        (v128.store offset=32 align=4 (local.get $dst)
          (v128.bitselect
            (v128.or (v128.and (local.get $v_2) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)) (v128.const f32x4 1 1 1 1))
            (local.get $p_2)
            (f32x4.gt (f32x4.abs (local.get $v_2)) (v128.const f32x4 7.905311107635498 7.905311107635498 7.905311107635498 7.905311107635498))))
        (v128.store offset=48 align=4 (local.get $dst)
          (v128.bitselect
            (v128.or (v128.and (local.get $v_3) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)) (v128.const f32x4 1 1 1 1))
            (local.get $p_3)
            (f32x4.gt (f32x4.abs (local.get $v_3)) (v128.const f32x4 7.905311107635498 7.905311107635498 7.905311107635498 7.905311107635498))))
        (local.set $src (i32.add (local.get $src) (i32.const 64)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
        (br $next4)))

    ;; then single vectors
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (i32.and (local.get $n) (i32.const 15)) (i32.const -4)) (i32.const 2))))
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v_0 (v128.load align=4 (local.get $src)))
        (local.set $x_0 (f32x4.pmin (f32x4.pmax (local.get $v_0) (v128.const f32x4 -7.905311107635498 -7.905311107635498 -7.905311107635498 -7.905311107635498)) (v128.const f32x4 7.905311107635498 7.905311107635498 7.905311107635498 7.905311107635498)))
        (local.set $x2_0 (f32x4.mul (local.get $x_0) (local.get $x_0)))
        (local.set $p_0 (f32x4.add (f32x4.mul (v128.const f32x4 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16) (local.get $x2_0)) (v128.const f32x4 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13)))
        (local.set $q_0 (f32x4.add (f32x4.mul (v128.const f32x4 1.19825839466702e-6 1.19825839466702e-6 1.19825839466702e-6 1.19825839466702e-6) (local.get $x2_0)) (v128.const f32x4 1.18534705686654e-4 1.18534705686654e-4 1.18534705686654e-4 1.18534705686654e-4)))
        (local.set $p_0 (f32x4.add (f32x4.mul (local.get $p_0) (local.get $x2_0)) (v128.const f32x4 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11)))
        (local.set $q_0 (f32x4.add (f32x4.mul (local.get $q_0) (local.get $x2_0)) (v128.const f32x4 2.268434632439e-3 2.268434632439e-3 2.268434632439e-3 2.268434632439e-3)))
        (local.set $p_0 (f32x4.add (f32x4.mul (local.get $p_0) (local.get $x2_0)) (v128.const f32x4 5.12229709037114e-8 5.12229709037114e-8 5.12229709037114e-8 5.12229709037114e-8)))
        (local.set $q_0 (f32x4.add (f32x4.mul (local.get $q_0) (local.get $x2_0)) (v128.const f32x4 4.89352518554385e-3 4.89352518554385e-3 4.89352518554385e-3 4.89352518554385e-3)))
        (local.set $p_0 (f32x4.add (f32x4.mul (local.get $p_0) (local.get $x2_0)) (v128.const f32x4 1.48572235717979e-5 1.48572235717979e-5 1.48572235717979e-5 1.48572235717979e-5)))
        (local.set $p_0 (f32x4.add (f32x4.mul (local.get $p_0) (local.get $x2_0)) (v128.const f32x4 6.37261928875436e-4 6.37261928875436e-4 6.37261928875436e-4 6.37261928875436e-4)))
        (local.set $p_0 (f32x4.add (f32x4.mul (local.get $p_0) (local.get $x2_0)) (v128.const f32x4 4.89352455891786e-3 4.89352455891786e-3 4.89352455891786e-3 4.89352455891786e-3)))
        (local.set $p_0 (f32x4.div (f32x4.mul (local.get $x_0) (local.get $p_0)) (local.get $q_0)))
        (v128.store align=4 (local.get $dst)
          (v128.bitselect
            (v128.or (v128.and (local.get $v_0) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)) (v128.const f32x4 1 1 1 1))
            (local.get $p_0)
            (f32x4.gt (f32x4.abs (local.get $v_0)) (v128.const f32x4 7.905311107635498 7.905311107635498 7.905311107635498 7.905311107635498))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next1))))

  ;; addRow: dst[r·cols + j] = src[r·cols + j] + row[j] for a row-major [rows, cols] array, cols a multiple of 4 (a dense
  ;; layer's bias: tfjs's WASM Add broadcasts a [64] row over [1024, 64] in ≈ 45 µs, against ≈ 10 µs for two arrays of
  ;; the same shape).
  (func (export "addRow") (param $src i32) (param $row i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $rowBytes i32) (local $c i32) (local $end i32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $end (i32.add (local.get $src) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $done
      (loop $nextRow
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $c (i32.const 0))
        (block $rowDone
          (loop $col
            (br_if $rowDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
            (v128.store align=4 (i32.add (local.get $dst) (local.get $c))
              (f32x4.add (v128.load align=4 (i32.add (local.get $src) (local.get $c))) (v128.load align=4 (i32.add (local.get $row) (local.get $c)))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $col)))
        (local.set $src (i32.add (local.get $src) (local.get $rowBytes)))
        (local.set $dst (i32.add (local.get $dst) (local.get $rowBytes)))
        (br $nextRow))))

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
        (br $row))))

  ;; transpose: dst = srcᵀ for a row-major [rows, cols] array, rows and cols multiples of 4, by 4 × 4 blocks (four
  ;; loads, eight shuffles, four stores). The WASM matMul wrapper transposes every weight gradient's input ([1024, 64]
  ;; and larger); a JavaScript copy took ≈ 7 ns per element.
  (func (export "transpose") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $j i32) (local $rowBytes i32) (local $colBytes i32) (local $s i32) (local $d i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $colBytes (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $rowBlock
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $colBlock
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $cols)))
            ;; s = src + (i·cols + j)·4, d = dst + (j·rows + i)·4
            (local.set $s (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2))))
            (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2))))
            (local.set $r0 (v128.load align=4 (local.get $s)))
            (local.set $r1 (v128.load align=4 (i32.add (local.get $s) (local.get $rowBytes))))
            (local.set $r2 (v128.load align=4 (i32.add (local.get $s) (i32.shl (local.get $rowBytes) (i32.const 1)))))
            (local.set $r3 (v128.load align=4 (i32.add (local.get $s) (i32.mul (local.get $rowBytes) (i32.const 3)))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (v128.store align=4 (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $d) (local.get $colBytes)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $d) (i32.shl (local.get $colBytes) (i32.const 1))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store align=4 (i32.add (local.get $d) (i32.mul (local.get $colBytes) (i32.const 3))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $colBlock)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rowBlock))))

;; matMul: dst[m, n] = A · B for a row-major B [k, n] and an A read through strides, so that one loop serves A and
;; Aᵀ without a transposed copy: A[i, q] is the float32 at a + i·aRowStride + q·aColStride (bytes; a row-major [m, k] A
;; has strides 4k and 4, the transpose of a row-major [k, m] one 4 and 4m). Any m, k, n: register blocks of 4 rows × 8
;; columns, then the rows left over one at a time, then the columns left over in scalar arithmetic. Per q, a block
;; makes one splat load of each A row's value and two vector loads of B's row, and eight multiply-adds into eight
;; accumulators (eleven vectors live: they fit x64's 16 SIMD registers). Sums run over q in order, as XNNPACK's do, so
;; results are the same float32 numbers. Measured against tfjs's WASM BatchMatMul (XNNPACK, after the wrapper's
;; transposed copy): [1024, 64]ᵀ·[1024, 64] 360 → 200 µs, [1024, 64]·[64, 64] 220 → 168 µs.
  (func (export "matMul") (param $a i32) (param $aRowStride i32) (param $aColStride i32) (param $b i32) (param $dst i32) (param $m i32) (param $k i32) (param $n i32)
    (local $m4 i32) (local $n8 i32)
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))
    (local.set $n8 (i32.and (local.get $n) (i32.const -8)))
    (call $matMulBlocks4x8 (local.get $a) (local.get $aRowStride) (local.get $aColStride) (local.get $b) (local.get $dst) (local.get $m4) (local.get $k) (local.get $n8) (local.get $n))
    (call $matMulRows1x8
      (i32.add (local.get $a) (i32.mul (local.get $m4) (local.get $aRowStride))) (local.get $aRowStride) (local.get $aColStride) (local.get $b)
      (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $m4) (local.get $n)) (i32.const 2))) (i32.sub (local.get $m) (local.get $m4)) (local.get $k) (local.get $n8) (local.get $n))
    (call $matMulColumns (local.get $a) (local.get $aRowStride) (local.get $aColStride)
      (i32.add (local.get $b) (i32.shl (local.get $n8) (i32.const 2))) (i32.add (local.get $dst) (i32.shl (local.get $n8) (i32.const 2)))
      (local.get $m) (local.get $k) (i32.sub (local.get $n) (local.get $n8)) (local.get $n)))

  ;; The 4 × 8 register blocks of matMul over rows [0, m) and columns [0, n) (m a multiple of 4, n of 8); B and dst
  ;; have rows of ld values.
  (func $matMulBlocks4x8 (param $a i32) (param $aRowStride i32) (param $aColStride i32) (param $b i32) (param $dst i32) (param $m i32) (param $k i32) (param $n i32) (param $ld i32)
    (local $i i32) (local $j i32) (local $pa i32) (local $pb i32) (local $bEnd i32) (local $bRow i32) (local $d i32) (local $a2 i32) (local $a3 i32)
    (local $s v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $bRow (i32.shl (local.get $ld) (i32.const 2)))
    (local.set $a2 (i32.shl (local.get $aRowStride) (i32.const 1)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $aRowStride)))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $rowBlock
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $colBlock
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $c00 (v128.const i32x4 0 0 0 0))
            (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0))
            (local.set $c11 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0))
            (local.set $c21 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0))
            (local.set $c31 (v128.const i32x4 0 0 0 0))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRowStride))))
            (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $bEnd (i32.add (local.get $pb) (i32.mul (local.get $k) (local.get $bRow))))
            (block $sumDone
              (loop $sum
                (br_if $sumDone (i32.ge_u (local.get $pb) (local.get $bEnd)))
                (local.set $b0 (v128.load align=4 (local.get $pb)))
                (local.set $b1 (v128.load offset=16 align=4 (local.get $pb)))
                (local.set $s (v128.load32_splat align=4 (local.get $pa)))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $s (v128.load32_splat align=4 (i32.add (local.get $pa) (local.get $aRowStride))))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $s (v128.load32_splat align=4 (i32.add (local.get $pa) (local.get $a2))))
                (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $s (v128.load32_splat align=4 (i32.add (local.get $pa) (local.get $a3))))
                (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $pa (i32.add (local.get $pa) (local.get $aColStride)))
                (local.set $pb (i32.add (local.get $pb) (local.get $bRow)))
                (br $sum)))
            (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ld)) (local.get $j)) (i32.const 2))))
            (v128.store align=4 (local.get $d) (local.get $c00))
            (v128.store offset=16 align=4 (local.get $d) (local.get $c01))
            (local.set $d (i32.add (local.get $d) (local.get $bRow)))
            (v128.store align=4 (local.get $d) (local.get $c10))
            (v128.store offset=16 align=4 (local.get $d) (local.get $c11))
            (local.set $d (i32.add (local.get $d) (local.get $bRow)))
            (v128.store align=4 (local.get $d) (local.get $c20))
            (v128.store offset=16 align=4 (local.get $d) (local.get $c21))
            (local.set $d (i32.add (local.get $d) (local.get $bRow)))
            (v128.store align=4 (local.get $d) (local.get $c30))
            (v128.store offset=16 align=4 (local.get $d) (local.get $c31))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $colBlock)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rowBlock))))

  ;; The row tail of matMul: rows one at a time, columns in blocks of 8 (cols a multiple of 8).
  (func $matMulRows1x8 (param $a i32) (param $aRowStride i32) (param $aColStride i32) (param $b i32) (param $dst i32) (param $rows i32) (param $k i32) (param $cols i32) (param $ld i32)
    (local $i i32) (local $j i32) (local $pa i32) (local $pb i32) (local $bEnd i32) (local $rowBytes i32) (local $d i32)
    (local $s v128) (local $c0 v128) (local $c1 v128)
    (local.set $rowBytes (i32.shl (local.get $ld) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $colBlock
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $cols)))
            (local.set $c0 (v128.const i32x4 0 0 0 0))
            (local.set $c1 (v128.const i32x4 0 0 0 0))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRowStride))))
            (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $bEnd (i32.add (local.get $pb) (i32.mul (local.get $k) (local.get $rowBytes))))
            (block $sumDone
              (loop $sum
                (br_if $sumDone (i32.ge_u (local.get $pb) (local.get $bEnd)))
                (local.set $s (v128.load32_splat align=4 (local.get $pa)))
                (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $s) (v128.load align=4 (local.get $pb)))))
                (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $s) (v128.load offset=16 align=4 (local.get $pb)))))
                (local.set $pa (i32.add (local.get $pa) (local.get $aColStride)))
                (local.set $pb (i32.add (local.get $pb) (local.get $rowBytes)))
                (br $sum)))
            (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ld)) (local.get $j)) (i32.const 2))))
            (v128.store align=4 (local.get $d) (local.get $c0))
            (v128.store offset=16 align=4 (local.get $d) (local.get $c1))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $colBlock)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; The column tail of matMul (cols < 8, or any): scalar sums, four rows at a time so that four independent sums
  ;; hide the add latency (a [1024, 64]ᵀ·[1024, 2] weight gradient: ≈ 210 µs by transpose + XNNPACK), then single rows.
  (func $matMulColumns (param $a i32) (param $aRowStride i32) (param $aColStride i32) (param $b i32) (param $dst i32) (param $rows i32) (param $k i32) (param $cols i32) (param $ld i32)
    (local $i i32) (local $j i32) (local $pa i32) (local $pb i32) (local $bEnd i32) (local $rowBytes i32) (local $d i32) (local $a2 i32) (local $a3 i32) (local $step i32)
    (local $x f32) (local $c0 f32) (local $c1 f32) (local $c2 f32) (local $c3 f32)
    (local.set $rowBytes (i32.shl (local.get $ld) (i32.const 2)))
    (local.set $a2 (i32.shl (local.get $aRowStride) (i32.const 1)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $aRowStride)))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $rowBlock
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        ;; four rows while at least four remain, else one
        (local.set $step (select (i32.const 4) (i32.const 1) (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $rows))))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $cols)))
            (local.set $c0 (f32.const 0))
            (local.set $c1 (f32.const 0))
            (local.set $c2 (f32.const 0))
            (local.set $c3 (f32.const 0))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRowStride))))
            (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $bEnd (i32.add (local.get $pb) (i32.mul (local.get $k) (local.get $rowBytes))))
            (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ld)) (local.get $j)) (i32.const 2))))
            (if (i32.eq (local.get $step) (i32.const 4))
              (then
                (block $sumDone
                  (loop $sum
                    (br_if $sumDone (i32.ge_u (local.get $pb) (local.get $bEnd)))
                    (local.set $x (f32.load (local.get $pb)))
                    (local.set $c0 (f32.add (local.get $c0) (f32.mul (f32.load (local.get $pa)) (local.get $x))))
                    (local.set $c1 (f32.add (local.get $c1) (f32.mul (f32.load (i32.add (local.get $pa) (local.get $aRowStride))) (local.get $x))))
                    (local.set $c2 (f32.add (local.get $c2) (f32.mul (f32.load (i32.add (local.get $pa) (local.get $a2))) (local.get $x))))
                    (local.set $c3 (f32.add (local.get $c3) (f32.mul (f32.load (i32.add (local.get $pa) (local.get $a3))) (local.get $x))))
                    (local.set $pa (i32.add (local.get $pa) (local.get $aColStride)))
                    (local.set $pb (i32.add (local.get $pb) (local.get $rowBytes)))
                    (br $sum)))
                (f32.store (local.get $d) (local.get $c0))
                (f32.store (i32.add (local.get $d) (local.get $rowBytes)) (local.get $c1))
                (f32.store (i32.add (local.get $d) (i32.shl (local.get $rowBytes) (i32.const 1))) (local.get $c2))
                (f32.store (i32.add (local.get $d) (i32.mul (local.get $rowBytes) (i32.const 3))) (local.get $c3)))
              (else
                (block $sumDone
                  (loop $sum
                    (br_if $sumDone (i32.ge_u (local.get $pb) (local.get $bEnd)))
                    (local.set $c0 (f32.add (local.get $c0) (f32.mul (f32.load (local.get $pa)) (f32.load (local.get $pb)))))
                    (local.set $pa (i32.add (local.get $pa) (local.get $aColStride)))
                    (local.set $pb (i32.add (local.get $pb) (local.get $rowBytes)))
                    (br $sum)))
                (f32.store (local.get $d) (local.get $c0))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $col)))
        (local.set $i (i32.add (local.get $i) (local.get $step)))
        (br $rowBlock))))

  ;; The element loops of mcmc's Metropolis–Hastings step (proposal.ts), each one pass instead of 4–6 tfjs kernels of
  ;; 10–60 µs at 16384 chains.
  ;;
  ;; metropolis: ok = valid ? (valid[i] ≠ 0 and logRatio[i] is not NaN) : logRatio[i] is finite (valid = 0: none);
  ;; clean[i] = ok ? logRatio[i] : −∞; mask[i] (u8) = logU[i] < clean[i]; accepted[i] (f32) = mask[i].
  (func (export "metropolis") (param $logRatio i32) (param $logU i32) (param $valid i32) (param $clean i32) (param $mask i32) (param $accepted i32) (param $n i32)
    (local $i i32) (local $r f32) (local $c f32) (local $m i32) (local $ok i32)
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $r (f32.load (i32.add (local.get $logRatio) (i32.shl (local.get $i) (i32.const 2)))))
        (if (i32.eqz (local.get $valid))
          (then (local.set $ok (f32.eq (f32.sub (local.get $r) (local.get $r)) (f32.const 0))))
          (else (local.set $ok (i32.and
            (i32.ne (i32.load8_u (i32.add (local.get $valid) (local.get $i))) (i32.const 0))
            (f32.eq (local.get $r) (local.get $r))))))
        (local.set $c (select (local.get $r) (f32.const -inf) (local.get $ok)))
        (f32.store (i32.add (local.get $clean) (i32.shl (local.get $i) (i32.const 2))) (local.get $c))
        (local.set $m (f32.lt (f32.load (i32.add (local.get $logU) (i32.shl (local.get $i) (i32.const 2)))) (local.get $c)))
        (i32.store8 (i32.add (local.get $mask) (local.get $i)) (local.get $m))
        (f32.store (i32.add (local.get $accepted) (i32.shl (local.get $i) (i32.const 2))) (f32.convert_i32_u (local.get $m)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; repeatRows: out[i·d + j] (u8) = (accepted[i] ≠ 0) for j < d: the row mask of an [n, d] select.
  (func (export "repeatRows") (param $accepted i32) (param $out i32) (param $n i32) (param $d i32)
    (local $i i32) (local $j i32) (local $v i32) (local $o i32)
    (local.set $i (i32.const 0))
    (local.set $o (local.get $out))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (f32.ne (f32.load (i32.add (local.get $accepted) (i32.shl (local.get $i) (i32.const 2)))) (f32.const 0)))
        (local.set $j (i32.const 0))
        (block $rowDone
          (loop $col
            (br_if $rowDone (i32.ge_u (local.get $j) (local.get $d)))
            (i32.store8 (local.get $o) (local.get $v))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $col)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; finiteRows: ok[i] (u8) = (first ? 1 : ok[i]) and every src[i·d + j] is finite: rows of an [n, d] array (d = 1 for
  ;; an [n] one), accumulated over several arrays by calling again with first = 0.
  (func (export "finiteRows") (param $src i32) (param $ok i32) (param $n i32) (param $d i32) (param $first i32)
    (local $i i32) (local $j i32) (local $all i32) (local $v f32) (local $p i32)
    (local.set $i (i32.const 0))
    (local.set $p (local.get $src))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $all (if (result i32) (local.get $first)
          (then (i32.const 1))
          (else (i32.ne (i32.load8_u (i32.add (local.get $ok) (local.get $i))) (i32.const 0)))))
        (local.set $j (i32.const 0))
        (block $rowDone
          (loop $col
            (br_if $rowDone (i32.ge_u (local.get $j) (local.get $d)))
            (local.set $v (f32.load (local.get $p)))
            (local.set $all (i32.and (local.get $all) (f32.eq (f32.sub (local.get $v) (local.get $v)) (f32.const 0))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $col)))
        (i32.store8 (i32.add (local.get $ok) (local.get $i)) (local.get $all))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; select: out[i] = mask[i] ≠ 0 ? a[i] : b[i] for n 4-byte values and a u8 mask of the same length (the accept step's
  ;; row-wise select of positions, gradients and energies).
  (func (export "select") (param $mask i32) (param $a i32) (param $b i32) (param $out i32) (param $n i32)
    (local $i i32) (local $o i32)
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (i32.store (i32.add (local.get $out) (local.get $o))
          (select
            (i32.load (i32.add (local.get $a) (local.get $o)))
            (i32.load (i32.add (local.get $b) (local.get $o)))
            (i32.load8_u (i32.add (local.get $mask) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; normals: core's seeded ziggurat (rng.ts normalInto / normalSlow), word for word the same stream: xoshiro128** from
  ;; the four i32 at state (written back at the end), layer iz = w & 127 and value hz = w >> 7 of each word; the fast
  ;; branch |hz| < kn[iz] gives hz·wn[iz]; otherwise the wedge test against fn and the tail beyond r (Marsaglia), with
  ;; Math.log/Math.exp imported from JavaScript so every double is the one rng.ts computes. kn, wn, fn: f64 tables of
  ;; 128 at byte offsets. Writes n float32 normals to out, each times scale when scale ≠ 1 (rounded to float32 first,
  ;; as rng.ts multiplies a stored draw), and returns how many 32-bit words it drew.
  (func (export "normals") (param $state i32) (param $out i32) (param $n i32) (param $kn i32) (param $wn i32) (param $fn i32) (param $scale f64) (result i32)
    (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $m i32) (local $w i32) (local $t i32)
    (local $iz i32) (local $hz f64) (local $i i32) (local $words i32) (local $v f64) (local $x f64) (local $y f64) (local $u f64)
    (local.set $s0 (i32.load (local.get $state)))
    (local.set $s1 (i32.load offset=4 (local.get $state)))
    (local.set $s2 (i32.load offset=8 (local.get $state)))
    (local.set $s3 (i32.load offset=12 (local.get $state)))
    (local.set $i (i32.const 0))
    (local.set $words (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (block $have
            (local.set $m (i32.mul (local.get $s1) (i32.const 5)))
            (local.set $w (i32.mul (i32.rotl (local.get $m) (i32.const 7)) (i32.const 9)))
            (local.set $t (i32.shl (local.get $s1) (i32.const 9)))
            (local.set $s2 (i32.xor (local.get $s2) (local.get $s0)))
            (local.set $s3 (i32.xor (local.get $s3) (local.get $s1)))
            (local.set $s1 (i32.xor (local.get $s1) (local.get $s2)))
            (local.set $s0 (i32.xor (local.get $s0) (local.get $s3)))
            (local.set $s2 (i32.xor (local.get $s2) (local.get $t)))
            (local.set $s3 (i32.rotl (local.get $s3) (i32.const 11)))
            (local.set $words (i32.add (local.get $words) (i32.const 1)))
            (local.set $iz (i32.shl (i32.and (local.get $w) (i32.const 127)) (i32.const 3)))
            (local.set $hz (f64.convert_i32_s (i32.shr_s (local.get $w) (i32.const 7))))
          (local.set $v (f64.mul (local.get $hz) (f64.load (i32.add (local.get $wn) (local.get $iz)))))
          (br_if $have (f64.lt (f64.abs (local.get $hz)) (f64.load (i32.add (local.get $kn) (local.get $iz)))))
          (loop $slow
            (if (i32.eqz (local.get $iz))
              (then
                ;; the tail: x = −ln(U₁)/r accepted when −2 ln(U₂) > x²
                (loop $tail
            (local.set $m (i32.mul (local.get $s1) (i32.const 5)))
            (local.set $w (i32.mul (i32.rotl (local.get $m) (i32.const 7)) (i32.const 9)))
            (local.set $t (i32.shl (local.get $s1) (i32.const 9)))
            (local.set $s2 (i32.xor (local.get $s2) (local.get $s0)))
            (local.set $s3 (i32.xor (local.get $s3) (local.get $s1)))
            (local.set $s1 (i32.xor (local.get $s1) (local.get $s2)))
            (local.set $s0 (i32.xor (local.get $s0) (local.get $s3)))
            (local.set $s2 (i32.xor (local.get $s2) (local.get $t)))
            (local.set $s3 (i32.rotl (local.get $s3) (i32.const 11)))
            (local.set $words (i32.add (local.get $words) (i32.const 1)))
            (local.set $u (f64.div (f64.add (f64.convert_i32_u (local.get $w)) (f64.const 0.5)) (f64.const 4294967296)))
                  (local.set $x (f64.div (f64.neg (call $log (local.get $u))) (f64.const 3.442619855899)))
            (local.set $m (i32.mul (local.get $s1) (i32.const 5)))
            (local.set $w (i32.mul (i32.rotl (local.get $m) (i32.const 7)) (i32.const 9)))
            (local.set $t (i32.shl (local.get $s1) (i32.const 9)))
            (local.set $s2 (i32.xor (local.get $s2) (local.get $s0)))
            (local.set $s3 (i32.xor (local.get $s3) (local.get $s1)))
            (local.set $s1 (i32.xor (local.get $s1) (local.get $s2)))
            (local.set $s0 (i32.xor (local.get $s0) (local.get $s3)))
            (local.set $s2 (i32.xor (local.get $s2) (local.get $t)))
            (local.set $s3 (i32.rotl (local.get $s3) (i32.const 11)))
            (local.set $words (i32.add (local.get $words) (i32.const 1)))
            (local.set $u (f64.div (f64.add (f64.convert_i32_u (local.get $w)) (f64.const 0.5)) (f64.const 4294967296)))
                  (local.set $y (f64.neg (call $log (local.get $u))))
                  (br_if $tail (f64.lt (f64.add (local.get $y) (local.get $y)) (f64.mul (local.get $x) (local.get $x)))))
                (local.set $v (select
                  (f64.add (f64.const 3.442619855899) (local.get $x))
                  (f64.sub (f64.neg (f64.const 3.442619855899)) (local.get $x))
                  (f64.gt (local.get $hz) (f64.const 0))))
                (br $have)))
            (local.set $x (f64.mul (local.get $hz) (f64.load (i32.add (local.get $wn) (local.get $iz)))))
            (local.set $m (i32.mul (local.get $s1) (i32.const 5)))
            (local.set $w (i32.mul (i32.rotl (local.get $m) (i32.const 7)) (i32.const 9)))
            (local.set $t (i32.shl (local.get $s1) (i32.const 9)))
            (local.set $s2 (i32.xor (local.get $s2) (local.get $s0)))
            (local.set $s3 (i32.xor (local.get $s3) (local.get $s1)))
            (local.set $s1 (i32.xor (local.get $s1) (local.get $s2)))
            (local.set $s0 (i32.xor (local.get $s0) (local.get $s3)))
            (local.set $s2 (i32.xor (local.get $s2) (local.get $t)))
            (local.set $s3 (i32.rotl (local.get $s3) (i32.const 11)))
            (local.set $words (i32.add (local.get $words) (i32.const 1)))
            (local.set $u (f64.div (f64.add (f64.convert_i32_u (local.get $w)) (f64.const 0.5)) (f64.const 4294967296)))
            ;; fn[iz] + u·(fn[iz − 1] − fn[iz]) < exp(−x²/2)
            (if (f64.lt
                  (f64.add (f64.load (i32.add (local.get $fn) (local.get $iz))) (f64.mul (local.get $u) (f64.sub (f64.load (i32.sub (i32.add (local.get $fn) (local.get $iz)) (i32.const 8))) (f64.load (i32.add (local.get $fn) (local.get $iz))))))
                  (call $exp (f64.mul (f64.const -0.5) (f64.mul (local.get $x) (local.get $x)))))
              (then (local.set $v (local.get $x)) (br $have)))
            (local.set $m (i32.mul (local.get $s1) (i32.const 5)))
            (local.set $w (i32.mul (i32.rotl (local.get $m) (i32.const 7)) (i32.const 9)))
            (local.set $t (i32.shl (local.get $s1) (i32.const 9)))
            (local.set $s2 (i32.xor (local.get $s2) (local.get $s0)))
            (local.set $s3 (i32.xor (local.get $s3) (local.get $s1)))
            (local.set $s1 (i32.xor (local.get $s1) (local.get $s2)))
            (local.set $s0 (i32.xor (local.get $s0) (local.get $s3)))
            (local.set $s2 (i32.xor (local.get $s2) (local.get $t)))
            (local.set $s3 (i32.rotl (local.get $s3) (i32.const 11)))
            (local.set $words (i32.add (local.get $words) (i32.const 1)))
            (local.set $iz (i32.shl (i32.and (local.get $w) (i32.const 127)) (i32.const 3)))
            (local.set $hz (f64.convert_i32_s (i32.shr_s (local.get $w) (i32.const 7))))
            (local.set $v (f64.mul (local.get $hz) (f64.load (i32.add (local.get $wn) (local.get $iz)))))
            (br_if $have (f64.lt (f64.abs (local.get $hz)) (f64.load (i32.add (local.get $kn) (local.get $iz)))))
            (br $slow)))
        (if (f64.ne (local.get $scale) (f64.const 1))
          (then (local.set $v (f64.mul (f64.promote_f32 (f32.demote_f64 (local.get $v))) (local.get $scale)))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (f32.demote_f64 (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.store (local.get $state) (local.get $s0))
    (i32.store offset=4 (local.get $state) (local.get $s1))
    (i32.store offset=8 (local.get $state) (local.get $s2))
    (i32.store offset=12 (local.get $state) (local.get $s3))
    (local.get $words))
)
