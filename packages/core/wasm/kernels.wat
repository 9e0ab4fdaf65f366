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
  ;; Math.log and Math.exp, so the ziggurat's rejection branch computes the same doubles as rng.ts.
  (import "env" "log" (func $log (param f64) (result f64)))
  (import "env" "exp" (func $exp (param f64) (result f64)))
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
