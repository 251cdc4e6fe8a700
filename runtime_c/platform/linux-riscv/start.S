/* Linux-style entry: the loader (QEMU user mode, or the Unicorn runner) sets sp. */
  .file "start.S" /* a fixed file symbol: otherwise ld names the temporary object, and two builds differ */
  .section .text._start, "ax"
  .global _start
  .type _start, %function
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  call main
  tail ig_sys_exit
  .size _start, .-_start
