# lib/str_eq.S -- compare two strings: str_eq.
#
# Provides (standard calling convention; it uses only a0, a1, t0, t1):
#   str_eq    a0 = 1 if the NUL-terminated strings at a0 and a1 are equal, else 0
# Needs: nothing.

# str_eq: are two strings equal?   in: a0, a1 = strings   out: a0 = 1 or 0
str_eq:
1:      lbu  t0, 0(a0)
        lbu  t1, 0(a1)
        bne  t0, t1, 2f
        beqz t0, 3f
        addi a0, a0, 1
        addi a1, a1, 1
        j    1b
2:      li   a0, 0
        ret
3:      li   a0, 1
        ret
