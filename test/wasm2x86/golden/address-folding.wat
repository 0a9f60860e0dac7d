;; Address folding: `base + (i << 2) + 8` and `p - 16` become one memory
;; operand ([esi+edi*4+0x8], [esi-0x10]), with no add or shl of their own.
(module
  (memory 1)
  (func (export "element") (param $base i32) (param $i i32) (result i32)
    (i32.add
      (i32.load offset=8 (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
      (i32.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))))
  (func (export "header") (param $p i32) (result i32)
    (i32.add (i32.load16_u (i32.sub (local.get $p) (i32.const 16)))
             (i32.load8_u (i32.sub (local.get $p) (i32.const 13))))))
