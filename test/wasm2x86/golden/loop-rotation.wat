;; Loop rotation: binaryen's `loop (br_if $exit (i >= n)) body (br $loop)`.
;; The back edge repeats the head with the test inverted (jb to the body), so
;; an iteration runs one jump, not a jcc and a jmp.
(module
  (memory 1)
  (func (export "sum") (param $p i32) (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $exit
      (loop $next
        (br_if $exit (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $s)))
