/* Output through the platform layer and a chosen exit status. */
#include "ig_platform.h"

int main(void) {
  ig_write_str("hello from intgap\n");
  static const unsigned char bytes[4] = {0xde, 0xad, 0xbe, 0xef};
  ig_write_hex(bytes, sizeof bytes);
  return 42;
}
