;; A variable shift count must go to ecx while ecx holds the popped value to
;; shift and only esi/edi (no byte form) are free: `evict` recursed without
;; end ("Maximum call stack size exceeded"). Found by the translator fuzzer
;; (seed 1, module 367), minimized.
(module
  (memory 1)
  (global $a (mut i64) (i64.const 63))
  (global $b (mut i64) (i64.const 63))
  (global $c (mut i32) (i32.const -1))
  (func (export "f") (result i64)
    (select
      (i64.shr_u (global.get $a) (global.get $b))
      (if (result i64) (i32.shr_u (i32.load16_s (i32.const 0)) (global.get $c))
        (then (i64.const 0)) (else (i64.const 65536)))
      (global.get $c)))
  (func (export "g") (param i32) (result i64)
    (global.set $c (local.get 0))
    (select
      (i64.rotl (global.get $a) (global.get $b))
      (i64.extend_i32_u (i32.rotr (i32.load16_u (i32.const 0)) (global.get $c)))
      (global.get $c)))
)
(assert_return (invoke "f") (i64.const 0))
(assert_return (invoke "g" (i32.const 0)) (i64.const 0))
(assert_return (invoke "g" (i32.const 1)) (i64.const 0x800000000000001F))
