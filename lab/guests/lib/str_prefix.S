# lib/str_prefix.S -- does a string start with another: str_prefix.
#
# Provides (standard calling convention; it uses only a0, a1, t0, t1):
#   str_prefix    a0 = 1 if the NUL-terminated string at a0 starts with the one at a1, else 0
# Needs: nothing.

# str_prefix: does the string at a0 start with the one at a1?   out: a0 = 1 or 0
str_prefix:
1:      lbu  t1, 0(a1)
        beqz t1, 2f
        lbu  t0, 0(a0)
        bne  t0, t1, 3f
        addi a0, a0, 1
        addi a1, a1, 1
        j    1b
2:      li   a0, 1
        ret
3:      li   a0, 0
        ret
