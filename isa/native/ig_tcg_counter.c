/* intgap's QEMU TCG plugin (plugin API version 1, QEMU 7.2): exact per-translation-block execution counts.
 *
 * At translation time each TB is mapped to a counter record keyed by (vaddr, instructions, bytes); a TB that
 * QEMU translates again (after a flush, or as a shorter variant) with the same key shares the record. The
 * TB gets one *inline* 64-bit add on that record's counter: no callback runs per block or per instruction.
 *
 * Arguments (comma-separated after the .so path, as QEMU passes them):
 *   out=PATH       where the counts are written at exit (required)
 *   budget=N       stop the run once more than N instructions have executed (0 or absent: no budget)
 *   check=MODE     how the budget is watched:
 *                    thread (default): a plugin thread sums the counters every `poll_us` microseconds and
 *                                      stops QEMU once the sum exceeds the budget (no cost on the guest;
 *                                      overshoot bounded by one poll interval of execution)
 *                    tb:               an exec callback on every TB adds its size to a running total and
 *                                      stops at the first TB that crosses the budget (exact to one TB,
 *                                      but a callback per block: the backend reruns a program in this
 *                                      mode only after the thread watcher stopped it, to name the TB that
 *                                      crossed the budget, the same rule as the Unicorn backend's)
 *   poll_us=N      polling period of check=thread (default 1000)
 *
 * Output file (little-endian, written to PATH.tmp then renamed to PATH, so a reader never sees half a file):
 *   header  8 bytes magic "IGTCG02\0", u64 n_records, u64 flags (bit 0: stopped by the budget,
 *           bit 1: written by the budget watcher rather than at exit), u64 instructions executed (sum),
 *           u64 budget, u64 translations (TBs translated; more than n_records when QEMU retranslated),
 *           u64 stop_vaddr (check=tb: start of the TB that crossed the budget; else 0)
 *   records n_records x { u64 vaddr, u32 bytes, u32 insns, u64 count } (24 bytes each)
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define EXIT_BUDGET 124 /* QEMU's exit status when the plugin stops a run over budget */

typedef struct {
  uint64_t vaddr;
  uint32_t bytes;
  uint32_t insns;
  uint64_t count; /* bumped by the inline op; must never move once a TB points at it */
} Record;

/* Records live in fixed chunks that are never reallocated (TBs hold pointers into them). */
#define CHUNK_BITS 12
#define CHUNK_SIZE (1u << CHUNK_BITS)
#define MAX_CHUNKS 65536
static Record *chunks[MAX_CHUNKS];
static uint32_t n_records; /* published with release ordering after the record is complete */
static uint64_t n_translations;

/* Open-addressing index of record numbers + 1 (0 = empty); only the index is rehashed on growth. */
static uint32_t *index_slots;
static uint64_t index_cap;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static char *out_path;
static uint64_t budget;
static int check_tb;
static unsigned poll_us = 1000;
static uint64_t cb_total; /* check=tb: instructions of the TBs entered so far */
static uint64_t stop_vaddr; /* check=tb: the TB whose entry took cb_total past the budget */
static int written;       /* 0 until one thread claims the right to write the output */

static inline Record *record_at(uint32_t i) { return &chunks[i >> CHUNK_BITS][i & (CHUNK_SIZE - 1)]; }

static inline uint64_t hash_key(uint64_t vaddr, uint32_t bytes, uint32_t insns) {
  uint64_t h = vaddr * 0x9E3779B97F4A7C15ull;
  h ^= ((uint64_t)bytes << 32 | insns) * 0xC2B2AE3D27D4EB4Full;
  return h ^ (h >> 29);
}

static int index_grow(void) {
  uint64_t cap = index_cap ? index_cap * 2 : 4096;
  uint32_t *slots = calloc(cap, sizeof *slots);
  if (!slots) return -1;
  for (uint64_t s = 0; s < index_cap; s++) {
    uint32_t v = index_slots[s];
    if (!v) continue;
    Record *r = record_at(v - 1);
    uint64_t j = hash_key(r->vaddr, r->bytes, r->insns) & (cap - 1);
    while (slots[j]) j = (j + 1) & (cap - 1);
    slots[j] = v;
  }
  free(index_slots);
  index_slots = slots;
  index_cap = cap;
  return 0;
}

/* Called with table_lock held. */
static Record *find_or_create(uint64_t vaddr, uint32_t bytes, uint32_t insns) {
  if ((uint64_t)(n_records + 1) * 2 > index_cap && index_grow() != 0) return NULL;
  uint64_t j = hash_key(vaddr, bytes, insns) & (index_cap - 1);
  for (;;) {
    uint32_t v = index_slots[j];
    if (!v) break;
    Record *r = record_at(v - 1);
    if (r->vaddr == vaddr && r->bytes == bytes && r->insns == insns) return r;
    j = (j + 1) & (index_cap - 1);
  }
  uint32_t i = n_records;
  if ((i >> CHUNK_BITS) >= MAX_CHUNKS) return NULL;
  if (!chunks[i >> CHUNK_BITS]) {
    chunks[i >> CHUNK_BITS] = calloc(CHUNK_SIZE, sizeof(Record));
    if (!chunks[i >> CHUNK_BITS]) return NULL;
  }
  Record *r = record_at(i);
  r->vaddr = vaddr;
  r->bytes = bytes;
  r->insns = insns;
  r->count = 0;
  index_slots[j] = i + 1;
  __atomic_store_n(&n_records, i + 1, __ATOMIC_RELEASE);
  return r;
}

static uint64_t executed_instructions(uint32_t n) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    Record *r = record_at(i);
    total += (uint64_t)r->insns * __atomic_load_n(&r->count, __ATOMIC_RELAXED);
  }
  return total;
}

static void fail(const char *what) {
  char msg[512];
  snprintf(msg, sizeof msg, "ig_tcg_counter: %s: %s\n", what, strerror(errno));
  qemu_plugin_outs(msg);
  fputs(msg, stderr);
}

static void write_output(uint64_t flags) {
  uint32_t n = __atomic_load_n(&n_records, __ATOMIC_ACQUIRE);
  size_t len = strlen(out_path);
  char *tmp = malloc(len + 5);
  if (!tmp) return;
  memcpy(tmp, out_path, len);
  memcpy(tmp + len, ".tmp", 5);
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    fail("cannot open the output file");
    free(tmp);
    return;
  }
  static char buf[1 << 16];
  setvbuf(f, buf, _IOFBF, sizeof buf);
  /* check=tb: the callback's running total, which counts the TB that crossed the budget (its inline add may
   * not have run yet), as the Unicorn backend's native hook does */
  uint64_t header[6] = {n, flags, check_tb ? cb_total : executed_instructions(n), budget,
                        __atomic_load_n(&n_translations, __ATOMIC_RELAXED), stop_vaddr};
  fwrite("IGTCG02", 1, 8, f);
  fwrite(header, sizeof header, 1, f);
  for (uint32_t i = 0; i < n; i++) {
    Record *r = record_at(i);
    struct {
      uint64_t vaddr;
      uint32_t bytes, insns;
      uint64_t count;
    } row = {r->vaddr, r->bytes, r->insns, __atomic_load_n(&r->count, __ATOMIC_RELAXED)};
    fwrite(&row, sizeof row, 1, f);
  }
  if (fclose(f) != 0 || rename(tmp, out_path) != 0) fail("cannot write the output file");
  free(tmp);
}

static int claim_writer(void) {
  int expected = 0;
  return __atomic_compare_exchange_n(&written, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void stop_over_budget(void) {
  if (claim_writer()) {
    write_output(1 | 2);
    fflush(NULL);
    _exit(EXIT_BUDGET);
  }
  for (;;) pause(); /* another thread is writing and will end the process */
}

static void at_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  if (claim_writer()) {
    write_output(0);
    return;
  }
  /* The budget watcher is writing the output; it ends the process with _exit when done. */
  for (;;) pause();
}

static void tb_exec_check(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  Record *r = (Record *)userdata;
  cb_total += r->insns;
  if (cb_total > budget) {
    stop_vaddr = r->vaddr;
    stop_over_budget();
  }
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
  /* A hint only: QEMU 7.2 misreports Thumb instruction metadata before a page boundary, so the backend
   * re-derives each block's bytes from its instruction count and the ELF's encodings. */
  uint32_t bytes = 0;
  for (size_t i = 0; i < n; i++) bytes += (uint32_t)qemu_plugin_insn_size(qemu_plugin_tb_get_insn(tb, i));
  pthread_mutex_lock(&table_lock);
  Record *r = find_or_create(vaddr, bytes, (uint32_t)n);
  n_translations++;
  pthread_mutex_unlock(&table_lock);
  if (!r) {
    errno = ENOMEM;
    fail("out of memory for block counters");
    abort();
  }
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &r->count, 1);
  if (check_tb && budget) qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec_check, QEMU_PLUGIN_CB_NO_REGS, r);
}

static void *budget_watcher(void *arg) {
  (void)arg;
  struct timespec ts = {poll_us / 1000000u, (long)(poll_us % 1000000u) * 1000L};
  for (;;) {
    nanosleep(&ts, NULL);
    if (__atomic_load_n(&written, __ATOMIC_ACQUIRE)) return NULL;
    uint32_t n = __atomic_load_n(&n_records, __ATOMIC_ACQUIRE);
    if (executed_instructions(n) > budget) stop_over_budget();
  }
}

static int start_watcher(void) {
  /* QEMU user mode handles host signals per guest thread: keep every signal away from this thread. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t th;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&th, &attr, budget_watcher, NULL);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  (void)info;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "out=", 4) == 0) {
      out_path = strdup(a + 4);
    } else if (strncmp(a, "budget=", 7) == 0) {
      budget = strtoull(a + 7, NULL, 10);
    } else if (strcmp(a, "check=thread") == 0) {
      check_tb = 0;
    } else if (strcmp(a, "check=tb") == 0) {
      check_tb = 1;
    } else if (strncmp(a, "poll_us=", 8) == 0) {
      poll_us = (unsigned)strtoul(a + 8, NULL, 10);
      if (poll_us == 0) poll_us = 1;
    } else {
      fprintf(stderr, "ig_tcg_counter: unknown argument %s\n", a);
      return -1;
    }
  }
  if (!out_path) {
    fprintf(stderr, "ig_tcg_counter: missing out=PATH argument\n");
    return -1;
  }
  if (budget && !check_tb && start_watcher() != 0) {
    fprintf(stderr, "ig_tcg_counter: cannot start the budget watcher thread\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
  qemu_plugin_register_atexit_cb(id, at_exit, NULL);
  return 0;
}
