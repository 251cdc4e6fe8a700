/* Linux on AArch64: SVC #0, the call number in x8, arguments and result in x0 .. x2. */
#define IG_SYS_TRAP "svc #0"
#define IG_SYS_NR "x8"
#define IG_SYS_A0 "x0"
#define IG_SYS_A1 "x1"
#define IG_SYS_A2 "x2"
#include "ig_linux_syscalls.h"
