# lib/shell.S -- the command shell of the console guests (monitor.S, bank.S).
#
# A program's prompt loop reads a line with read_line, splits it into words with
# split_words and hands it to run_command, which looks the first word up in the
# program's command table and calls the command's routine. A command that meets
# bad input prints an error and jumps to abort_command, which resets the stack
# and goes back to the prompt: no routine passes errors up by hand.
#
# The command table is the one description of a program's commands: run_command
# checks the argument count against it, `help` prints it, and the docs' guest
# reference (docs/reference/guests.md) is generated from it, read out of the
# assembled program (hvlab/generate/guest_commands.py). One entry per command:
#
#       .word s_peek, cmd_peek, 2, 3, a_peek, h_peek, n_peek
#   s_peek: .asciz "peek"                        # its name
#   a_peek: .asciz "DOMID ADDR [LEN]"            # its arguments' shape ("" : none)
#   h_peek: .asciz "copy another VM's memory ..." # what it does: one line
#   n_peek: .asciz "VMCTL peek(...): ..."        # more, for `help peek` ("" : none)
#
# Provides (standard calling convention: arguments in a0..a7, results in a0
# and a1, ra the return address, s0..s11 preserved):
#   read_line     read a line from the console, echoing it; a0 = buffer, a1 = most
#                 characters; a0 = length
#   split_words   split a line into words: argv[i] points at word i; a0 = argc
#   run_command   run the command named by argv[0]; a0 = argc
#   cmd_help      the `help [COMMAND]` command: every command's line of the table;
#                 with COMMAND, that command's line and its notes
#   arg_word      argv[a0], the word
#   arg_parsed    argv[a0] through a parser, or an error and abort_command
#   arg_num       argv[a0] as a number, or an error and abort_command
#   abort_command jump here (do not call) to give up on a command
#   CMD_...       the layout of a command table entry (below)
#
# Needs, from the program:
#   prompt_loop   where abort_command goes back to; saved_sp (a word) holds the
#                 stack pointer the prompt loop runs with: store it at start-up
#   commands      the command table: CMD_SIZE-byte entries, ended by a 0 name
#   HELP_COLUMN   (.equ) the column where help starts a command's description
#   getc          wait for a console byte, return it in a0
#   argv          a word per word of the longest line (a line of N characters
#                 has at most N/2 words); words: as long as the longest line + 1
#   saw_cr        a byte (read_line: the last line ended with CR, skip its LF)
#   msg_erase "\b \b", msg_unknown, msg_try_help, msg_usage, msg_help_head,
#   msg_indent, msg_bad_number, msg_bad_number_end: the texts of its messages
# and puts, putc, newline (lib/uart.S), str_eq (lib/str_eq.S), parse_num (lib/parse_num.S).

        # ---- one entry of the command table (7 words)
        .equ CMD_NAME,    0             # the command's name (string)
        .equ CMD_RUN,     4             # its routine: a0 = argc, a1 = argv
        .equ CMD_MIN,     8             # fewest arguments after the name
        .equ CMD_MAX,     12            # most arguments after the name
        .equ CMD_ARGS,    16            # its arguments' shape, as help shows them (string)
        .equ CMD_HELP,    20            # what it does, one line (string)
        .equ CMD_NOTES,   24            # more about it, for `help NAME` (string, may be empty)
        .equ CMD_SIZE,    28

# abort_command: give up on the current command and go back to the prompt.
# Jump here (do not call) after printing the error; the stack is reset.
abort_command:
        la   t0, saved_sp
        lw   sp, 0(t0)
        j    prompt_loop

# run_command: look argv[0] up in the command table, check the argument count
# and run the command's routine.   in: a0 = argc (words on the line, >= 1)
run_command:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s1, a0                     # s1 = argc
        la   t0, argv
        lw   a0, 0(t0)
        call find_command
        beqz a0, 3f
        mv   s0, a0                     # s0 = the command's entry
        addi t0, s1, -1                 # arguments after the name
        lw   t1, CMD_MIN(s0)
        blt  t0, t1, 4f
        lw   t1, CMD_MAX(s0)
        bgt  t0, t1, 4f
        mv   a0, s1
        la   a1, argv
        lw   t0, CMD_RUN(s0)
        jalr t0
        j    5f
3:      la   t0, argv
        lw   a0, 0(t0)
        call put_unknown
        j    5f
4:      la   a0, msg_usage              # error: usage: <the command's help line>
        call puts
        mv   a0, s0
        call put_command_line
5:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# find_command: the command table's entry for a name.
# in: a0 = the name   out: a0 = its entry, or 0 when no command has that name
find_command:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s1, a0                     # s1 = the name
        la   s0, commands               # s0 = the table entry being tried
1:      lw   a0, CMD_NAME(s0)
        beqz a0, 2f                     # end of the table
        mv   a1, s1
        call str_eq
        bnez a0, 3f
        addi s0, s0, CMD_SIZE
        j    1b
2:      li   s0, 0
3:      mv   a0, s0
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# put_unknown: "error: unknown command 'NAME' (try help)".   in: a0 = NAME
put_unknown:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        mv   s0, a0
        la   a0, msg_unknown
        call puts
        mv   a0, s0
        call puts
        la   a0, msg_try_help
        call puts
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# help [COMMAND]: print every command's line; with COMMAND, that command's line
# and its notes. Like every command routine, it is called with a0 = argc
# (including the command's name) and a1 = argv (an array of pointers to the
# words), once run_command has checked the argument count.
cmd_help:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        li   t0, 1
        bne  a0, t0, 3f
        la   a0, msg_help_head
        call puts
        la   s0, commands
1:      lw   t0, CMD_NAME(s0)
        beqz t0, 2f
        la   a0, msg_indent
        call puts
        mv   a0, s0
        call put_command_line
        addi s0, s0, CMD_SIZE
        j    1b
3:      li   a0, 1                      # help COMMAND
        call arg_word
        mv   s0, a0
        call find_command
        bnez a0, 4f
        mv   a0, s0
        call put_unknown
        j    2f
4:      mv   s0, a0                     # s0 = its entry
        call put_command_line
        lw   a0, CMD_NOTES(s0)
        lbu  t0, 0(a0)
        beqz t0, 2f
        call puts
        call newline
2:      lw   ra, 12(sp)
        lw   s0, 8(sp)
        addi sp, sp, 16
        ret

# put_command_line: one command as help shows it: its name and arguments, then
# its description from column HELP_COLUMN (at least one space after the
# arguments), then a newline.   in: a0 = the command's table entry
put_command_line:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s0, a0                     # s0 = the entry
        lw   a0, CMD_NAME(s0)
        call put_counted
        mv   s1, a0                     # s1 = the column
        lw   t0, CMD_ARGS(s0)
        lbu  t0, 0(t0)
        beqz t0, 1f                     # no arguments
        li   a0, ' '
        call putc
        lw   a0, CMD_ARGS(s0)
        call put_counted
        add  s1, s1, a0
        addi s1, s1, 1
1:      li   a0, ' '                    # pad to HELP_COLUMN, at least one space
        call putc
        addi s1, s1, 1
        li   t0, HELP_COLUMN
        blt  s1, t0, 1b
        lw   a0, CMD_HELP(s0)
        call puts
        call newline
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# put_counted: print a string and count it.   in: a0 = string   out: a0 = its length
put_counted:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        mv   s0, a0                     # s0 = the next character
        li   s1, 0                      # s1 = characters printed
1:      lbu  a0, 0(s0)
        beqz a0, 2f
        call putc
        addi s0, s0, 1
        addi s1, s1, 1
        j    1b
2:      mv   a0, s1
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        addi sp, sp, 16
        ret

# arg_word: the word argv[a0].   in: a0 = index into argv   out: a0 = the word (a string)
arg_word:
        la   t0, argv
        slli a0, a0, 2
        add  t0, t0, a0
        lw   a0, 0(t0)
        ret

# arg_parsed: argv[a0] read by a parser; a word it refuses prints the error
# "<a2>WORD<a3>" and aborts the command.
# in: a0 = index into argv, a1 = the parser (in: a0 = word; out: a0 = value,
#     a1 = 0 if the word is no good), a2, a3 = the error's start and end
# out: a0 = value
arg_parsed:
        addi sp, sp, -32
        sw   ra, 28(sp)
        sw   s0, 24(sp)
        sw   s1, 20(sp)
        sw   s2, 16(sp)
        sw   s3, 12(sp)
        mv   s1, a1                     # s1 = the parser
        mv   s2, a2                     # s2, s3 = the error's start and end
        mv   s3, a3
        call arg_word
        mv   s0, a0                     # s0 = the word
        jalr s1
        beqz a1, 1f
        lw   ra, 28(sp)
        lw   s0, 24(sp)
        lw   s1, 20(sp)
        lw   s2, 16(sp)
        lw   s3, 12(sp)
        addi sp, sp, 32
        ret
1:      mv   a0, s2
        call puts
        mv   a0, s0
        call puts
        mv   a0, s3
        call puts
        j    abort_command

# arg_num: argv[a0] as a number; a bad one prints an error and aborts the command.
# in: a0 = index into argv   out: a0 = value
arg_num:
        la   a1, parse_num
        la   a2, msg_bad_number         # error: bad number 'xyz' (use 0x.. or decimal)
        la   a3, msg_bad_number_end
        j    arg_parsed

# split_words: copy the line into `words`, one NUL-terminated word after the
# other, and point argv[0], argv[1], ... at them. The line is left as typed
# (the monitor's echo prints from it).   in: a0 = line   out: a0 = argc
split_words:
        la   t1, words                  # t1 = where the next word is copied
        la   t2, argv                   # t2 = next argv slot
        li   t3, 0                      # t3 = argc
        li   t5, ' '
1:      lbu  t0, 0(a0)                  # skip spaces
        bne  t0, t5, 2f
        addi a0, a0, 1
        j    1b
2:      beqz t0, 4f                     # end of the line
        sw   t1, 0(t2)                  # a word starts
        addi t2, t2, 4
        addi t3, t3, 1
3:      sb   t0, 0(t1)                  # copy it
        addi t1, t1, 1
        addi a0, a0, 1
        lbu  t0, 0(a0)
        beqz t0, 5f
        bne  t0, t5, 3b
5:      sb   zero, 0(t1)                # and end it
        addi t1, t1, 1
        j    1b
4:      mv   a0, t3
        ret

# read_line: read one line from the console (getc) into a buffer, echoing what is typed.
# Backspace (0x7f or 0x08) erases, CR or LF ends the line (CR LF counts once),
# other control characters are ignored and a full line takes no more.
# in: a0 = buffer (a1 + 1 bytes), a1 = most characters   out: a0 = length
read_line:
        addi sp, sp, -16
        sw   ra, 12(sp)
        sw   s0, 8(sp)
        sw   s1, 4(sp)
        sw   s2, 0(sp)
        mv   s0, a0                     # s0 = buffer
        mv   s1, a1                     # s1 = most characters
        li   s2, 0                      # s2 = length
1:      call getc
        la   t0, saw_cr
        lbu  t1, 0(t0)
        sb   zero, 0(t0)
        li   t2, '\n'
        bne  a0, t2, 2f
        bnez t1, 1b                     # the LF of a CR LF: the line already ended
        j    6f
2:      li   t2, '\r'
        bne  a0, t2, 3f
        li   t1, 1
        sb   t1, 0(t0)
        j    6f
3:      li   t2, 0x7f                   # DEL or BS: erase the last character
        beq  a0, t2, 4f
        li   t2, 0x08
        beq  a0, t2, 4f
        li   t2, '\t'                   # a tab is a space
        bne  a0, t2, 5f
        li   a0, ' '
5:      li   t2, ' '
        bltu a0, t2, 1b                 # other control characters
        li   t2, 0x7f
        bgeu a0, t2, 1b                 # and non-ASCII bytes are ignored
        bgeu s2, s1, 1b                 # the line is full
        add  t0, s0, s2
        sb   a0, 0(t0)
        addi s2, s2, 1
        call putc                       # echo
        j    1b
4:      beqz s2, 1b
        addi s2, s2, -1
        la   a0, msg_erase              # back, blank, back
        call puts
        j    1b
6:      add  t0, s0, s2
        sb   zero, 0(t0)
        call newline
        mv   a0, s2
        lw   ra, 12(sp)
        lw   s0, 8(sp)
        lw   s1, 4(sp)
        lw   s2, 0(sp)
        addi sp, sp, 16
        ret
