;; Compare-and-branch fusion: a compare feeding br_if, if or select leaves
;; flags (cmp; jl / cmovl), never a 0/1 value (no setcc); a compare used as a
;; value is materialized (setcc; movzx).
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
    (i64.lt_u (local.get $a) (local.get $b))))
