;; A hash probe that counts its hits, as binaryen writes one: the key times a
;; constant is a three-operand `imul` straight into the index's register (no copy
;; of the key, no move of the result: select.ts updateInPlace), and
;; `found = hit ? found + 1 : found` with `hit` a 0/1 local (only compares and
;; 0/1 constants are written to it: lower.ts `boolean`) is `add found, hit`, no
;; select. With a parameter as the condition (any value) it stays a cmov.
;; `find` is the probe as binaryen inlines it: the result local is set to 1, then
;; 0, before the two exit tests of every pass; each constant is written only on
;; the branch that leaves with it, in a stub after the function (pending.ts), and
;; the pass that goes on writes nothing (the loop's head sets it again).
(module
  (memory 1)
  (func (export "probe") (param $t i32) (param $k i32) (param $n i32) (result i32)
    (local $i i32) (local $h i32) (local $found i32) (local $hit i32) (local $key i32)
    (loop $outer
      (if (i32.gt_u (local.get $n) (local.get $i))
        (then
          (local.set $h (i32.shr_u (i32.mul (local.tee $key (i32.load (i32.add (local.get $k) (i32.shl (local.get $i) (i32.const 2)))))
            (i32.const -1640531535)) (i32.const 22)))
          (local.set $hit (i32.const 0))
          (if (i32.eq (i32.load (i32.add (local.get $t) (i32.shl (local.get $h) (i32.const 2)))) (local.get $key))
            (then (local.set $hit (i32.const 1))))
          (local.set $found (select (i32.add (local.get $found) (i32.const 1)) (local.get $found) (local.get $hit)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $outer))))
    (local.get $found))
  (func (export "maybe") (param $f i32) (param $x i32) (result i32) (local $c i32)
    (local.set $c (local.get $x))
    (local.set $c (select (i32.add (local.get $c) (i32.const 1)) (local.get $c) (local.get $f)))
    (local.get $c))
  (func (export "find") (param $t i32) (param $key i32) (result i32) (local $i i32) (local $r i32) (local $k i32)
    (local.set $i (i32.shr_u (i32.mul (local.get $key) (i32.const -1640531535)) (i32.const 22)))
    (loop $probe
      (block $done
        (local.set $r (i32.const 1))
        (br_if $done (i32.eq (local.tee $k (i32.load (i32.add (local.get $t) (i32.shl (local.get $i) (i32.const 2))))) (local.get $key)))
        (local.set $r (i32.const 0))
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $i (i32.and (i32.add (local.get $i) (i32.const 1)) (i32.const 1023)))
        (br $probe)))
    (local.get $r)))
