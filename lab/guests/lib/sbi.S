# lib/sbi.S -- the hypercall numbers, as constants: one place for the ABI in every guest.
#
# Provides: .equ symbols only (no code, no data): each extension's ID (EID_...),
# its function IDs, and the SBI error codes. The table they come from is the
# hypercall table of DESIGN.md (lab/hv/sbi/ implements it).
# Include it near the top of a program, before any code that uses these names.
#
# The calling convention (RISC-V SBI): a7 = extension ID (EID), a6 = function
# ID (FID), a0..a5 = arguments, then `ecall`; the hypervisor answers with
# a0 = error code (0 = success, negative = SBI_ERR_...) and a1 = value.

        .equ EID_BASE,    0x10          # SBI Base
        .equ BASE_SPEC_VERSION, 0
        .equ BASE_IMPL_ID, 1
        .equ BASE_PROBE,  3
        .equ EID_DBCN,    0x4442434E    # SBI Debug Console ("DBCN")
        .equ DBCN_WRITE,  0             # console_write(len, base_lo, base_hi)
        .equ EID_SRST,    0x53525354    # SBI System Reset ("SRST")
        .equ SRST_RESET,  0             # system_reset(type, reason)
        .equ SRST_SHUTDOWN, 0           # type: shut down
        .equ REASON_EXIT, 0xE0000000    # reason 0xE00000NN = "exit code NN" (hvlab)
        .equ EID_VMCTL,   0x09000001    # hvlab VM control
        .equ VMCTL_SELF,  0
        .equ VMCTL_COUNT, 1
        .equ VMCTL_INFO,  2
        .equ VMCTL_PAUSE, 3
        .equ VMCTL_UNPAUSE, 4
        .equ VMCTL_DESTROY, 5
        .equ VMCTL_PEEK,  6
        .equ VMCTL_POKE,  7
        .equ EID_GNTTAB,  0x09000002    # hvlab grant tables
        .equ GNT_GRANT,   0             # grant_access(gpa, grantee_domid, flags) -> ref
        .equ GNT_END,     1             # end_access(ref)
        .equ GNT_MAP,     2             # map(granter_domid, ref, dest_gpa)
        .equ GNT_UNMAP,   3             # unmap(dest_gpa)
        .equ GNT_READONLY, 1            # grant_access flags bit 0
        .equ EID_DGRAM,   0x09000003    # hvlab datagrams and request ring
        .equ DG_SEND,     0             # send(dest_domid, gpa, len)
        .equ DG_RECV,     1             # recv(gpa, maxlen): the first 4 bytes are the sender's domid
        .equ DG_RING,     2             # ring_setup(gpa)
        .equ DG_DOORBELL, 3             # doorbell()
        .equ DGRAM_MAX,   256           # bytes in one datagram
        .equ RING_STATUS, 0             # ring page (lab/hv/channel.py): u32 status, op, len, result,
        .equ RING_OP,     4             # then data
        .equ RING_LEN,    8
        .equ RING_RESULT, 12
        .equ RING_DATA,   16
        .equ RING_DATA_MAX, 240
        .equ RING_DONE,   2             # status: 0 idle, 1 pending, 2 done, 3 rejected
        .equ OP_LOG,      1
        .equ EID_NET,     0x09000004    # hvlab virtual NIC
        .equ NET_INFO,    0
        .equ NET_SEND,    1
        .equ NET_RECV,    2
        .equ EID_BLK,     0x09000005    # hvlab virtual disk
        .equ BLK_INFO,    0
        .equ BLK_READ,    1
        .equ BLK_WRITE,   2
        .equ SECTOR,      512

        # ---- error codes (a0 after ecall), as the SBI spec numbers them
        .equ SBI_SUCCESS, 0
        .equ SBI_ERR_FAILED, -1
        .equ SBI_ERR_NOT_SUPPORTED, -2
        .equ SBI_ERR_INVALID_PARAM, -3
        .equ SBI_ERR_DENIED, -4
        .equ SBI_ERR_INVALID_ADDRESS, -5
        .equ SBI_ERR_ALREADY_AVAILABLE, -6
        .equ SBI_ERR_ALREADY_STARTED, -7
        .equ SBI_ERR_ALREADY_STOPPED, -8
        .equ SBI_ERR_NO_SHMEM, -9
        .equ SBI_ERR_INVALID_STATE, -10
        .equ SBI_ERR_BAD_RANGE, -11
        .equ SBI_ERR_TIMEOUT, -12
        .equ SBI_ERR_IO,  -13
        .equ SBI_ERROR_COUNT, 14        # SBI_SUCCESS and the 13 errors, 0 to -13
