;; select of two i64 values whose condition is an address expression (local - 63):
;; with every temporary taken by the values, the condition found no register
;; (translator fuzzer, seed 12, module 37, minimized). One of the values goes to its slot now.
(module
  (type $t0 (func (param i64) (result i32)))
  (type $t1 (func (param i64 i32 i64) (result i32)))
  (type $t2 (func (result i32)))
  (type $t3 (func (param i32) (result i32)))
  (type $t4 (func))
  (func $f0 (export "f0") (type $t0) (param $p0 i64) (result i32)
    i32.const 256)
  (func $f1 (export "f1") (type $t0) (param $p0 i64) (result i32)
    (local $l1 i64) (local $l2 i32) (local $l3 i32)
    block $B0
      global.get $g1
      i64.const 32
      i64.extend8_s
      local.get $l2
      i32.const 63
      i32.sub
      select
      global.set $g1
      local.get $l2
      br_if $B0
    end
    i32.const 7
    if $I1 (result i32)
      block $B2
        i32.const 2
        local.set $l3
      end
      i32.const 0
    else
      local.get $l3
    end
    drop
    i32.const 7)
  (func $f2 (export "f2") (type $t1) (param $p0 i64) (param $p1 i32) (param $p2 i64) (result i32)
    (local $l3 i64) (local $l4 i64)
    i32.const 0)
  (func $f3 (export "f3") (type $t2) (result i32)
    i32.const 300)
  (func $f4 (export "f4") (type $t3) (param $p0 i32) (result i32)
    (local $l1 i32) (local $l2 i32) (local $l3 i32) (local $l4 i32)
    i32.const -1004270446)
  (func $reset (export "reset") (type $t4)
    i32.const 400
    global.set $g0)
  (func $digest (export "digest") (type $t2) (result i32)
    (local $l0 i32) (local $l1 i32) (local $l2 i32)
    memory.size
    i32.const 16
    i32.shl
    local.set $l2
    i32.const -2128831035
    local.set $l0
    block $B0
      loop $L1
        local.get $l1
        local.get $l2
        i32.ge_u
        br_if $B0
        local.get $l0
        local.get $l1
        i32.load
        i32.xor
        i32.const 16777619
        i32.mul
        local.set $l0
        local.get $l1
        i32.const 4
        i32.const 64
        local.get $l1
        i32.const 512
        i32.lt_u
        local.get $l1
        local.get $l2
        i32.const 512
        i32.sub
        i32.ge_u
        i32.or
        select
        i32.add
        local.set $l1
        br $L1
      end
    end
    local.get $l0
    global.get $g0
    i32.xor
    i32.const 16777619
    i32.mul
    local.set $l0
    local.get $l0
    global.get $g1
    i32.wrap_i64
    i32.xor
    i32.const 16777619
    i32.mul
    local.set $l0
    local.get $l0
    global.get $g1
    i64.const 32
    i64.shr_u
    i32.wrap_i64
    i32.xor
    i32.const 16777619
    i32.mul
    local.set $l0
    local.get $l0)
  (table $T0 5 funcref)
  (memory $M0 1 2)
  (global $g0 (mut i32) (i32.const 400))
  (global $g1 (mut i64) (i64.const -1635528031022507053))
  (elem $e0 (i32.const 0) func $f0 $f1 $f2 $f3 $f4)
  (data $d0 (i32.const 65495) "\e2+D\e2v9X_\b9\b8\19-\e71\8f<\99i\d53q\10\fa\ab\07\06\19\1e\bc\cbG0_\b5#6\f8\90O\a7x"))
(invoke "reset")
(assert_return (invoke "f1" (i64.const 31)) (i32.const 7))
(assert_return (invoke "digest") (i32.const -1068786171))
