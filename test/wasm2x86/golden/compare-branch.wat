;; Compare-and-branch fusion: a compare feeding br_if, if or select leaves
;; flags (cmp; jl / cmovl), never a 0/1 value (no setcc); a compare used as a
;; value is materialized (setcc; movzx). An i32.and only tested against zero
;; is a `test`; i32.or/and of two compares combines their setcc bytes (no
;; movzx) and its flags feed the branch.
(module
  (func (export "max") (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.gt_s (local.get $a) (local.get $b))))
  (func (export "clamp") (param $x i32) (result i32)
    (block $done
      (br_if $done (i32.lt_s (local.get $x) (i32.const 100)))
      (local.set $x (i32.const 100)))
    (if (i32.eqz (i32.ge_u (local.get $x) (i32.const 10))) (then (local.set $x (i32.const 10))))
    (local.get $x))
  (func (export "less") (param $a i64) (param $b i64) (result i32)
    (i64.lt_u (local.get $a) (local.get $b)))
  (func (export "masked") (param $x i32) (param $y i32) (result i32)
    (if (i32.and (local.get $x) (i32.const 4)) (then (return (i32.const 1))))
    (if (i32.eqz (i32.and (local.get $y) (i32.const 0x8000))) (then (return (i32.const 2))))
    (i32.const 0))
  (func (export "either") (param $h i32) (result i32)
    (block $bad
      (br_if $bad (i32.or (i32.eq (local.get $h) (i32.const -1)) (i32.eq (local.get $h) (i32.const -2))))
      (return (i32.const 0)))
    (i32.const 1)))
