;; Locals start at zero only where a read can see that zero: a forward
;; dataflow finds the locals written on every path before any read (both arms
;; of an if, a block every branch out of which has set it) and the prologue
;; skips their `mov ..., 0`; a local read before any write on some path keeps it.
(module
  (func (export "arms") (param $c i32) (result i32)
    (local $x i32) (local $y i32)
    (if (local.get $c)
      (then (local.set $x (i32.const 7)) (local.set $y (i32.const 1)))
      (else (local.set $x (i32.const 9))))
    (i32.add (local.get $x) (local.get $y)))
  (func (export "exits") (param $c i32) (result i32)
    (local $x i32) (local $y i32)
    (block $out
      (local.set $x (i32.const 1))
      (br_if $out (local.get $c))
      (local.set $y (local.get $x))
      (local.set $x (i32.const 2)))
    (local.get $x))
  (func (export "loop") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $top
      (local.set $s (i32.add (local.get $s) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s)))
