;; LZ4 block decoder, hand-written WebAssembly (assembled by build.sh into ../lz4-wasm.ts).
;; Same contract and error codes as the asm.js kernel in ../lz4.ts: decode(ip, iend, ob, oend)
;; decodes the block at [ip, iend) into [ob, oend) and returns 0, or an error code with the block
;; position, the output position and a value stored at bytes 0, 4 and 8 of memory.
;; Why wasm: 16-byte vector loads and stores, unaligned 8-byte words, memory.copy and memory.fill
;; let short runs move in one instruction and long ones at memcpy speed, as liblz4 does in C.
;; Wide copies may read up to 15 bytes past a run's source and write up to 15 bytes past its end:
;; the block sits before the output, and the caller leaves at least 32 bytes of slack after it, so
;; those bytes are either overwritten by what follows or land in the slack.
(module
  (memory (export "mem") 1)
  (func $fail (param $code i32) (param $pos i32) (param $op i32) (param $val i32) (result i32)
    (i32.store (i32.const 0) (local.get $pos))
    (i32.store (i32.const 4) (local.get $op))
    (i32.store (i32.const 8) (local.get $val))
    (local.get $code))
  (func (export "decode") (param $ip i32) (param $iend i32) (param $ob i32) (param $oend i32) (result i32)
    (local $op i32) (local $token i32) (local $lit i32) (local $b i32) (local $off i32)
    (local $ml i32) (local $e i32) (local $m i32) (local $at i32) (local $end i32)
    (local.set $op (local.get $ob))
    (loop $seq
      (if (i32.ge_u (local.get $ip) (local.get $iend))
        (then (return (call $fail (i32.const 1) (local.get $ip) (local.get $op) (i32.const 0)))))
      (local.set $at (local.get $ip))
      (local.set $token (i32.load8_u (local.get $ip)))
      (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
      (local.set $lit (i32.shr_u (local.get $token) (i32.const 4)))
      (if (i32.eq (local.get $lit) (i32.const 15))
        (then
          (loop $more
            (if (i32.ge_u (local.get $ip) (local.get $iend))
              (then (return (call $fail (i32.const 2) (local.get $ip) (local.get $op) (i32.const 0)))))
            (local.set $b (i32.load8_u (local.get $ip)))
            (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
            (local.set $lit (i32.add (local.get $lit) (local.get $b)))
            (if (i32.gt_u (local.get $lit) (i32.sub (local.get $iend) (local.get $ip)))
              (then (return (call $fail (i32.const 3) (local.get $ip) (local.get $op) (local.get $lit)))))
            (br_if $more (i32.eq (local.get $b) (i32.const 255))))))
      (if (i32.gt_u (local.get $lit) (i32.sub (local.get $iend) (local.get $ip)))
        (then (return (call $fail (i32.const 3) (local.get $ip) (local.get $op) (local.get $lit)))))
      (if (i32.gt_u (local.get $lit) (i32.sub (local.get $oend) (local.get $op)))
        (then (return (call $fail (i32.const 4) (local.get $ip) (local.get $op) (local.get $lit)))))
      ;; literals: the source is the block, the destination the output, so they never overlap
      (if (i32.le_u (local.get $lit) (i32.const 16))
        (then (v128.store (local.get $op) (v128.load (local.get $ip))))
        (else
          (if (i32.le_u (local.get $lit) (i32.const 32))
            (then
              (v128.store (local.get $op) (v128.load (local.get $ip)))
              (v128.store offset=16 (local.get $op) (v128.load offset=16 (local.get $ip))))
            (else (memory.copy (local.get $op) (local.get $ip) (local.get $lit))))))
      (local.set $op (i32.add (local.get $op) (local.get $lit)))
      (local.set $ip (i32.add (local.get $ip) (local.get $lit)))
      (if (i32.eq (local.get $ip) (local.get $iend))
        (then
          (if (i32.ne (local.get $op) (local.get $oend))
            (then (return (call $fail (i32.const 5) (local.get $ip) (local.get $op) (i32.const 0)))))
          (return (i32.const 0))))
      (if (i32.lt_u (i32.sub (local.get $iend) (local.get $ip)) (i32.const 2))
        (then (return (call $fail (i32.const 6) (local.get $ip) (local.get $op) (i32.const 0)))))
      (local.set $off (i32.load16_u (local.get $ip)))
      (if (i32.eqz (local.get $off))
        (then (return (call $fail (i32.const 7) (local.get $ip) (local.get $op) (i32.const 0)))))
      (if (i32.gt_u (local.get $off) (i32.sub (local.get $op) (local.get $ob)))
        (then (return (call $fail (i32.const 8) (local.get $ip) (local.get $op) (local.get $off)))))
      (local.set $ip (i32.add (local.get $ip) (i32.const 2)))
      (local.set $ml (i32.and (local.get $token) (i32.const 15)))
      (if (i32.eq (local.get $ml) (i32.const 15))
        (then
          (loop $mmore
            (if (i32.ge_u (local.get $ip) (local.get $iend))
              (then (return (call $fail (i32.const 9) (local.get $ip) (local.get $op) (i32.const 0)))))
            (local.set $b (i32.load8_u (local.get $ip)))
            (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
            (local.set $ml (i32.add (local.get $ml) (local.get $b)))
            (if (i32.gt_u (local.get $ml) (i32.sub (local.get $oend) (local.get $op)))
              (then (return (call $fail (i32.const 10) (local.get $at) (local.get $op) (i32.add (local.get $ml) (i32.const 4))))))
            (br_if $mmore (i32.eq (local.get $b) (i32.const 255))))))
      (local.set $ml (i32.add (local.get $ml) (i32.const 4)))
      (if (i32.gt_u (local.get $ml) (i32.sub (local.get $oend) (local.get $op)))
        (then (return (call $fail (i32.const 10) (local.get $at) (local.get $op) (local.get $ml)))))
      (local.set $m (i32.sub (local.get $op) (local.get $off)))
      (local.set $end (i32.add (local.get $op) (local.get $ml)))
      (if (i32.ge_u (local.get $off) (i32.const 16))
        (then
          ;; every 16-byte chunk reads only bytes already written (the source is 16+ bytes behind)
          (if (i32.le_u (local.get $ml) (i32.const 16))
            (then (v128.store (local.get $op) (v128.load (local.get $m))))
            (else
              (if (i32.and (i32.ge_u (local.get $ml) (i32.const 64)) (i32.ge_u (local.get $off) (local.get $ml)))
                (then (memory.copy (local.get $op) (local.get $m) (local.get $ml)))
                (else
                  (loop $c16
                    (v128.store (local.get $op) (v128.load (local.get $m)))
                    (local.set $op (i32.add (local.get $op) (i32.const 16)))
                    (local.set $m (i32.add (local.get $m) (i32.const 16)))
                    (br_if $c16 (i32.lt_u (local.get $op) (local.get $end)))))))))
        (else
          (if (i32.eq (local.get $off) (i32.const 1))
            (then (memory.fill (local.get $op) (i32.load8_u (local.get $m)) (local.get $ml)))
            (else
              (if (i32.lt_u (local.get $off) (i32.const 8))
                (then
                  ;; copy bytes until the repeating pattern spans 8+ bytes (a multiple of the
                  ;; offset), then copy 8-byte words from that far back
                  (local.set $e (local.get $off))
                  (loop $span
                    (if (i32.lt_u (local.get $e) (i32.const 8))
                      (then
                        (local.set $e (i32.add (local.get $e) (local.get $off)))
                        (br $span))))
                  (if (i32.gt_u (local.get $e) (local.get $ml)) (then (local.set $e (local.get $ml))))
                  (local.set $b (i32.add (local.get $op) (local.get $e)))
                  (loop $bytes
                    (i32.store8 (local.get $op) (i32.load8_u (local.get $m)))
                    (local.set $op (i32.add (local.get $op) (i32.const 1)))
                    (local.set $m (i32.add (local.get $m) (i32.const 1)))
                    (br_if $bytes (i32.lt_u (local.get $op) (local.get $b))))
                  (local.set $m (i32.sub (local.get $op) (local.get $e)))))
              ;; source 8+ bytes behind: every 8-byte word reads only bytes already written
              (block $done
                (loop $c8
                  (br_if $done (i32.ge_u (local.get $op) (local.get $end)))
                  (i64.store (local.get $op) (i64.load (local.get $m)))
                  (local.set $op (i32.add (local.get $op) (i32.const 8)))
                  (local.set $m (i32.add (local.get $m) (i32.const 8)))
                  (br $c8)))))))
      (local.set $op (local.get $end))
      (br $seq))
    (i32.const 0))
)
