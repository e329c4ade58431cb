# lib/parse_num.S -- read a number from a string: parse_num.
#
# Provides (standard calling convention; it uses only a0, a1, t0..t4):
#   parse_num   a0 = the value of the string at a0 (hex `0x..` or decimal),
#               a1 = 1 if it was a number, 0 if not
# Needs: nothing (RV32M for the decimal overflow check).

# parse_num: a string as a number: `0x` then hex digits, or decimal digits.
# in: a0 = string   out: a0 = value, a1 = 1 if it was a number (0 if not,
# which includes an empty string, a stray character or more than 32 bits)
parse_num:
        li   t2, 0                      # t2 = value
        lbu  t0, 0(a0)
        beqz t0, 9f
        li   t1, '0'
        bne  t0, t1, 5f
        lbu  t0, 1(a0)
        ori  t0, t0, 0x20               # 'X' -> 'x'
        li   t1, 'x'
        bne  t0, t1, 5f
        addi a0, a0, 2                  # hex
        li   t3, 0                      # t3 = digits seen
1:      lbu  t0, 0(a0)
        beqz t0, 4f
        addi t1, t0, -'0'
        li   t4, 10
        bltu t1, t4, 3f
        ori  t0, t0, 0x20               # lower case
        addi t1, t0, -'a'
        li   t4, 6
        bgeu t1, t4, 9f
        addi t1, t1, 10
3:      srli t4, t2, 28                 # a 9th significant digit overflows 32 bits
        bnez t4, 9f
        slli t2, t2, 4
        or   t2, t2, t1
        addi t3, t3, 1
        addi a0, a0, 1
        j    1b
4:      beqz t3, 9f                     # "0x" alone is not a number
        j    8f
5:      li   t4, 10                     # decimal
6:      lbu  t0, 0(a0)
        beqz t0, 8f
        addi t1, t0, -'0'
        bgeu t1, t4, 9f
        mulhu t3, t2, t4                # value * 10 must fit in 32 bits
        bnez t3, 9f
        mul  t2, t2, t4
        add  t3, t2, t1
        bltu t3, t2, 9f                 # and so must + digit
        mv   t2, t3
        addi a0, a0, 1
        j    6b
8:      mv   a0, t2
        li   a1, 1
        ret
9:      li   a0, 0
        li   a1, 0
        ret
