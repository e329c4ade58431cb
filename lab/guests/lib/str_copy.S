# lib/str_copy.S -- copy a string: str_copy.
#
# Provides (standard calling convention; it uses only a0, a1, t0):
#   str_copy    copy the NUL-terminated string at a1 to a0, its NUL too; a0 = where the NUL
#               went (to append the next piece there)
# Needs: nothing.

# str_copy: copy a string with its NUL.   in: a0 = dest, a1 = source   out: a0 = at that NUL
str_copy:
1:      lbu  t0, 0(a1)
        sb   t0, 0(a0)
        beqz t0, 2f
        addi a0, a0, 1
        addi a1, a1, 1
        j    1b
2:      ret
