;; A block pool's churn, as binaryen writes it (test/wasm2x86/programs/kernels.ts
;; poolChurn): take n blocks, then give them back in reverse.
;; - `if (b) pop(b); if (!b) return s`: the second test is the first's flags again
;;   (dropped), and its `return` goes out of line after the function: the pass
;;   that goes on runs one jcc (peephole.ts exitOutOfLine).
;; - `i--` as a `lea` (which keeps the flags) then stores then `if (i)`: the lea
;;   becomes `dec` and the test goes (testsFromLea).
(module
  (memory 1)
  (func (export "churn") (param $pool i32) (param $slots i32) (param $n i32) (result i32)
    (local $i i32) (local $s i32) (local $b i32)
    (loop $take
      (if (i32.gt_u (local.get $n) (local.get $i))
        (then
          (if (local.tee $b (i32.load (local.get $pool)))
            (then (i32.store (local.get $pool) (i32.load (local.get $b)))))
          (if (i32.eqz (local.get $b)) (then (return (local.get $s))))
          (i32.store offset=4 (local.get $b) (local.get $i))
          (i32.store (i32.add (local.get $slots) (i32.shl (local.get $i) (i32.const 2))) (local.get $b))
          (local.set $s (i32.add (local.get $s) (i32.sub (local.get $b) (local.get $pool))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $take))))
    (loop $give
      (if (local.get $n)
        (then
          (local.set $b (i32.load (i32.add (local.get $slots) (i32.shl (local.tee $n (i32.sub (local.get $n) (i32.const 1))) (i32.const 2)))))
          (i32.store (local.get $b) (i32.load (local.get $pool)))
          (i32.store (local.get $pool) (local.get $b))
          (br $give))))
    (local.get $s)))
