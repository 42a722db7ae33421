/* codegen.c: the first code generator: a verified graph of one decode step
 * (one token) to a SeedChip program, FP32 end to end (docs/COMPILER.md,
 * "Code generation").
 *
 * Every value lives in device memory (weights, the RoPE table and a few
 * constants as const buffers, the KV cache as state, intermediates as
 * scratch, logits as the output). Ops run one after another, each followed by
 * a fence and a chip-wide barrier: matmuls split their output columns over all
 * cores in tiles of the MXU's width, attention its heads, the row-wise vector
 * ops run on core 0. Every loop count comes from a register, so the code size
 * does not grow with the model. The token and its position arrive as launch
 * arguments (x1, x2). The arithmetic follows the reference forward pass step
 * for step (k ascending in every dot product, divisions where it divides), so
 * FP32 results differ from it only where the VPU's special functions differ
 * from the host's libm.
 *
 * The code is produced as assembly text and assembled by the asm layer; each
 * instruction's debug entry then names the graph op it came from. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/asm.h"
#include "seedchip/cc.h"

enum { ALIGN = 256 };

/* SRAM regions of every core (byte offsets). */
typedef struct sram_map {
  uint64_t consts, a, b, c, s, w, size;
} sram_map;

/* Small FP32 constants, copied into every core's SRAM at the start. */
enum { K_DIM, K_HIDDEN, K_SQRT_HD, K_ZERO, K_COUNT };

typedef struct gen {
  const sc_graph *g;
  const sc_model *m;
  const sc_arch *a;
  sc_strbuf text;
  /* per value: device address (aliases share), bytes */
  uint64_t *addr, *bytes;
  uint64_t next;         /* next free device address */
  uint64_t consts, rope; /* const buffers: small constants, (cos, sin) table */
  uint32_t head_dim, max_seq;
  sram_map s;
  uint32_t label;
  /* line number -> op (value id + 1; 0 = prologue) */
  uint32_t *line_op;
  size_t n_lines, cap_lines;
  uint32_t cur_op;
  char *err;
  size_t err_size;
  bool oom;
} gen;

/* Records that the text's next line belongs to the current op. */
static void note_line(gen *G) {
  if (G->n_lines == G->cap_lines) {
    size_t cap = G->cap_lines ? G->cap_lines * 2 : 1024;
    uint32_t *l = realloc(G->line_op, cap * sizeof *l);
    if (!l) {
      G->oom = true;
      return;
    }
    G->line_op = l;
    G->cap_lines = cap;
  }
  G->line_op[G->n_lines++] = G->cur_op;
}

/* One line of text: an instruction (indented) or, with indent false, a
 * directive or label. */
static void emit(gen *G, bool indent, const char *fmt, va_list ap) {
  if (indent) sc_strbuf_append(&G->text, "  ", 2);
  sc_strbuf_vprintf(&G->text, fmt, ap);
  sc_strbuf_append(&G->text, "\n", 1);
  note_line(G);
}

static void line(gen *G, const char *fmt, ...) SC_PRINTF(2, 3);
static void line(gen *G, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(G, true, fmt, ap);
  va_end(ap);
}

static void raw(gen *G, const char *fmt, ...) SC_PRINTF(2, 3);
static void raw(gen *G, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(G, false, fmt, ap);
  va_end(ap);
}

static void label(gen *G, const char *name, uint32_t k) {
  raw(G, "L%u_%s:", k, name);
}

/* xr = v (any 64-bit value). */
static void li(gen *G, unsigned r, uint64_t v) {
  if ((uint64_t)(int64_t)(int32_t)(uint32_t)v == v) {
    line(G, "li x%u, %lld", r, (long long)(int32_t)(uint32_t)v);
  } else {
    line(G, "li x%u, %lld", r, (long long)(int32_t)(uint32_t)v);
    line(G, "lih x%u, %llu", r, (unsigned long long)(v >> 32));
  }
}

static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static uint64_t align_up(uint64_t v) {
  return (v + ALIGN - 1) / ALIGN * ALIGN;
}

static const sc_gvalue *val(const gen *G, uint32_t id) {
  return sc_graph_value(G->g, id);
}

static uint64_t elems(const sc_gvalue *v) {
  uint64_t n = 1;
  for (uint32_t d = 0; d < v->rank; d++) n *= (uint64_t)v->shape[d];
  return n;
}

static uint64_t last(const sc_gvalue *v) {
  return (uint64_t)v->shape[v->rank - 1];
}

/* Registers of generated code: x1 token, x2 position, x3 core id; x4-x7 and
 * x24-x31 addresses and counters; x8-x23 shape groups. */
enum { R_TOK = 1, R_POS = 2, R_CORE = 3 };

/* The guard of work done by core 0 only. */
static void only_core0_begin(gen *G, uint32_t k) {
  line(G, "bne x3, x0, L%u_skip", k);
}
static void only_core0_end(gen *G, uint32_t k) {
  label(G, "skip", k);
}

/* The end of every op: engines drained, every core past it. */
static void op_end(gen *G) {
  line(G, "sync.fence all");
  line(G, "sync.barrier");
}

/* dma.1d of n fp32 elements: dst and src are "space[xN]". */
static void dma1(gen *G, const char *dst, const char *src, uint64_t n, unsigned q) {
  li(G, 8, n);
  line(G, "dma.1d %s:fp32, %s:fp32, x8, x0, q%u @signal(s0)", dst, src, q);
  line(G, "sync.wait s0, 1");
}

/* A row-wise vector op over 1 x n fp32 in SRAM. */
static void vgroup(gen *G, uint64_t rows, uint64_t cols) {
  li(G, 8, rows);
  li(G, 9, cols);
  li(G, 10, cols * 4);
  li(G, 11, cols * 4);
  li(G, 12, cols * 4);
}

/* ---- ops ---- */

static void gen_embedding(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  const sc_gvalue *table = val(G, y->in[0]);
  uint64_t D = last(table);
  only_core0_begin(G, k);
  li(G, 4, G->addr[y->in[0]]);
  li(G, 5, D * 4);
  line(G, "mul x5, x5, x1");
  line(G, "add x4, x4, x5");
  li(G, 6, G->addr[id]);
  dma1(G, "hbm[x6]", "hbm[x4]", D, 0);
  only_core0_end(G, k);
}

static void gen_rmsnorm(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  const sc_gvalue *x = val(G, y->in[0]);
  uint64_t D = last(x);
  only_core0_begin(G, k);
  li(G, 4, G->addr[y->in[0]]);
  li(G, 5, G->s.a);
  dma1(G, "sram[x5]", "hbm[x4]", D, 0);
  li(G, 4, G->addr[y->in[1]]);
  li(G, 6, G->s.b);
  dma1(G, "sram[x6]", "hbm[x4]", D, 0);
  li(G, 7, G->s.s);
  li(G, 24, G->s.consts + 4 * K_DIM);
  /* the consts slot holds float(D) of this op's width */
  li(G, 25, f32_bits((float)D));
  vgroup(G, 1, D);
  line(G, "vpu.rsumsq sram[x7]:fp32, sram[x5]:fp32, x8..x11, overwrite"); /* ss = sum x^2 */
  li(G, 9, 1);
  line(G, "vpu.fill sram[x24]:fp32, x25, x8..x10"); /* the divisor D */
  line(G, "vpu.div sram[x7]:fp32, sram[x7]:fp32, sram[x24]:fp32, x8..x12, scalar");
  li(G, 25, f32_bits(y->attrs.eps));
  line(G, "vpu.adds sram[x7]:fp32, sram[x7]:fp32, x25, x8..x11");
  line(G, "vpu.sqrt sram[x7]:fp32, sram[x7]:fp32, x8..x11");
  line(G, "vpu.recip sram[x7]:fp32, sram[x7]:fp32, x8..x11"); /* 1 / sqrt(ss / D + eps) */
  li(G, 9, D);
  line(G, "vpu.mul sram[x5]:fp32, sram[x5]:fp32, sram[x7]:fp32, x8..x12, scalar");
  line(G, "vpu.mul sram[x5]:fp32, sram[x6]:fp32, sram[x5]:fp32, x8..x12, full");
  line(G, "sync.fence vpu");
  li(G, 4, G->addr[id]);
  dma1(G, "hbm[x4]", "sram[x5]", D, 0);
  only_core0_end(G, k);
}

/* y = a op b, elementwise over n (b the same shape). */
static void gen_binary(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id, const char *mn,
                       const char *pre) {
  uint64_t n = elems(y);
  only_core0_begin(G, k);
  li(G, 4, G->addr[y->in[0]]);
  li(G, 5, G->s.a);
  dma1(G, "sram[x5]", "hbm[x4]", n, 0);
  li(G, 4, G->addr[y->in[1]]);
  li(G, 6, G->s.b);
  dma1(G, "sram[x6]", "hbm[x4]", n, 0);
  vgroup(G, 1, n);
  if (pre) line(G, "%s sram[x5]:fp32, sram[x5]:fp32, x8..x11", pre);
  line(G, "%s sram[x5]:fp32, sram[x5]:fp32, sram[x6]:fp32, x8..x12, full", mn);
  line(G, "sync.fence vpu");
  li(G, 4, G->addr[id]);
  dma1(G, "hbm[x4]", "sram[x5]", n, 0);
  only_core0_end(G, k);
}

static void gen_rope(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  uint64_t H = (uint64_t)y->shape[1], hd = (uint64_t)y->shape[2];
  only_core0_begin(G, k);
  li(G, 4, G->addr[y->in[0]]);
  li(G, 5, G->s.a);
  dma1(G, "sram[x5]", "hbm[x4]", H * hd, 0);
  li(G, 4, G->rope);
  li(G, 6, hd * 4);
  line(G, "mul x6, x6, x2"); /* the table row of this position */
  line(G, "add x4, x4, x6");
  li(G, 6, G->s.b);
  dma1(G, "sram[x6]", "hbm[x4]", hd, 0);
  li(G, 8, H);
  li(G, 9, hd);
  li(G, 10, hd * 4);
  li(G, 11, hd * 4);
  line(G, "li x12, 0"); /* every head reads the same row */
  line(G, "vpu.rope sram[x5]:fp32, sram[x5]:fp32, sram[x6]:fp32, x8..x12, %s",
       y->attrs.rope_halves ? "halves" : "pairs");
  line(G, "sync.fence vpu");
  li(G, 4, G->addr[id]);
  dma1(G, "hbm[x4]", "sram[x5]", H * hd, 0);
  only_core0_end(G, k);
}

static void gen_cache_write(gen *G, const sc_gvalue *y, uint32_t k) {
  const sc_gvalue *x = val(G, y->in[1]);
  uint64_t row = (uint64_t)x->shape[1] * (uint64_t)x->shape[2];
  only_core0_begin(G, k);
  li(G, 4, G->addr[y->in[0]]);
  li(G, 5, row * 4);
  line(G, "mul x5, x5, x2");
  line(G, "add x4, x4, x5");
  li(G, 6, G->addr[y->in[1]]);
  dma1(G, "hbm[x4]", "hbm[x6]", row, 0);
  only_core0_end(G, k);
}

/* y[1, N] = x[1, K] @ W[N, K]^T (+ bias): output tiles of up to mxu.cols
 * columns, tile j on core j mod cores, K in chunks of up to mxu.rows. */
static void gen_matmul(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  const sc_gvalue *x = val(G, y->in[0]), *w = val(G, y->in[1]);
  uint64_t K = last(x), N = (uint64_t)w->shape[0];
  uint64_t TR = G->a->core.mxu.rows, TC = G->a->core.mxu.cols;
  uint64_t tiles = (N + TC - 1) / TC, cores = G->a->cores.count;
  /* x into every core's SRAM A */
  li(G, 4, G->addr[y->in[0]]);
  li(G, 5, G->s.a);
  dma1(G, "sram[x5]", "hbm[x4]", K, 0);
  line(G, "sync.signal x3, s1, 1"); /* the weight buffer is free */
  line(G, "mv x20, x3");            /* j = core */
  li(G, 21, tiles);
  label(G, "tile", k);
  line(G, "bge x20, x21, L%u_done", k);
  li(G, 22, TC);
  line(G, "mul x22, x22, x20"); /* n0 = j * TC */
  li(G, 23, N);
  line(G, "sub x23, x23, x22");
  li(G, 24, TC);
  line(G, "minu x23, x23, x24"); /* nt = min(TC, N - n0) */
  /* x25 = &W[n0][0]; x26 = kk (elements) */
  li(G, 25, K * 4);
  line(G, "mul x25, x25, x22");
  li(G, 4, G->addr[y->in[1]]);
  line(G, "add x25, x25, x4");
  line(G, "li x26, 0");
  /* each K chunk: DMA W[n0 .. n0+nt][kk .. kk+kt] (nt rows of kt), load (nk), multiply */
  label(G, "chunk", k);
  li(G, 27, K);
  line(G, "sub x27, x27, x26");
  li(G, 28, TR);
  line(G, "minu x27, x27, x28"); /* kt */
  line(G, "mv x8, x27");         /* dma.2d: kt elements per row */
  line(G, "mv x9, x23");         /*         nt rows */
  line(G, "shli x10, x27, 2");   /*         dst stride kt * 4 */
  li(G, 11, K * 4);              /*         src stride */
  line(G, "shli x4, x26, 2");
  line(G, "add x4, x4, x25");
  li(G, 5, G->s.w);
  line(G, "dma.2d sram[x5]:fp32, hbm[x4]:fp32, x8..x11, x0, q0 @wait(s1) @signal(s0)");
  line(G, "mv x12, x27");      /* ldw: K = kt */
  line(G, "mv x13, x23");      /*      N = nt */
  line(G, "shli x14, x27, 2"); /* stored row stride */
  line(G, "mxu.ldw sram[x5]:fp32, x12..x14, nk @wait(s0) @signal(s1)");
  line(G, "li x15, 1"); /* mm: M = 1 */
  li(G, 16, K * 4);
  line(G, "shli x17, x23, 2");
  li(G, 6, G->s.a);
  line(G, "shli x7, x26, 2");
  line(G, "add x6, x6, x7"); /* the activations x[kk ..] */
  line(G, "bne x26, x0, L%u_acc", k);
  line(G, "mxu.mm acc[x0], sram[x6]:fp32, x15..x17, overwrite");
  line(G, "j L%u_next", k);
  label(G, "acc", k);
  line(G, "mxu.mm acc[x0], sram[x6]:fp32, x15..x17, accumulate");
  label(G, "next", k);
  line(G, "add x26, x26, x27");
  li(G, 28, K);
  line(G, "blt x26, x28, L%u_chunk", k);
  /* drain the tile, add the bias, store */
  line(G, "li x8, 1");
  line(G, "mv x9, x23");
  line(G, "shli x10, x23, 2");
  line(G, "shli x11, x23, 2");
  li(G, 6, G->s.c);
  line(G, "mxu.drain sram[x6]:fp32, acc[x0]:fp32, x8..x11 @signal(s2)");
  line(G, "sync.wait s2, 1");
  if (y->n_in == 3) {
    li(G, 4, G->addr[y->in[2]]);
    line(G, "shli x5, x22, 2");
    line(G, "add x4, x4, x5");
    li(G, 7, G->s.b);
    line(G, "mv x12, x23");
    line(G, "dma.1d sram[x7]:fp32, hbm[x4]:fp32, x12, x0, q0 @signal(s0)");
    line(G, "sync.wait s0, 1");
    line(G, "shli x12, x23, 2");
    line(G, "vpu.add sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, full");
    line(G, "sync.fence vpu");
  }
  li(G, 4, G->addr[id]);
  line(G, "shli x5, x22, 2");
  line(G, "add x4, x4, x5");
  line(G, "mv x12, x23");
  line(G, "dma.1d hbm[x4]:fp32, sram[x6]:fp32, x12, x0, q0 @signal(s0)");
  line(G, "sync.wait s0, 1");
  li(G, 4, cores);
  line(G, "add x20, x20, x4");
  line(G, "j L%u_tile", k);
  label(G, "done", k);
  line(G, "sync.wait s1, 1"); /* take back the free-buffer token */
}

/* One token's causal grouped-query attention: heads h = core, core + cores, ... */
static void gen_attention(gen *G, const sc_gvalue *y, uint32_t k, uint32_t id) {
  const sc_gvalue *kc = val(G, y->in[1]);
  uint64_t H = (uint64_t)y->shape[1], hd = (uint64_t)y->shape[2];
  uint64_t KVH = (uint64_t)kc->shape[1], grp = H / KVH, row = KVH * hd * 4;
  uint64_t TR = G->a->core.mxu.rows, TC = G->a->core.mxu.cols;
  uint64_t cores = G->a->cores.count;
  line(G, "sync.signal x3, s1, 1");
  line(G, "addi x21, x2, 1"); /* npos = pos + 1 */
  line(G, "mv x20, x3");      /* h = core */
  label(G, "head", k);
  li(G, 4, H);
  line(G, "bge x20, x4, L%u_done", k);
  /* q_h into SRAM A */
  li(G, 4, hd * 4);
  line(G, "mul x4, x4, x20");
  li(G, 5, G->addr[y->in[0]]);
  line(G, "add x4, x4, x5");
  li(G, 5, G->s.a);
  dma1(G, "sram[x5]", "hbm[x4]", hd, 0);
  /* x22 = kv head offset (bytes) = (h / grp) * hd * 4 */
  li(G, 4, grp);
  line(G, "divu x22, x20, x4");
  li(G, 4, hd * 4);
  line(G, "mul x22, x22, x4");
  /* scores: tiles of up to TC positions: ldw K^T (nk: nt rows of hd), mm q */
  line(G, "li x23, 0"); /* t0 */
  label(G, "sc", k);
  line(G, "sub x24, x21, x23");
  li(G, 4, TC);
  line(G, "minu x24, x24, x4"); /* nt */
  li(G, 4, row);
  line(G, "mul x4, x4, x23");
  li(G, 5, G->addr[y->in[1]]);
  line(G, "add x4, x4, x5");
  line(G, "add x4, x4, x22");
  li(G, 8, hd);
  line(G, "mv x9, x24");
  li(G, 10, hd * 4);
  li(G, 11, row);
  li(G, 5, G->s.w);
  line(G, "dma.2d sram[x5]:fp32, hbm[x4]:fp32, x8..x11, x0, q0 @wait(s1) @signal(s0)");
  li(G, 12, hd);
  line(G, "mv x13, x24");
  li(G, 14, hd * 4);
  line(G, "mxu.ldw sram[x5]:fp32, x12..x14, nk @wait(s0) @signal(s1)");
  line(G, "li x15, 1");
  li(G, 16, hd * 4);
  line(G, "shli x17, x24, 2");
  li(G, 6, G->s.a);
  line(G, "mxu.mm acc[x0], sram[x6]:fp32, x15..x17, overwrite");
  line(G, "li x8, 1");
  line(G, "mv x9, x24");
  line(G, "shli x10, x24, 2");
  line(G, "shli x11, x24, 2");
  li(G, 6, G->s.c);
  line(G, "shli x7, x23, 2");
  line(G, "add x6, x6, x7");
  line(G, "mxu.drain sram[x6]:fp32, acc[x0]:fp32, x8..x11");
  line(G, "add x23, x23, x24");
  line(G, "blt x23, x21, L%u_sc", k);
  line(G, "sync.fence all");
  /* softmax over the npos scores at SRAM C, after dividing by sqrt(head_dim) */
  li(G, 6, G->s.c);
  li(G, 7, G->s.s);
  li(G, 24, G->s.consts + 4 * K_SQRT_HD);
  line(G, "li x8, 1");
  line(G, "mv x9, x21");
  line(G, "shli x10, x21, 2");
  line(G, "shli x11, x21, 2");
  line(G, "li x12, 4");
  line(G, "vpu.div sram[x6]:fp32, sram[x6]:fp32, sram[x24]:fp32, x8..x12, scalar");
  line(G, "vpu.rmax sram[x7]:fp32, sram[x6]:fp32, x8..x11, overwrite");
  line(G, "vpu.sub sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, col");
  line(G, "vpu.exp sram[x6]:fp32, sram[x6]:fp32, x8..x11");
  line(G, "vpu.rsum sram[x7]:fp32, sram[x6]:fp32, x8..x11, overwrite");
  line(G, "vpu.div sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32, x8..x12, col");
  line(G, "sync.fence vpu");
  /* out = att @ V: tiles of up to TR positions, V rows as weights (kn) */
  line(G, "li x23, 0");
  label(G, "av", k);
  line(G, "sub x24, x21, x23");
  li(G, 4, TR);
  line(G, "minu x24, x24, x4");
  li(G, 4, row);
  line(G, "mul x4, x4, x23");
  li(G, 5, G->addr[y->in[2]]);
  line(G, "add x4, x4, x5");
  line(G, "add x4, x4, x22");
  li(G, 8, hd);
  line(G, "mv x9, x24");
  li(G, 10, hd * 4);
  li(G, 11, row);
  li(G, 5, G->s.w);
  line(G, "dma.2d sram[x5]:fp32, hbm[x4]:fp32, x8..x11, x0, q0 @wait(s1) @signal(s0)");
  line(G, "mv x12, x24"); /* K = nt positions */
  li(G, 13, hd);          /* N = head_dim */
  li(G, 14, hd * 4);
  line(G, "mxu.ldw sram[x5]:fp32, x12..x14, kn @wait(s0) @signal(s1)");
  line(G, "li x15, 1");
  line(G, "shli x16, x24, 2");
  li(G, 17, hd * 4);
  li(G, 6, G->s.c);
  line(G, "shli x7, x23, 2");
  line(G, "add x6, x6, x7");
  line(G, "bne x23, x0, L%u_avacc", k);
  line(G, "mxu.mm acc[x0], sram[x6]:fp32, x15..x17, overwrite");
  line(G, "j L%u_avnext", k);
  label(G, "avacc", k);
  line(G, "mxu.mm acc[x0], sram[x6]:fp32, x15..x17, accumulate");
  label(G, "avnext", k);
  line(G, "add x23, x23, x24");
  line(G, "blt x23, x21, L%u_av", k);
  line(G, "li x8, 1");
  li(G, 9, hd);
  li(G, 10, hd * 4);
  li(G, 11, hd * 4);
  li(G, 6, G->s.b);
  line(G, "mxu.drain sram[x6]:fp32, acc[x0]:fp32, x8..x11 @signal(s2)");
  line(G, "sync.wait s2, 1");
  li(G, 4, hd * 4);
  line(G, "mul x4, x4, x20");
  li(G, 5, G->addr[id]);
  line(G, "add x4, x4, x5");
  dma1(G, "hbm[x4]", "sram[x6]", hd, 0);
  li(G, 4, cores);
  line(G, "add x20, x20, x4");
  line(G, "j L%u_head", k);
  label(G, "done", k);
  line(G, "sync.wait s1, 1");
}

/* ---- buffers ---- */

static uint64_t alloc(gen *G, uint64_t bytes) {
  uint64_t a = G->next;
  G->next = align_up(G->next + (bytes ? bytes : 4));
  return a;
}

static bool fail(gen *G, sc_status *st, sc_status code, const char *fmt, ...) SC_PRINTF(4, 5);
static bool fail(gen *G, sc_status *st, sc_status code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (G->err_size) vsnprintf(G->err, G->err_size, fmt, ap);
  va_end(ap);
  *st = code;
  return false;
}

/* Checks what this generator supports and lays out device memory. */
static bool plan(gen *G, sc_status *st) {
  const sc_graph *g = G->g;
  size_t n = sc_graph_count(g);
  G->addr = calloc(n, sizeof *G->addr);
  G->bytes = calloc(n, sizeof *G->bytes);
  if (!G->addr || !G->bytes) return fail(G, st, SC_STATUS_NO_MEMORY, "out of memory");
  uint64_t widest = 1;
  for (uint32_t i = 0; i < n; i++) {
    const sc_gvalue *v = val(G, i);
    if (v->dtype != SC_DTYPE_FP32 && v->dtype != SC_DTYPE_INT32)
      return fail(G, st, SC_STATUS_UNSUPPORTED, "%%%s: %s values are not supported yet (fp32)",
                  v->name, sc_dtype_name(v->dtype));
    if (v->kind == SC_GV_INPUT) {
      if (elems(v) != 1)
        return fail(G, st, SC_STATUS_UNSUPPORTED,
                    "%%%s: one token per step is supported (decode), got %llu", v->name,
                    (unsigned long long)elems(v));
      continue; /* launch arguments */
    }
    if (v->kind == SC_GV_OP) {
      switch (v->op) {
      case SC_GOP_RESHAPE: /* a view */
      case SC_GOP_CACHE_WRITE:
        G->addr[i] = G->addr[v->in[0]];
        G->bytes[i] = G->bytes[v->in[0]];
        continue;
      case SC_GOP_EMBEDDING:
      case SC_GOP_RMSNORM:
      case SC_GOP_MATMUL:
      case SC_GOP_ROPE:
      case SC_GOP_ATTENTION:
      case SC_GOP_ADD:
      case SC_GOP_MUL:
      case SC_GOP_SWIGLU:
        break;
      default:
        return fail(G, st, SC_STATUS_UNSUPPORTED, "%%%s: op %s is not supported yet", v->name,
                    sc_gop_name(v->op));
      }
      if (v->shape[0] != 1)
        return fail(G, st, SC_STATUS_UNSUPPORTED, "%%%s: one token per step is supported", v->name);
    }
    if (v->kind == SC_GV_OP && elems(v) > widest) widest = elems(v); /* one row per value */
    G->bytes[i] = elems(v) * 4;
    G->addr[i] = alloc(G, G->bytes[i]);
    if (v->kind == SC_GV_OP && v->op == SC_GOP_ATTENTION) G->head_dim = (uint32_t)last(v);
    if (v->kind == SC_GV_STATE) G->max_seq = (uint32_t)v->shape[0];
    if (v->kind == SC_GV_OP && v->op == SC_GOP_ROPE) G->head_dim = (uint32_t)last(v);
  }
  if (G->max_seq && G->max_seq > widest) widest = G->max_seq;
  G->consts = alloc(G, K_COUNT * 4);
  G->rope = G->head_dim && G->max_seq ? alloc(G, (uint64_t)G->max_seq * G->head_dim * 4) : 0;
  if (G->next > G->a->memory.capacity_bytes)
    return fail(
        G, st, SC_STATUS_INVALID, "the model needs %llu bytes of device memory, %s has %llu",
        (unsigned long long)G->next, G->a->name, (unsigned long long)G->a->memory.capacity_bytes);
  /* SRAM: constants, three rows, a scalar, a weight tile */
  uint64_t rowb = align_up(widest * 4);
  uint64_t tile = (uint64_t)G->a->core.mxu.rows * G->a->core.mxu.cols * 4;
  G->s.consts = 0;
  G->s.a = ALIGN;
  G->s.b = G->s.a + rowb;
  G->s.c = G->s.b + rowb;
  G->s.s = G->s.c + rowb;
  G->s.w = G->s.s + ALIGN;
  G->s.size = G->s.w + tile;
  if (G->s.size > G->a->core.sram.size_bytes)
    return fail(G, st, SC_STATUS_UNSUPPORTED,
                "rows of %llu values need %llu bytes of SRAM, a core has %llu",
                (unsigned long long)widest, (unsigned long long)G->s.size,
                (unsigned long long)G->a->core.sram.size_bytes);
  return true;
}

static sc_status add_buffer(sc_program *p, const char *name, sc_prog_role role, uint64_t addr,
                            uint64_t bytes, const void *data) {
  sc_prog_buffer b = {0};
  b.name = name;
  b.dtype = SC_DTYPE_FP32;
  b.role = role;
  b.rank = 1;
  b.shape[0] = bytes / 4;
  b.addr = addr;
  b.init = data ? SC_PROG_INIT_INLINE : SC_PROG_INIT_NONE;
  b.data = data;
  return sc_prog_add_buffer(p, &b);
}

/* The (cos, sin) table of every position, computed as the reference does. */
static float *rope_table(const gen *G, const sc_gvalue *rope) {
  uint32_t hd = G->head_dim, S = G->max_seq;
  float *t = malloc((size_t)S * hd * sizeof *t);
  if (!t) return NULL;
  float theta = rope->attrs.theta;
  for (uint32_t p = 0; p < S; p++)
    for (uint32_t i = 0; i < hd; i += 2) {
      float freq = 1.0f / powf(theta, (float)i / (float)hd);
      float angle = (float)p * freq;
      t[(size_t)p * hd + i] = cosf(angle);
      t[(size_t)p * hd + i + 1] = sinf(angle);
    }
  return t;
}

sc_status sc_cc_compile(const sc_graph *g, const sc_model *m, const sc_arch *arch, sc_program **out,
                        sc_strbuf *listing, char *err, size_t err_size) {
  *out = NULL;
  gen G = {.g = g, .m = m, .a = arch, .err = err, .err_size = err_size};
  sc_status st = SC_STATUS_OK;
  sc_program *prog = NULL;
  float *table = NULL, *wbuf = NULL;
  if (!plan(&G, &st)) goto done;
  /* the code: every core runs it; work is split by core id */
  raw(&G, ".arch %s", arch->name);
  raw(&G, ".fingerprint 0x%016llx", (unsigned long long)sc_arch_fingerprint(arch));
  raw(&G, ".core 0-%u", arch->cores.count - 1);
  line(&G, "csrr x3, core_id");
  li(&G, 4, G.consts);
  li(&G, 5, G.s.consts);
  dma1(&G, "sram[x5]", "hbm[x4]", K_COUNT, 0);
  const sc_gvalue *rope = NULL;
  for (uint32_t i = 0; i < sc_graph_count(g) && !G.oom; i++) {
    const sc_gvalue *v = val(&G, i);
    if (v->kind != SC_GV_OP || v->op == SC_GOP_RESHAPE) continue;
    G.cur_op = i + 1;
    uint32_t k = ++G.label;
    switch (v->op) {
    case SC_GOP_EMBEDDING:
      gen_embedding(&G, v, k, i);
      break;
    case SC_GOP_RMSNORM:
      gen_rmsnorm(&G, v, k, i);
      break;
    case SC_GOP_MATMUL:
      gen_matmul(&G, v, k, i);
      break;
    case SC_GOP_ROPE:
      rope = v;
      gen_rope(&G, v, k, i);
      break;
    case SC_GOP_CACHE_WRITE:
      gen_cache_write(&G, v, k);
      break;
    case SC_GOP_ATTENTION:
      gen_attention(&G, v, k, i);
      break;
    case SC_GOP_ADD:
      gen_binary(&G, v, k, i, "vpu.add", NULL);
      break;
    case SC_GOP_MUL:
      gen_binary(&G, v, k, i, "vpu.mul", NULL);
      break;
    case SC_GOP_SWIGLU:
      gen_binary(&G, v, k, i, "vpu.mul", "vpu.silu");
      break;
    default:
      break;
    }
    op_end(&G);
  }
  G.cur_op = 0;
  line(&G, "halt");
  if (G.oom || G.text.oom) {
    fail(&G, &st, SC_STATUS_NO_MEMORY, "out of memory");
    goto done;
  }
  if (listing) sc_strbuf_append(listing, G.text.data, G.text.len);
  sc_strbuf diags = {0};
  st = sc_asm_assemble(G.text.data, G.text.len, sc_graph_name(g), NULL, &prog, &diags);
  if (st != SC_STATUS_OK) {
    fail(&G, &st, SC_STATUS_INVALID, "code generation produced bad assembly:\n%s",
         sc_strbuf_str(&diags));
    sc_strbuf_free(&diags);
    goto done;
  }
  sc_strbuf_free(&diags);
  /* the debug map: each instruction names its graph op */
  for (uint32_t c = 0; c < arch->cores.count && st == SC_STATUS_OK; c++) {
    size_t n_words;
    (void)sc_prog_code(prog, c, &n_words);
    for (uint32_t pc = 0; pc < n_words && st == SC_STATUS_OK; pc++) {
      const sc_prog_debug *d = sc_prog_debug_at(prog, c, pc);
      if (!d || d->line == 0 || d->line > G.n_lines) continue;
      uint32_t op = G.line_op[d->line - 1];
      st = sc_prog_add_debug(prog, c, pc, op ? val(&G, op - 1)->name : "(prologue)", 0, 0);
    }
  }
  /* buffers */
  float consts[K_COUNT] = {0};
  consts[K_SQRT_HD] = G.head_dim ? sqrtf((float)G.head_dim) : 1.0f;
  if (st == SC_STATUS_OK)
    st = add_buffer(prog, "cc.consts", SC_PROG_ROLE_CONST, G.consts, K_COUNT * 4, consts);
  if (st == SC_STATUS_OK && rope) {
    if (!(table = rope_table(&G, rope))) {
      fail(&G, &st, SC_STATUS_NO_MEMORY, "out of memory");
      goto done;
    }
    st = add_buffer(prog, "cc.rope", SC_PROG_ROLE_CONST, G.rope,
                    (uint64_t)G.max_seq * G.head_dim * 4, table);
  }
  for (uint32_t i = 0; i < sc_graph_count(g) && st == SC_STATUS_OK; i++) {
    const sc_gvalue *v = val(&G, i);
    if (v->kind == SC_GV_INPUT ||
        (v->kind == SC_GV_OP && (v->op == SC_GOP_RESHAPE || v->op == SC_GOP_CACHE_WRITE)))
      continue;
    if (v->kind == SC_GV_CONST) {
      const sc_tensor *t = m ? sc_model_tensor(m, v->source) : NULL;
      if (!t || t->n_elems != elems(v)) {
        fail(&G, &st, SC_STATUS_NOT_FOUND, "%%%s: the model has no tensor '%s' of %llu elements",
             v->name, v->source, (unsigned long long)elems(v));
        break;
      }
      free(wbuf);
      if (!(wbuf = malloc(G.bytes[i]))) {
        fail(&G, &st, SC_STATUS_NO_MEMORY, "out of memory");
        break;
      }
      sc_tensor_to_f32(t, 0, t->n_elems, wbuf);
      st = add_buffer(prog, v->name, SC_PROG_ROLE_CONST, G.addr[i], G.bytes[i], wbuf);
    } else {
      sc_prog_role role = v->kind == SC_GV_STATE ? SC_PROG_ROLE_STATE
                          : v->is_output         ? SC_PROG_ROLE_OUTPUT
                                                 : SC_PROG_ROLE_SCRATCH;
      st = add_buffer(prog, v->name, role, G.addr[i], G.bytes[i], NULL);
    }
    if (st != SC_STATUS_OK && err_size && !err[0])
      snprintf(err, err_size, "%%%s: cannot add its buffer", v->name);
  }
done:
  free(table);
  free(wbuf);
  free(G.addr);
  free(G.bytes);
  free(G.line_op);
  sc_strbuf_free(&G.text);
  if (st != SC_STATUS_OK) {
    sc_prog_destroy(prog);
    return st;
  }
  *out = prog;
  return SC_STATUS_OK;
}
