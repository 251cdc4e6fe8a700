/* Output helpers and the memory functions a compiler may call even in freestanding code. */
#include "ig_platform.h"

/* Keep gcc from turning these loops back into calls to themselves. */
#if defined(__GNUC__) && !defined(__clang__)
#define IG_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define IG_NO_LIBCALL
#endif

void ig_write_hex(const void *data, size_t len) {
  static const char digits[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)data;
  char buf[128];
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    buf[n++] = digits[p[i] >> 4];
    buf[n++] = digits[p[i] & 15];
    if (n == sizeof buf) { ig_sys_write(buf, n); n = 0; }
  }
  buf[n++] = '\n';
  ig_sys_write(buf, n);
}

void ig_write_str(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  ig_sys_write(s, n);
}

IG_NO_LIBCALL void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

IG_NO_LIBCALL void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d < s) { while (n--) *d++ = *s++; }
  else { d += n; s += n; while (n--) *--d = *--s; }
  return dst;
}

IG_NO_LIBCALL void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

IG_NO_LIBCALL int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n; n--, x++, y++) if (*x != *y) return *x - *y;
  return 0;
}

IG_NO_LIBCALL size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
