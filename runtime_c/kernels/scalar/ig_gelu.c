/* gelu, tanh form through the sigmoid (quant/ops/elementwise.py): x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)).
 *
 * Portable form, 32-bit throughout for int8 / int16 inputs (ig_ms_t plans for the input and output scalings, and the
 * polynomial as rounded high words: ig_activations.h); int32 inputs and plans that do not fit take the int64 form. */

#include "ig_activations.h"

#define IG_PORTABLE 1
#define IG_GATED_BODY ig_gated_portable
#define IG_ENTRIES_GELU
#include "ig_entry_points.h"
