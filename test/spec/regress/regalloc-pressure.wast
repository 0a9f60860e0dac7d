;; Register allocation spills instead of failing ("register allocation failed:
;; no register can be freed"). Each function below leaves the selector fewer
;; scratch registers than the old code needed; found by the translator fuzzer.

;; An i64 select whose values and condition all need registers, with two i32
;; locals pinned (four scratch registers for five values).
(module
  (func (export "select64") (param i32 i32) (result i64) (local i32)
    (local.set 2 (i32.const -1))
    (local.set 1 (i32.add (local.get 1) (local.get 2)))
    (select (i64.const 5) (i64.const 0x100000007) (i32.sub (local.get 0) (local.get 2))))
)
(assert_return (invoke "select64" (i32.const 0) (i32.const 0)) (i64.const 5))
(assert_return (invoke "select64" (i32.const -1) (i32.const 0)) (i64.const 0x100000007))

;; i64 division: the divisor's zero check and the INT64_MIN / -1 check need a
;; register while both operands fill the other four (fuzzer, seed 1, module 55).
(module
  (memory 1)
  (data (i32.const 0) "\00\00\00\00\00\00\00\80\ff\ff\ff\ff\ff\ff\ff\ff\07")
  (func $k (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "divu") (param i32 i32) (result i64)
    (local.set 1 (local.get 0))
    (local.set 0 (local.get 1))
    (i64.div_u (call $k (local.get 0)) (i64.load8_s (local.get 1))))
  (func (export "divs") (param i32 i32) (result i64)
    (local.set 0 (local.get 0))
    (local.set 1 (local.get 1))
    (i64.div_s (call $k (local.get 0)) (i64.load (local.get 1))))
  (func (export "rems") (param i32 i32) (result i64)
    (local.set 0 (local.get 0))
    (local.set 1 (local.get 1))
    (i64.rem_s (call $k (local.get 0)) (i64.load8_u (local.get 1))))
)
(assert_return (invoke "divu" (i32.const 16) (i32.const 0)) (i64.const 1))
(assert_trap (invoke "divu" (i32.const 0) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "divs" (i32.const 0) (i32.const 8)) "integer overflow")
(assert_return (invoke "divs" (i32.const 8) (i32.const 8)) (i64.const 1))
(assert_trap (invoke "divs" (i32.const 8) (i32.const 1000)) "integer divide by zero")
(assert_return (invoke "rems" (i32.const 16) (i32.const 16)) (i64.const 0))

;; Call arguments: an address expression pushed while the arguments below it
;; hold every scratch register (three i32 locals pinned).
(module
  (memory 1)
  (data (i32.const 0) "\01\00\00\00\02\00\00\00\03\00\00\00")
  (type $t (func (param i32 i32 i32 i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $g)
  (func $g (param i32 i32 i32 i32) (result i32)
    (i32.add (i32.add (local.get 0) (i32.mul (local.get 1) (i32.const 10)))
             (i32.add (i32.mul (local.get 2) (i32.const 100)) (i32.mul (local.get 3) (i32.const 1000)))))
  (func (export "args") (param i32 i32 i32) (result i32)
    (local.set 0 (i32.add (local.get 0) (local.get 1)))
    (local.set 1 (i32.add (local.get 1) (local.get 2)))
    (local.set 2 (i32.add (local.get 2) (local.get 0)))
    (call $g (i32.load (i32.const 0)) (i32.load (i32.const 4)) (i32.load (i32.const 8)) (i32.add (local.get 0) (i32.const 4))))
)
(assert_return (invoke "args" (i32.const 1) (i32.const 0) (i32.const 0)) (i32.const 5321))

;; The same through call_indirect, whose table index must also stay in a register.
(module
  (memory 1)
  (data (i32.const 0) "\01\00\00\00\02\00\00\00\03\00\00\00")
  (type $t (func (param i32 i32 i32 i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $g)
  (func $g (param i32 i32 i32 i32) (result i32)
    (i32.add (i32.add (local.get 0) (i32.mul (local.get 1) (i32.const 10)))
             (i32.add (i32.mul (local.get 2) (i32.const 100)) (i32.mul (local.get 3) (i32.const 1000)))))
  (func (export "args_indirect") (param i32 i32 i32) (result i32)
    (local.set 0 (i32.add (local.get 0) (local.get 1)))
    (local.set 1 (i32.add (local.get 1) (local.get 2)))
    (local.set 2 (i32.add (local.get 2) (local.get 0)))
    (call_indirect (type $t) (i32.load (i32.const 0)) (i32.load (i32.const 4)) (i32.load (i32.const 8))
      (i32.add (local.get 0) (i32.const 4)) (i32.add (local.get 1) (local.get 2))))
)
(assert_return (invoke "args_indirect" (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 4321))
(assert_trap (invoke "args_indirect" (i32.const 0) (i32.const 1) (i32.const 0)) "undefined element")
