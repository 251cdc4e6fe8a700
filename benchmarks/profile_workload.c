/* A CoreMark-like integer workload, written for intgap (not CoreMark: its scores are not comparable, only its
 * mix is similar): per iteration a linked-list walk with find and reverse, a small int16 matrix multiply-add,
 * a character-class state machine over a text buffer, and a CRC-16 over the results. Iterations come from
 * -DPW_ITERS (default 20). Used by benchmarks/profile_overhead.py for the profile overhead and for the
 * timing models' cycles-per-iteration, compared across cores (M7/M4 ratio against the vendors' ~5.0/3.4). */
#include <stdint.h>
#include "ig_platform.h"

#ifndef PW_ITERS
#define PW_ITERS 20
#endif
#define PW_NODES 64
#define PW_N 12
#define PW_TEXT 256

typedef struct pw_node { struct pw_node *next; int16_t key, val; } pw_node;
static pw_node pw_pool[PW_NODES];
static int16_t pw_a[PW_N * PW_N], pw_b[PW_N * PW_N];
static int32_t pw_c[PW_N * PW_N];
static char pw_text[PW_TEXT];

static uint16_t pw_crc16(uint16_t crc, uint32_t data, int bytes) {
  for (int i = 0; i < bytes; i++) {
    crc ^= (uint16_t)((data >> (8 * i)) & 0xFF);
    for (int b = 0; b < 8; b++) crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001u) : (uint16_t)(crc >> 1);
  }
  return crc;
}

__attribute__((noinline)) static pw_node *pw_list_work(pw_node *head, int16_t seed, int32_t *found) {
  int32_t sum = 0;
  for (int16_t k = 0; k < 8; k++) {  /* find */
    int16_t want = (int16_t)((seed + k * 7) & 63);
    for (pw_node *p = head; p; p = p->next)
      if (p->key == want) { sum += p->val; break; }
  }
  pw_node *prev = 0;  /* reverse */
  while (head) { pw_node *n = head->next; head->next = prev; prev = head; head = n; }
  *found = sum;
  return prev;
}

__attribute__((noinline)) static int32_t pw_matrix_work(int16_t c0) {
  for (int i = 0; i < PW_N * PW_N; i++) pw_a[i] = (int16_t)(pw_a[i] + c0);
  int32_t acc = 0;
  for (int i = 0; i < PW_N; i++)
    for (int j = 0; j < PW_N; j++) {
      int32_t s = 0;
      for (int k = 0; k < PW_N; k++) s += (int32_t)pw_a[i * PW_N + k] * pw_b[k * PW_N + j];
      pw_c[i * PW_N + j] = s;
      acc += s >> 4;
    }
  return acc;
}

enum { PW_START, PW_INT, PW_FLOAT, PW_EXP, PW_INVALID, PW_NSTATES };

__attribute__((noinline)) static uint32_t pw_state_work(void) {
  uint32_t counts[PW_NSTATES] = {0};
  int st = PW_START;
  for (int i = 0; i < PW_TEXT; i++) {
    char ch = pw_text[i];
    if (ch == ',') { counts[st]++; st = PW_START; continue; }
    switch (st) {
      case PW_START: st = (ch >= '0' && ch <= '9') ? PW_INT : (ch == '.' ? PW_FLOAT : PW_INVALID); break;
      case PW_INT: if (ch == '.') st = PW_FLOAT; else if (ch < '0' || ch > '9') st = PW_INVALID; break;
      case PW_FLOAT: if (ch == 'e' || ch == 'E') st = PW_EXP; else if (ch < '0' || ch > '9') st = PW_INVALID; break;
      case PW_EXP: if (ch < '0' || ch > '9') st = PW_INVALID; break;
      default: break;
    }
  }
  uint32_t h = 0;
  for (int s = 0; s < PW_NSTATES; s++) h = h * 31 + counts[s];
  return h;
}

int main(void) {
  static const char pieces[] = "123,4.5e6,78.9,abc,0.25,7e,1,.5,99x,";
  for (int i = 0; i < PW_TEXT; i++) pw_text[i] = pieces[i % (sizeof pieces - 1)];
  for (int i = 0; i < PW_NODES; i++) {
    pw_pool[i].key = (int16_t)((i * 37) & 63);
    pw_pool[i].val = (int16_t)(i * 3 - 20);
    pw_pool[i].next = i + 1 < PW_NODES ? &pw_pool[i + 1] : 0;
  }
  for (int i = 0; i < PW_N * PW_N; i++) { pw_a[i] = (int16_t)(i % 17 - 8); pw_b[i] = (int16_t)(i % 13 - 6); }
  pw_node *head = &pw_pool[0];
  uint16_t crc = 0;
  for (int it = 0; it < PW_ITERS; it++) {
    int32_t found;
    head = pw_list_work(head, (int16_t)it, &found);
    crc = pw_crc16(crc, (uint32_t)found, 4);
    crc = pw_crc16(crc, (uint32_t)pw_matrix_work((int16_t)(it & 3)), 4);
    crc = pw_crc16(crc, pw_state_work(), 4);
  }
  ig_write_hex(&crc, sizeof crc);
  return 0;
}
