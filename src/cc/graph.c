/* graph.c: the graph IR: building, verification with shape and dtype
 * inference, and the text dump. The rules of every op are in infer_op, one
 * case each, and in docs/COMPILER.md. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/graph.h"

static const char *const gop_names[] = {
#define SC_GOP(name, text, min_in, max_in, doc) text,
#include "seedchip/graph_ops.def"
#undef SC_GOP
};
static const uint8_t gop_min_in[] = {
#define SC_GOP(name, text, min_in, max_in, doc) min_in,
#include "seedchip/graph_ops.def"
#undef SC_GOP
};
static const uint8_t gop_max_in[] = {
#define SC_GOP(name, text, min_in, max_in, doc) max_in,
#include "seedchip/graph_ops.def"
#undef SC_GOP
};

const char *sc_gop_name(sc_gop op) {
  return (unsigned)op < SC_GOP_COUNT ? gop_names[op] : "?";
}

struct sc_graph {
  char name[SC_GRAPH_NAME_MAX];
  sc_gvalue *v;
  size_t n, cap;
  uint32_t *slots; /* the values by name (open addressing: an id, or UINT32_MAX) */
  size_t n_slots;
  char error[256];
};

static uint64_t name_hash(const char *s) {
  uint64_t h = 1469598103934665603u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h;
}

/* Commits the value being added (g->v[g->n]) to the name index; its id. */
static int64_t commit(sc_graph *g) {
  if ((g->n + 1) * 2 > g->n_slots) {
    size_t cap = g->n_slots ? g->n_slots * 2 : 128;
    uint32_t *t = malloc(cap * sizeof *t);
    if (!t) {
      snprintf(g->error, sizeof g->error, "out of memory");
      return -1;
    }
    for (size_t j = 0; j < cap; j++) t[j] = UINT32_MAX;
    for (size_t i = 0; i < g->n; i++) {
      size_t j = name_hash(g->v[i].name) & (cap - 1);
      while (t[j] != UINT32_MAX) j = (j + 1) & (cap - 1);
      t[j] = (uint32_t)i;
    }
    free(g->slots);
    g->slots = t;
    g->n_slots = cap;
  }
  size_t j = name_hash(g->v[g->n].name) & (g->n_slots - 1);
  while (g->slots[j] != UINT32_MAX) j = (j + 1) & (g->n_slots - 1);
  g->slots[j] = (uint32_t)g->n;
  return (int64_t)g->n++;
}

sc_graph *sc_graph_create(const char *name) {
  sc_graph *g = calloc(1, sizeof *g);
  if (g) snprintf(g->name, sizeof g->name, "%s", name ? name : "graph");
  return g;
}

void sc_graph_destroy(sc_graph *g) {
  if (!g) return;
  free(g->v);
  free(g->slots);
  free(g);
}

const char *sc_graph_name(const sc_graph *g) {
  return g->name;
}
const char *sc_graph_error(const sc_graph *g) {
  return g->error;
}
size_t sc_graph_count(const sc_graph *g) {
  return g->n;
}
const sc_gvalue *sc_graph_value(const sc_graph *g, uint32_t id) {
  return id < g->n ? &g->v[id] : NULL;
}

int64_t sc_graph_find(const sc_graph *g, const char *name) {
  if (!g->n_slots) return -1;
  for (size_t j = name_hash(name) & (g->n_slots - 1); g->slots[j] != UINT32_MAX;
       j = (j + 1) & (g->n_slots - 1))
    if (strcmp(g->v[g->slots[j]].name, name) == 0) return (int64_t)g->slots[j];
  return -1;
}

static int64_t fail(sc_graph *g, const char *fmt, ...) SC_PRINTF(2, 3);
static int64_t fail(sc_graph *g, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g->error, sizeof g->error, fmt, ap);
  va_end(ap);
  return -1;
}

/* A new value named name (checked), zeroed; NULL after fail(). */
static sc_gvalue *add(sc_graph *g, const char *name, uint32_t rank) {
  if (!name || !name[0] || strlen(name) >= SC_GRAPH_NAME_MAX) {
    fail(g, "a value needs a name of 1 to %d bytes", SC_GRAPH_NAME_MAX - 1);
    return NULL;
  }
  if (sc_graph_find(g, name) >= 0) {
    fail(g, "%%%s: the name is taken", name);
    return NULL;
  }
  if (rank > SC_GRAPH_MAX_RANK) {
    fail(g, "%%%s: rank %u exceeds %d", name, rank, SC_GRAPH_MAX_RANK);
    return NULL;
  }
  if (g->n == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 64;
    sc_gvalue *v = realloc(g->v, cap * sizeof *v);
    if (!v) {
      fail(g, "out of memory");
      return NULL;
    }
    g->v = v;
    g->cap = cap;
  }
  sc_gvalue *v = &g->v[g->n];
  memset(v, 0, sizeof *v);
  snprintf(v->name, sizeof v->name, "%s", name);
  v->rank = rank;
  for (unsigned d = 0; d < SC_GRAPH_MAX_RANK; d++) v->shape[d] = -1;
  return v;
}

static int64_t leaf(sc_graph *g, const char *name, sc_gkind kind, sc_dtype dt, uint32_t rank,
                    const int64_t *shape, const char *source) {
  if ((unsigned)dt >= SC_DTYPE_COUNT) return fail(g, "%%%s: dtype %d does not exist", name, dt);
  sc_gvalue *v = add(g, name, rank);
  if (!v) return -1;
  v->kind = kind;
  v->dtype = dt;
  for (uint32_t d = 0; d < rank; d++) v->shape[d] = shape[d];
  if (source) snprintf(v->source, sizeof v->source, "%s", source);
  return commit(g);
}

int64_t sc_graph_input(sc_graph *g, const char *name, sc_dtype dt, uint32_t rank,
                       const int64_t *shape) {
  return leaf(g, name, SC_GV_INPUT, dt, rank, shape, NULL);
}
int64_t sc_graph_const(sc_graph *g, const char *name, sc_dtype dt, uint32_t rank,
                       const int64_t *shape, const char *source) {
  return leaf(g, name, SC_GV_CONST, dt, rank, shape, source ? source : name);
}
int64_t sc_graph_const_slice(sc_graph *g, const char *name, sc_dtype dt, uint32_t rank,
                             const int64_t *shape, const char *source, uint32_t axis, int64_t start,
                             int64_t full) {
  if (axis >= rank || rank > SC_GRAPH_MAX_RANK || start < 0 || full <= 0 ||
      shape[axis] > full - start)
    return fail(g, "%%%s: slice [%lld, +%lld) of axis %u outside its %lld elements", name,
                (long long)start, rank && axis < rank ? (long long)shape[axis] : 0LL, axis,
                (long long)full);
  int64_t id = sc_graph_const(g, name, dt, rank, shape, source);
  if (id < 0) return id;
  g->v[id].slice_start[axis] = start;
  g->v[id].slice_full[axis] = full;
  return id;
}
int64_t sc_graph_const_box(sc_graph *g, const char *name, sc_dtype dt, uint32_t rank,
                           const int64_t *shape, const char *source, uint32_t box_rank,
                           const int64_t *box_shape, const int64_t *start, const int64_t *full) {
  int64_t n = 1, nb = 1;
  bool ok = box_rank >= 1 && box_rank <= SC_GRAPH_MAX_RANK && rank <= SC_GRAPH_MAX_RANK;
  for (uint32_t d = 0; ok && d < rank; d++) n *= shape[d];
  for (uint32_t d = 0; ok && d < box_rank; d++) {
    nb *= box_shape[d];
    ok = box_shape[d] > 0 && start[d] >= 0 && full[d] >= 0 &&
         (full[d] ? box_shape[d] <= full[d] - start[d] : start[d] == 0);
  }
  if (!ok || n != nb)
    return fail(g, "%%%s: a box of %lld elements outside its tensor, or not %lld elements", name,
                (long long)nb, (long long)n);
  int64_t id = sc_graph_const(g, name, dt, rank, shape, source);
  if (id < 0) return id;
  sc_gvalue *v = &g->v[id];
  v->box_rank = box_rank;
  for (uint32_t d = 0; d < box_rank; d++) {
    v->box_shape[d] = box_shape[d];
    v->slice_start[d] = start[d];
    v->slice_full[d] = full[d];
  }
  return id;
}
int64_t sc_graph_state(sc_graph *g, const char *name, sc_dtype dt, uint32_t rank,
                       const int64_t *shape) {
  return leaf(g, name, SC_GV_STATE, dt, rank, shape, NULL);
}

int64_t sc_graph_op(sc_graph *g, const char *name, sc_gop op, const uint32_t *in, uint32_t n_in,
                    const sc_gattrs *attrs) {
  if ((unsigned)op >= SC_GOP_COUNT) return fail(g, "%%%s: op %d does not exist", name, op);
  if (n_in < gop_min_in[op] || n_in > gop_max_in[op])
    return fail(g, "%%%s: %s takes %u to %u inputs, got %u", name, gop_names[op], gop_min_in[op],
                gop_max_in[op], n_in);
  for (uint32_t i = 0; i < n_in; i++)
    if (in[i] >= g->n)
      return fail(g, "%%%s: input %u is value %u, which is not defined yet", name, i, in[i]);
  sc_gvalue *v = add(g, name, 0);
  if (!v) return -1;
  v->kind = SC_GV_OP;
  v->op = op;
  v->n_in = n_in;
  memcpy(v->in, in, n_in * sizeof *in);
  if (attrs) v->attrs = *attrs;
  v->dtype = SC_DTYPE_FP32;
  return commit(g);
}

bool sc_graph_output(sc_graph *g, uint32_t id) {
  if (id >= g->n) return false;
  g->v[id].is_output = true;
  return true;
}

/* ---- verification ---- */

typedef struct vctx {
  sc_graph *g;
  sc_strbuf *errors;
  unsigned count;
} vctx;

static void shape_str(const sc_gvalue *v, char *buf, size_t size) {
  size_t n = (size_t)snprintf(buf, size, "[");
  for (uint32_t d = 0; d < v->rank && n < size; d++)
    n += (size_t)snprintf(buf + n, size - n, d ? ", %lld" : "%lld", (long long)v->shape[d]);
  if (n < size) snprintf(buf + n, size - n, "]");
}

static bool bad(vctx *c, const sc_gvalue *v, const char *fmt, ...) SC_PRINTF(3, 4);
static bool bad(vctx *c, const sc_gvalue *v, const char *fmt, ...) {
  c->count++;
  if (!c->errors) return false;
  sc_strbuf_printf(c->errors, "%%%s = %s: ", v->name, sc_gop_name(v->op));
  va_list ap;
  va_start(ap, fmt);
  sc_strbuf_vprintf(c->errors, fmt, ap);
  va_end(ap);
  sc_strbuf_append(c->errors, "\n", 1);
  return false;
}

static bool is_float(sc_dtype d) {
  return sc_dtype_is_float(d);
}

static void set_shape(sc_gvalue *y, uint32_t rank, const int64_t *shape) {
  y->rank = rank;
  for (uint32_t d = 0; d < SC_GRAPH_MAX_RANK; d++) y->shape[d] = d < rank ? shape[d] : -1;
}

static int64_t elems(const sc_gvalue *v) {
  int64_t n = 1;
  for (uint32_t d = 0; d < v->rank; d++) n *= v->shape[d];
  return n;
}

static int64_t last(const sc_gvalue *v) {
  return v->rank ? v->shape[v->rank - 1] : 1;
}

/* Requires v to be a float tensor of rank >= min_rank. */
static bool need_float(vctx *c, const sc_gvalue *y, const sc_gvalue *v, const char *what,
                       uint32_t min_rank) {
  if (!is_float(v->dtype))
    return bad(c, y, "%s %%%s is %s: a float dtype is needed", what, v->name,
               sc_dtype_name(v->dtype));
  if (v->rank < min_rank)
    return bad(c, y, "%s %%%s has rank %u: at least %u is needed", what, v->name, v->rank,
               min_rank);
  return true;
}

static bool need_ids(vctx *c, const sc_gvalue *y, const sc_gvalue *v, const char *what,
                     int64_t count) {
  char s[80];
  shape_str(v, s, sizeof s);
  if (v->dtype != SC_DTYPE_INT32 || v->rank != 1)
    return bad(c, y, "%s %%%s is %s%s: int32[n] is needed", what, v->name, sc_dtype_name(v->dtype),
               s);
  if (count >= 0 && v->shape[0] != count)
    return bad(c, y, "%s %%%s has %lld entries, %lld are needed", what, v->name,
               (long long)v->shape[0], (long long)count);
  return true;
}

/* The norm weights: [D] with D the last dimension of x. */
static bool need_vec(vctx *c, const sc_gvalue *y, const sc_gvalue *v, const char *what, int64_t d) {
  if (v->rank != 1 || v->shape[0] != d) {
    char s[80];
    shape_str(v, s, sizeof s);
    return bad(c, y, "%s %%%s is %s, [%lld] is needed", what, v->name, s, (long long)d);
  }
  return true;
}

static bool infer_op(vctx *c, sc_gvalue *y) {
  const sc_graph *g = c->g;
  const sc_gvalue *a = &g->v[y->in[0]];
  const sc_gvalue *b = y->n_in > 1 ? &g->v[y->in[1]] : NULL;
  const sc_gattrs *at = &y->attrs;
  char sa[80], sb[80];
  shape_str(a, sa, sizeof sa);
  if (b) shape_str(b, sb, sizeof sb);
  y->dtype = a->dtype;
  switch (y->op) {
  case SC_GOP_MATMUL: {
    if (!need_float(c, y, a, "a", 2) && a->dtype != SC_DTYPE_INT8) return false;
    if (b->rank == 3) { /* grouped: y[..., g, n] = sum_k a[..., g, k] * b[g, n, k] */
      if (!at->trans_b || y->n_in != 2 || a->rank < 2 || a->shape[a->rank - 2] != b->shape[0] ||
          last(a) != b->shape[2])
        return bad(c, y,
                   "a is %s but b is %s: a grouped matmul needs a [..., g, k], b [g, n, k] "
                   "(trans_b) and no bias",
                   sa, sb);
      int64_t s[SC_GRAPH_MAX_RANK];
      memcpy(s, a->shape, sizeof s);
      s[a->rank - 1] = b->shape[1];
      set_shape(y, a->rank, s);
      if (!is_float(a->dtype)) y->dtype = SC_DTYPE_FP32;
      return true;
    }
    if (b->rank != 2)
      return bad(c, y, "b %%%s is %s: a matrix (or [groups, n, k]) is needed", b->name, sb);
    int64_t k = last(a), bk = at->trans_b ? b->shape[1] : b->shape[0];
    int64_t n = at->trans_b ? b->shape[0] : b->shape[1];
    if (k != bk)
      return bad(c, y, "a is %s but b is %s%s: k %lld != %lld", sa, sb,
                 at->trans_b ? " (n x k)" : " (k x n)", (long long)k, (long long)bk);
    if (y->n_in == 3 && !need_vec(c, y, &g->v[y->in[2]], "bias", n)) return false;
    int64_t s[SC_GRAPH_MAX_RANK];
    memcpy(s, a->shape, sizeof s);
    s[a->rank - 1] = n;
    set_shape(y, a->rank, s);
    if (!is_float(a->dtype)) y->dtype = SC_DTYPE_FP32;
    return true;
  }
  case SC_GOP_ADD:
  case SC_GOP_MUL:
    if (!need_float(c, y, a, "a", 0) || !need_float(c, y, b, "b", 0)) return false;
    if (b->rank > a->rank) return bad(c, y, "b %s has more dimensions than a %s", sb, sa);
    for (uint32_t d = 0; d < b->rank; d++) {
      int64_t da = a->shape[a->rank - b->rank + d], db = b->shape[d];
      if (db != da && db != 1)
        return bad(c, y, "b %s does not broadcast to a %s (dimension %u)", sb, sa,
                   a->rank - b->rank + d);
    }
    set_shape(y, a->rank, a->shape);
    return true;
  case SC_GOP_RMSNORM:
  case SC_GOP_LAYERNORM:
    if (!need_float(c, y, a, "x", 1) || !need_vec(c, y, b, "weight", last(a))) return false;
    if (y->op == SC_GOP_LAYERNORM && !need_vec(c, y, &g->v[y->in[2]], "bias", last(a)))
      return false;
    if (!(at->eps > 0)) return bad(c, y, "eps %g: a positive epsilon is needed", (double)at->eps);
    set_shape(y, a->rank, a->shape);
    return true;
  case SC_GOP_ROPE:
    if (!need_float(c, y, a, "x", 3)) return false;
    if (a->rank != 3) return bad(c, y, "x is %s: [tokens, heads, head_dim] is needed", sa);
    if (a->shape[2] % 2) return bad(c, y, "head_dim %lld is odd", (long long)a->shape[2]);
    if (!need_ids(c, y, b, "positions", a->shape[0])) return false;
    if (!(at->theta > 0))
      return bad(c, y, "theta %g: a positive base is needed", (double)at->theta);
    set_shape(y, 3, a->shape);
    return true;
  case SC_GOP_SOFTMAX:
  case SC_GOP_SILU:
  case SC_GOP_GELU:
    if (!need_float(c, y, a, "x", 1)) return false;
    set_shape(y, a->rank, a->shape);
    return true;
  case SC_GOP_SWIGLU:
    if (!need_float(c, y, a, "gate", 1) || !need_float(c, y, b, "up", 1)) return false;
    if (a->rank != b->rank || memcmp(a->shape, b->shape, sizeof a->shape))
      return bad(c, y, "gate %s and up %s differ", sa, sb);
    set_shape(y, a->rank, a->shape);
    return true;
  case SC_GOP_ATTENTION: {
    const sc_gvalue *v = &g->v[y->in[2]], *pos = &g->v[y->in[3]];
    if (!need_float(c, y, a, "q", 3) || !need_float(c, y, b, "k", 3) ||
        !need_float(c, y, v, "v", 3))
      return false;
    if (a->rank != 3 || (b->rank != 3 && b->rank != 4) || v->rank != b->rank)
      return bad(c, y,
                 "q must be [tokens, heads, head_dim], k and v [positions, heads, head_dim] or "
                 "[sequences, positions, heads, head_dim]");
    if (memcmp(b->shape, v->shape, sizeof b->shape)) return bad(c, y, "k %s and v differ", sb);
    uint32_t r = b->rank;
    if (at->v_dim > (uint64_t)v->shape[r - 1])
      return bad(c, y, "v_dim %u exceeds v's rows of %lld", at->v_dim, (long long)v->shape[r - 1]);
    if (r == 4 && b->shape[0] != a->shape[0])
      return bad(c, y, "a cache of %lld sequences needs one token per sequence, q is %s",
                 (long long)b->shape[0], sa);
    if (b->shape[r - 1] != a->shape[2])
      return bad(c, y, "q %s and k %s have different head_dim", sa, sb);
    if (b->shape[r - 2] <= 0 || a->shape[1] % b->shape[r - 2])
      return bad(c, y, "%lld query heads do not divide into %lld kv heads", (long long)a->shape[1],
                 (long long)b->shape[r - 2]);
    if (!need_ids(c, y, pos, "positions", a->shape[0])) return false;
    int64_t s[3] = {a->shape[0], a->shape[1], at->v_dim ? at->v_dim : v->shape[r - 1]};
    set_shape(y, 3, s);
    return true;
  }
  case SC_GOP_EMBEDDING:
    if (!need_float(c, y, a, "table", 2)) return false;
    if (a->rank != 2) return bad(c, y, "table is %s: [vocab, dim] is needed", sa);
    if (!need_ids(c, y, b, "ids", -1)) return false;
    set_shape(y, 2, (int64_t[]){b->shape[0], a->shape[1]});
    return true;
  case SC_GOP_RESHAPE: {
    if (at->rank == 0 || at->rank > SC_GRAPH_MAX_RANK)
      return bad(c, y, "rank %u: 1 to %d is needed", at->rank, SC_GRAPH_MAX_RANK);
    int64_t s[SC_GRAPH_MAX_RANK], known = 1;
    int infer = -1;
    for (uint32_t d = 0; d < at->rank; d++) {
      s[d] = at->shape[d];
      if (s[d] == -1 && infer < 0)
        infer = (int)d;
      else if (s[d] <= 0)
        return bad(c, y, "dimension %u is %lld", d, (long long)s[d]);
      else
        known *= s[d];
    }
    int64_t n = elems(a);
    if (infer >= 0) {
      if (n % known) return bad(c, y, "%lld elements do not fit the shape", (long long)n);
      s[infer] = n / known;
      known = n;
    }
    if (known != n)
      return bad(c, y, "%lld elements of %s do not make %lld", (long long)n, sa, (long long)known);
    set_shape(y, at->rank, s);
    return true;
  }
  case SC_GOP_TRANSPOSE: {
    int64_t s[SC_GRAPH_MAX_RANK];
    unsigned seen = 0;
    for (uint32_t d = 0; d < a->rank; d++) {
      if (at->perm[d] >= a->rank || (seen >> at->perm[d] & 1))
        return bad(c, y, "perm is not a permutation of the %u axes of %s", a->rank, sa);
      seen |= 1u << at->perm[d];
      s[d] = a->shape[at->perm[d]];
    }
    set_shape(y, a->rank, s);
    return true;
  }
  case SC_GOP_CONCAT: {
    int axis = at->axis < 0 ? (int)a->rank + at->axis : at->axis;
    if (axis < 0 || axis >= (int)a->rank) return bad(c, y, "axis %d outside %s", at->axis, sa);
    if (a->rank != b->rank || a->dtype != b->dtype)
      return bad(c, y, "a %s %s and b %s %s differ in rank or dtype", sc_dtype_name(a->dtype), sa,
                 sc_dtype_name(b->dtype), sb);
    int64_t s[SC_GRAPH_MAX_RANK];
    for (uint32_t d = 0; d < a->rank; d++) {
      if ((int)d != axis && a->shape[d] != b->shape[d])
        return bad(c, y, "a %s and b %s differ in dimension %u", sa, sb, d);
      s[d] = (int)d == axis ? a->shape[d] + b->shape[d] : a->shape[d];
    }
    set_shape(y, a->rank, s);
    return true;
  }
  case SC_GOP_SLICE: {
    int axis = at->axis < 0 ? (int)a->rank + at->axis : at->axis;
    if (axis < 0 || axis >= (int)a->rank) return bad(c, y, "axis %d outside %s", at->axis, sa);
    if (at->start < 0 || at->len < 1 || at->start > a->shape[axis] - at->len)
      return bad(c, y, "elements [%lld, %lld + %lld) are outside axis %d of %s",
                 (long long)at->start, (long long)at->start, (long long)at->len, axis, sa);
    int64_t s[SC_GRAPH_MAX_RANK];
    for (uint32_t d = 0; d < a->rank; d++) s[d] = (int)d == axis ? at->len : a->shape[d];
    set_shape(y, a->rank, s);
    return true;
  }
  case SC_GOP_QUANTIZE:
  case SC_GOP_DEQUANTIZE: {
    bool q = y->op == SC_GOP_QUANTIZE;
    if (q ? !is_float(a->dtype)
          : is_float(a->dtype) && a->dtype != SC_DTYPE_FP8_E4M3 && a->dtype != SC_DTYPE_FP8_E5M2)
      return bad(c, y, "x is %s", sc_dtype_name(a->dtype));
    if ((unsigned)at->dtype >= SC_DTYPE_COUNT ||
        (q == is_float(at->dtype) && at->dtype != SC_DTYPE_FP8_E4M3 &&
         at->dtype != SC_DTYPE_FP8_E5M2))
      return bad(c, y, "result dtype %s does not fit a %s", sc_dtype_name(at->dtype),
                 q ? "quantize" : "dequantize");
    if (!need_float(c, y, b, "scale", 1)) return false;
    int64_t rows = a->rank ? elems(a) / last(a) : 1, cols = last(a);
    int64_t want = at->gran == SC_GGRAN_TENSOR ? 1
                   : at->gran == SC_GGRAN_ROW  ? rows
                   : at->gran == SC_GGRAN_COL  ? cols
                   : at->group                 ? rows * ((cols + at->group - 1) / at->group)
                                               : -1;
    if (want < 0) return bad(c, y, "group granularity needs a group size");
    if (elems(b) != want)
      return bad(c, y, "scale %%%s %s has %lld elements, this granularity needs %lld", b->name, sb,
                 (long long)elems(b), (long long)want);
    set_shape(y, a->rank, a->shape);
    y->dtype = at->dtype;
    return true;
  }
  case SC_GOP_CACHE_WRITE: {
    const sc_gvalue *pos = &g->v[y->in[2]];
    bool cache = a->kind == SC_GV_STATE || (a->kind == SC_GV_OP && a->op == SC_GOP_CACHE_WRITE);
    if (!cache) return bad(c, y, "cache %%%s is not a state (or a cache_write of one)", a->name);
    uint32_t r = a->rank;
    if ((r != 3 && r != 4) || b->rank != 3 || a->shape[r - 2] != b->shape[1] ||
        a->shape[r - 1] != b->shape[2] || (r == 4 && a->shape[0] != b->shape[0]))
      return bad(c, y,
                 "x %s does not fit cache %s ([positions, heads, head_dim], or [sequences, "
                 "positions, heads, head_dim] with one token per sequence)",
                 sb, sa);
    if (!need_ids(c, y, pos, "positions", b->shape[0])) return false;
    set_shape(y, a->rank, a->shape);
    return true;
  }
  case SC_GOP_SEND:
  case SC_GOP_RECV:
    if (!need_float(c, y, a, "x", 1)) return false;
    if (at->chips < 2 || at->chips > 64 || at->chip >= at->chips || at->peer >= at->chips ||
        at->peer == at->chip)
      return bad(c, y, "chip %u of %u, peer %u: two different chips of 2..64 are needed", at->chip,
                 at->chips, at->peer);
    if (y->op == SC_GOP_RECV && a->kind != SC_GV_STATE)
      return bad(c, y, "%%%s is not a state (the receive buffer)", a->name);
    set_shape(y, a->rank, a->shape);
    return true;
  case SC_GOP_ALL_REDUCE:
  case SC_GOP_ALL_GATHER: {
    if (!need_float(c, y, a, "x", 1)) return false;
    if (at->chips < 1 || at->chips > 64 || at->chip >= at->chips)
      return bad(c, y, "chip %u of %u: a group of 1..64 chips is needed", at->chip, at->chips);
    int64_t s[SC_GRAPH_MAX_RANK];
    memcpy(s, a->shape, sizeof s);
    if (y->op == SC_GOP_ALL_GATHER) s[a->rank - 1] *= at->chips;
    set_shape(y, a->rank, s);
    return true;
  }
  case SC_GOP_ARGMAX:
    if (!need_float(c, y, a, "x", 1)) return false;
    set_shape(y, a->rank > 1 ? a->rank - 1 : 1, a->rank > 1 ? a->shape : (int64_t[]){1});
    y->dtype = SC_DTYPE_INT32;
    return true;
  default:
    return bad(c, y, "unknown op");
  }
}

sc_status sc_graph_verify(sc_graph *g, sc_strbuf *errors) {
  vctx c = {g, errors, 0};
  bool any_output = false;
  for (size_t i = 0; i < g->n; i++) {
    sc_gvalue *v = &g->v[i];
    any_output |= v->is_output;
    if (v->kind != SC_GV_OP) {
      for (uint32_t d = 0; d < v->rank; d++)
        if (v->shape[d] <= 0) {
          c.count++;
          if (errors)
            sc_strbuf_printf(errors, "%%%s: dimension %u is %lld\n", v->name, d,
                             (long long)v->shape[d]);
        }
      continue;
    }
    bool ok = true;
    for (uint32_t k = 0; k < v->n_in; k++) ok &= v->in[k] < i; /* SSA order */
    if (!ok) {
      bad(&c, v, "an input is defined after it");
      continue;
    }
    if (!infer_op(&c, v)) set_shape(v, 0, NULL);
  }
  if (!any_output) {
    c.count++;
    if (errors) sc_strbuf_printf(errors, "graph %s: no output\n", g->name);
  }
  return c.count ? SC_STATUS_INVALID : SC_STATUS_OK;
}

/* ---- the text form ---- */

static void dump_type(const sc_gvalue *v, sc_strbuf *out) {
  sc_strbuf_printf(out, "%s[", sc_dtype_name(v->dtype));
  for (uint32_t d = 0; d < v->rank; d++) {
    if (v->shape[d] < 0)
      sc_strbuf_printf(out, d ? ", ?" : "?");
    else
      sc_strbuf_printf(out, d ? ", %lld" : "%lld", (long long)v->shape[d]);
  }
  sc_strbuf_printf(out, "]");
}

static const char *const gran_names[] = {"tensor", "row", "col", "group"};

static void dump_attrs(const sc_gvalue *v, sc_strbuf *out) {
  const sc_gattrs *a = &v->attrs;
  switch (v->op) {
  case SC_GOP_MATMUL:
    if (a->trans_b) sc_strbuf_printf(out, " {trans_b}");
    break;
  case SC_GOP_RMSNORM:
  case SC_GOP_LAYERNORM:
    sc_strbuf_printf(out, " {eps=%.9g}", (double)a->eps);
    break;
  case SC_GOP_ROPE:
    sc_strbuf_printf(out, " {theta=%.9g, %s}", (double)a->theta,
                     a->rope_halves ? "halves" : "pairs");
    break;
  case SC_GOP_ATTENTION:
    sc_strbuf_printf(out, " {%s", a->causal ? "causal" : "full");
    if (a->scale != 0) sc_strbuf_printf(out, ", scale=%.9g", (double)a->scale);
    if (a->v_dim != 0) sc_strbuf_printf(out, ", v_dim=%u", a->v_dim);
    sc_strbuf_printf(out, "}");
    break;
  case SC_GOP_RESHAPE:
    sc_strbuf_printf(out, " {shape=[");
    for (uint32_t d = 0; d < a->rank && d < SC_GRAPH_MAX_RANK; d++)
      sc_strbuf_printf(out, d ? ", %lld" : "%lld", (long long)a->shape[d]);
    sc_strbuf_printf(out, "]}");
    break;
  case SC_GOP_TRANSPOSE:
    sc_strbuf_printf(out, " {perm=[");
    for (uint32_t d = 0; d < v->rank; d++) sc_strbuf_printf(out, d ? ", %u" : "%u", a->perm[d]);
    sc_strbuf_printf(out, "]}");
    break;
  case SC_GOP_CONCAT:
    sc_strbuf_printf(out, " {axis=%d}", a->axis);
    break;
  case SC_GOP_SLICE:
    sc_strbuf_printf(out, " {axis=%d, start=%lld, len=%lld}", a->axis, (long long)a->start,
                     (long long)a->len);
    break;
  case SC_GOP_ALL_REDUCE:
  case SC_GOP_ALL_GATHER:
    sc_strbuf_printf(out, " {chip=%u of %u}", a->chip, a->chips);
    break;
  case SC_GOP_SEND:
  case SC_GOP_RECV:
    sc_strbuf_printf(out, " {chip=%u of %u, %s %u}", a->chip, a->chips,
                     v->op == SC_GOP_SEND ? "to" : "from", a->peer);
    break;
  case SC_GOP_QUANTIZE:
  case SC_GOP_DEQUANTIZE:
    sc_strbuf_printf(out, " {%s, %s", sc_dtype_name(a->dtype),
                     (unsigned)a->gran < 4 ? gran_names[a->gran] : "?");
    if (a->gran == SC_GGRAN_GROUP) sc_strbuf_printf(out, "=%u", a->group);
    sc_strbuf_printf(out, "}");
    break;
  default:
    break;
  }
}

void sc_graph_dump(const sc_graph *g, sc_strbuf *out) {
  static const char *const kinds[] = {"input", "const", "state"};
  sc_strbuf_printf(out, "graph %s {\n", g->name);
  for (size_t i = 0; i < g->n; i++) {
    const sc_gvalue *v = &g->v[i];
    if (v->kind != SC_GV_OP) {
      sc_strbuf_printf(out, "  %s %%%s: ", kinds[v->kind], v->name);
      dump_type(v, out);
      if (v->kind == SC_GV_CONST) sc_strbuf_printf(out, " = \"%s\"", v->source);
      if (v->kind == SC_GV_CONST) {
        const char *sep = " [";
        uint32_t r = v->box_rank ? v->box_rank : v->rank;
        const int64_t *len = v->box_rank ? v->box_shape : v->shape;
        for (uint32_t d = 0; d < r; d++)
          if (v->slice_full[d]) {
            sc_strbuf_printf(out, "%saxis %u: %lld..%lld of %lld", sep, d,
                             (long long)v->slice_start[d], (long long)(v->slice_start[d] + len[d]),
                             (long long)v->slice_full[d]);
            sep = ", ";
          }
        if (sep[0] == ',') sc_strbuf_printf(out, "]");
      }
      sc_strbuf_printf(out, "\n");
      continue;
    }
    sc_strbuf_printf(out, "  %%%s: ", v->name);
    dump_type(v, out);
    sc_strbuf_printf(out, " = %s(", sc_gop_name(v->op));
    for (uint32_t k = 0; k < v->n_in; k++)
      sc_strbuf_printf(out, k ? ", %%%s" : "%%%s", g->v[v->in[k]].name);
    sc_strbuf_printf(out, ")");
    dump_attrs(v, out);
    sc_strbuf_printf(out, "\n");
  }
  for (size_t i = 0; i < g->n; i++)
    if (g->v[i].is_output) sc_strbuf_printf(out, "  output %%%s\n", g->v[i].name);
  sc_strbuf_printf(out, "}\n");
}
