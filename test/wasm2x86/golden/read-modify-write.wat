;; Read-modify-write: a global or a memory word updated with a constant (or a
;; register local) is one x86 instruction with a memory destination, no load
;; into a register and store back: `counter++`, `p.count += 1`, `p.flags |= 4`
;; (8-bit: a byte operand), `p.total -= x` (x in memory: through a temporary).
(module
  (memory 1)
  (global $counter (mut i32) (i32.const 0))
  (func (export "bump")
    (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
  (func (export "fields") (param $p i32) (param $x i32)
    (i32.store offset=8 (local.get $p) (i32.add (i32.load offset=8 (local.get $p)) (i32.const 1)))
    (i32.store8 offset=12 (local.get $p) (i32.or (i32.load8_u offset=12 (local.get $p)) (i32.const 4)))
    (i32.store offset=16 (local.get $p) (i32.sub (i32.load offset=16 (local.get $p)) (local.get $x)))
    (i32.store offset=20 (local.get $p) (i32.sub (i32.load offset=20 (local.get $p)) (local.get $x)))))
