;; Prologues and epilogues (compiled with a stack limit, as the kernel is):
;; the callee-saved registers a function uses are pushed, not stored; a
;; function whose whole call tree (direct calls, no recursion) is small skips
;; the stack check (a recursive one keeps it, its jb going to the previous one's),
;; and when nothing lives below its saved registers it pops them back. Last
;; Checks are decided callees first: a function whose callees all check needs
;; none when its frame is small; one in a table keeps its check unless it
;; takes at most 128 bytes before a check, and a call through the table counts
;; that much. A jump to an epilogue of 2 bytes or less is a copy of it. Last
;; rewrites (peephole): `mov reg, 0` is `xor reg, reg` where the flags are
;; dead, and a jump to the label that follows it is dropped.
(module
  (func $sum (export "sum") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $s i32) (local $q i32)
    (local.set $q (local.get $p))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.load (local.get $q))))
        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $s))
  (func (export "caller") (param $p i32) (result i32)
    (call $sum (local.get $p) (i32.const 16)))
  (func $down (export "down") (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (call $down (i32.sub (local.get $n) (i32.const 1))))
      (else (i32.const 0))))
  (func $down2 (export "down2") (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (call $down2 (i32.sub (local.get $n) (i32.const 2))))
      (else (i32.const 0))))
  (func (export "count") (param $p i32) (param $n i32) (result i32)
    (local $c i32)
    (if (local.get $n)
      (then
        (local.set $c (i32.const 0))
        (if (i32.eq (i32.load (local.get $p)) (i32.const 7))
          (then (local.set $c (i32.const 1))))))
    (local.get $c))
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $entry $small)
  (func $entry (export "entry") (param $n i32) (result i32)
    (call $around (local.get $n)))
  (func $around (export "around") (param $n i32) (result i32)
    (call $down (call $sum (local.get $n) (i32.const 4))))
  (func (export "dispatch") (param $n i32) (result i32)
    (call_indirect (type $t) (local.get $n) (i32.const 0)))
  (func $small (export "small") (param $n i32) (result i32)
    (call $down (local.get $n)))
  (global $hits (mut i32) (i32.const 0))
  (global $step (mut i32) (i32.const 2))
  (func (export "early") (result i32)
    (if (i32.eqz (global.get $hits)) (then (return (i32.const 7))))
    (global.set $hits (i32.add (global.get $hits) (global.get $step)))
    (i32.const 3)))
