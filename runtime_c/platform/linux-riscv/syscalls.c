/* Linux on RISC-V: ECALL, the call number in a7, arguments and result in a0 .. a2. */
#define IG_SYS_TRAP "ecall"
#define IG_SYS_NR "a7"
#define IG_SYS_A0 "a0"
#define IG_SYS_A1 "a1"
#define IG_SYS_A2 "a2"
#include "ig_linux_syscalls.h"
