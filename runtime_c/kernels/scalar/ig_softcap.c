/* softcap (quant/ops/softcap.py): c tanh(x / c) as the integer tanh 2 sigmoid(2u) - 1 of ig_fixed64.h's sigmoid:
 * ig_softcap_portable (ig_activations.h), 32-bit rescales and sigmoid where the plan fits, else the definition's
 * int64 steps. Portable C: mve links it, and every family for int32 inputs. */
#include "ig_activations.h"

#define IG_PORTABLE 1
#define IG_SOFTCAP_BODY ig_softcap_portable
#define IG_ENTRIES_SOFTCAP
#include "ig_entry_points.h"
