/* llama_graph.c: the graph of one step of a Llama-family decoder (Llama,
 * Mistral, Qwen2): per layer RMSNorm, Q/K/V projections (with biases for
 * Qwen2), RoPE, the KV-cache update, causal grouped-query attention, the
 * output projection and residual, RMSNorm, the SwiGLU feed-forward and
 * residual; then the final norm and the classifier. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "seedchip/cc.h"

typedef struct builder {
  sc_graph *g;
  sc_dtype dt;
  bool ok;
  uint32_t tp, chip; /* tensor parallelism: the group's chips, this one */
  bool whole;        /* weights whole on this chip (an expert under expert parallelism) */
} builder;

static uint32_t id_of(builder *b, int64_t id) {
  if (id < 0) b->ok = false;
  return id < 0 ? 0 : (uint32_t)id;
}

static uint32_t weight(builder *b, const char *name, uint32_t rank, int64_t d0, int64_t d1) {
  int64_t shape[2] = {d0, d1};
  return id_of(b, sc_graph_const(b->g, name, b->dt, rank, shape, name));
}

static uint32_t op(builder *b, const char *name, sc_gop o, uint32_t n, const uint32_t *in,
                   const sc_gattrs *at) {
  return id_of(b, sc_graph_op(b->g, name, o, in, n, at));
}

/* This chip's share of a weight of shape [d0, d1] split along axis (its
 * d_axis / tp rows or columns); the whole weight without tensor parallelism. */
static uint32_t shard(builder *b, const char *name, const char *source, uint32_t rank, int64_t d0,
                      int64_t d1, uint32_t axis) {
  if (b->tp <= 1 || b->whole) {
    int64_t shape[2] = {d0, d1};
    return id_of(b, sc_graph_const(b->g, name, b->dt, rank, shape, source));
  }
  int64_t shape[2] = {d0, d1}, full = shape[axis];
  shape[axis] /= b->tp;
  return id_of(b, sc_graph_const_slice(b->g, name, b->dt, rank, shape, source, axis,
                                       shape[axis] * b->chip, full));
}

/* The sum of a row-parallel matmul's partial results over the group. */
static uint32_t all_reduce(builder *b, const char *name, uint32_t x) {
  if (b->tp <= 1) return x;
  sc_gattrs at = {.chips = b->tp, .chip = b->chip};
  return op(b, name, SC_GOP_ALL_REDUCE, 1, (uint32_t[]){x}, &at);
}

static uint32_t reshape(builder *b, const char *name, uint32_t x, uint32_t rank, int64_t d0,
                        int64_t d1, int64_t d2) {
  sc_gattrs at = {.rank = rank, .shape = {d0, d1, d2}};
  return op(b, name, SC_GOP_RESHAPE, 1, (uint32_t[]){x}, &at);
}

/* A fixed pseudo-random stream (SplitMix64). */
static uint64_t mix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

void sc_cc_moe_route(const sc_model_config *cfg, const sc_llama_step *step, uint32_t layer,
                     uint32_t token, uint32_t *out) {
  uint32_t E = cfg->n_experts, k = cfg->n_experts_used;
  if (!(step->moe_skew > 0)) {
    for (uint32_t j = 0; j < k; j++) out[j] = (token * k + layer + j) % E;
    return;
  }
  uint64_t st = ((uint64_t)layer << 32) ^ token ^ 0x5EEDC41Bu;
  double w[256], total = 0;
  for (uint32_t e = 0; e < E && e < 256; e++) total += w[e] = pow(e + 1.0, -step->moe_skew);
  for (uint32_t j = 0; j < k; j++) {
    for (;;) { /* draw, skipping experts already taken */
      double u = (double)(mix(&st) >> 11) * 0x1p-53 * total, c = 0;
      uint32_t e = 0;
      while (e + 1 < E && (c += w[e]) <= u) e++;
      bool dup = false;
      for (uint32_t i = 0; i < j; i++) dup |= out[i] == e;
      if (!dup) {
        out[j] = e;
        break;
      }
    }
  }
}

/* The SwiGLU feed-forward of layer l on h, hidden units wide: expert e
 * (its tensors blk.l.ffn_gate.e.weight ...), the dense one (e = FFN_DENSE)
 * or the shared experts (FFN_SHARED, blk.l.ffn_gate_shexp.weight ...): its
 * down projection. */
#define FFN_DENSE UINT32_MAX
#define FFN_SHARED (UINT32_MAX - 1)
static uint32_t ffn(builder *b, const sc_model_config *cfg, uint32_t l, uint32_t e, uint32_t h,
                    int64_t hidden) {
  char n[SC_GRAPH_NAME_MAX], w[SC_GRAPH_NAME_MAX], ex[16] = "", es[16] = "";
  if (e == FFN_SHARED) {
    snprintf(ex, sizeof ex, "_shexp");
    snprintf(es, sizeof es, "shexp.");
  } else if (e != FFN_DENSE) {
    snprintf(ex, sizeof ex, ".%u", e);
    snprintf(es, sizeof es, "e%u.", e);
  }
  const int64_t D = cfg->dim, F = hidden;
  sc_gattrs proj = {.trans_b = 1};
  uint32_t wt[3];
  static const char *const part[3] = {"gate", "up", "down"};
  for (int i = 0; i < 3; i++) { /* gate and up by rows, down by columns */
    snprintf(w, sizeof w, "blk.%u.ffn_%s%s.weight", l, part[i], ex);
    wt[i] = shard(b, w, w, 2, i == 2 ? D : F, i == 2 ? F : D, i == 2 ? 1 : 0);
  }
  snprintf(n, sizeof n, "l%u.%sgate", l, es);
  uint32_t gt = op(b, n, SC_GOP_MATMUL, 2, (uint32_t[]){h, wt[0]}, &proj);
  snprintf(n, sizeof n, "l%u.%sup", l, es);
  uint32_t up = op(b, n, SC_GOP_MATMUL, 2, (uint32_t[]){h, wt[1]}, &proj);
  snprintf(n, sizeof n, "l%u.%sswiglu", l, es);
  uint32_t sw = op(b, n, SC_GOP_SWIGLU, 2, (uint32_t[]){gt, up}, NULL);
  snprintf(n, sizeof n, "l%u.%sdown", l, es);
  return op(b, n, SC_GOP_MATMUL, 2, (uint32_t[]){sw, wt[2]}, &proj);
}

/* A weight of this chip's heads [chip * Hs, + Hs) of a model tensor viewed
 * as [H, per, K], elements [from, from + take) of each head's per: the
 * matrix [Hs * take, K] (all heads without tensor parallelism). */
static uint32_t head_rows(builder *b, const char *name, const char *source, int64_t H, int64_t per,
                          int64_t from, int64_t take, int64_t K) {
  int64_t Hs = H / b->tp, chip = b->tp > 1 ? b->chip : 0;
  int64_t box[3] = {Hs, take, K}, start[3] = {chip * Hs, from, 0}, full[3] = {H, per, 0};
  int64_t shape[2] = {Hs * take, K};
  return id_of(b, sc_graph_const_box(b->g, name, b->dt, 2, shape, source, 3, box, start, full));
}

/* This chip's heads of a per-head weight [H, d1, d2]: [Hs, d1, d2]. */
static uint32_t head_weights(builder *b, const char *name, int64_t H, int64_t d1, int64_t d2) {
  int64_t Hs = H / b->tp, shape[3] = {Hs, d1, d2};
  if (b->tp <= 1) return id_of(b, sc_graph_const(b->g, name, b->dt, 3, shape, name));
  return id_of(b, sc_graph_const_slice(b->g, name, b->dt, 3, shape, name, 0, Hs * b->chip, H));
}

/* Multi-head latent attention of layer l (DeepSeek-V2/V3; docs/COMPILER.md,
 * "Multi-head latent attention") on h [T, D], in the absorbed form: each
 * head's query is taken into the latent space (q_nope through attn_k_b), so
 * that one cached latent of kv_lora_rank (normed) plus the shared RoPE key
 * serves every head as its key, and its first kv_lora_rank values as its
 * value; the heads' latent outputs go through attn_v_b, then attn_output.
 * Returns this chip's share of the output projection (before all_reduce). */
static uint32_t mla(builder *b, const sc_model_config *cfg, const sc_llama_step *step, uint32_t l,
                    uint32_t h, uint32_t pos) {
  char n[SC_GRAPH_NAME_MAX], w[SC_GRAPH_NAME_MAX];
#define NAME(fmt) (snprintf(n, sizeof n, fmt, l), n)
#define W(fmt) (snprintf(w, sizeof w, fmt, l), w)
  const int64_t D = cfg->dim, H = cfg->n_heads, Hs = H / b->tp, T = step->tokens;
  const int64_t nope = cfg->qk_nope_dim, rope = cfg->qk_rope_dim, kvl = cfg->kv_lora_rank;
  const int64_t ql = cfg->q_lora_rank, vd = cfg->v_head_dim, S = step->max_seq;
  const uint32_t B = step->batch > 1 ? step->batch : 1;
  sc_gattrs norm = {.eps = cfg->norm_eps}, proj = {.trans_b = 1};
  sc_gattrs rot = {.theta = cfg->rope_theta, .rope_halves = cfg->rope_style == SC_ROPE_HALVES};
  /* the low-rank query, the latent and the RoPE key: one GEMV group on h */
  uint32_t qin = h;
  int64_t kq = D;
  uint32_t qa = 0;
  if (ql) {
    uint32_t wqa = weight(b, W("blk.%u.attn_q_a.weight"), 2, ql, D);
    qa = op(b, NAME("l%u.q_a"), SC_GOP_MATMUL, 2, (uint32_t[]){h, wqa}, &proj);
  }
  W("blk.%u.attn_kv_a_mqa.weight");
  int64_t shape_c[2] = {kvl, D}, shape_r[2] = {rope, D};
  uint32_t wc = id_of(b, sc_graph_const_slice(b->g, NAME("blk.%u.attn_kv_a.latent"), b->dt, 2,
                                              shape_c, w, 0, 0, kvl + rope));
  uint32_t wr = id_of(b, sc_graph_const_slice(b->g, NAME("blk.%u.attn_kv_a.rope"), b->dt, 2,
                                              shape_r, w, 0, kvl, kvl + rope));
  uint32_t c = op(b, NAME("l%u.kv_latent"), SC_GOP_MATMUL, 2, (uint32_t[]){h, wc}, &proj);
  uint32_t kr = op(b, NAME("l%u.k_rope_in"), SC_GOP_MATMUL, 2, (uint32_t[]){h, wr}, &proj);
  if (ql) {
    uint32_t qn = weight(b, W("blk.%u.attn_q_a_norm.weight"), 1, ql, 0);
    qin = op(b, NAME("l%u.q_a_norm"), SC_GOP_RMSNORM, 2, (uint32_t[]){qa, qn}, &norm);
    kq = ql;
  }
  /* this chip's heads: the no-RoPE part and the RoPE part of each query */
  if (ql)
    W("blk.%u.attn_q_b.weight");
  else
    W("blk.%u.attn_q.weight");
  uint32_t wqn = head_rows(b, NAME("blk.%u.attn_q.nope"), w, H, nope + rope, 0, nope, kq);
  uint32_t wqr = head_rows(b, NAME("blk.%u.attn_q.rope"), w, H, nope + rope, nope, rope, kq);
  uint32_t qnope = op(b, NAME("l%u.q_nope"), SC_GOP_MATMUL, 2, (uint32_t[]){qin, wqn}, &proj);
  uint32_t qr = op(b, NAME("l%u.q_rope_in"), SC_GOP_MATMUL, 2, (uint32_t[]){qin, wqr}, &proj);
  qnope = reshape(b, NAME("l%u.q_nope_heads"), qnope, 3, T, Hs, nope);
  qr = reshape(b, NAME("l%u.q_rope_heads"), qr, 3, T, Hs, rope);
  qr = op(b, NAME("l%u.q_rope"), SC_GOP_ROPE, 2, (uint32_t[]){qr, pos}, &rot);
  /* each head's query in the latent space: q_nope[h] through attn_k_b[h] */
  uint32_t wkb = head_weights(b, W("blk.%u.attn_k_b.weight"), H, kvl, nope);
  uint32_t qlat = op(b, NAME("l%u.q_latent"), SC_GOP_MATMUL, 2, (uint32_t[]){qnope, wkb}, &proj);
  sc_gattrs cat = {.axis = 2};
  uint32_t q = op(b, NAME("l%u.q"), SC_GOP_CONCAT, 2, (uint32_t[]){qlat, qr}, &cat);
  /* the cache entry: the normed latent and the rotated shared key */
  uint32_t cn = weight(b, W("blk.%u.attn_kv_a_norm.weight"), 1, kvl, 0);
  c = op(b, NAME("l%u.kv_latent_norm"), SC_GOP_RMSNORM, 2, (uint32_t[]){c, cn}, &norm);
  c = reshape(b, NAME("l%u.kv_latent_heads"), c, 3, T, 1, kvl);
  kr = reshape(b, NAME("l%u.k_rope_heads"), kr, 3, T, 1, rope);
  kr = op(b, NAME("l%u.k_rope"), SC_GOP_ROPE, 2, (uint32_t[]){kr, pos}, &rot);
  uint32_t entry = op(b, NAME("l%u.kv_entry"), SC_GOP_CONCAT, 2, (uint32_t[]){c, kr}, &cat);
  int64_t cache_shape[4] = {S, 1, kvl + rope}, batch_shape[4] = {B, S, 1, kvl + rope};
  snprintf(n, sizeof n, "kv_cache.%u", l);
  uint32_t kc0 = id_of(b, sc_graph_state(b->g, n, step->act_dtype, B > 1 ? 4 : 3,
                                         B > 1 ? batch_shape : cache_shape));
  uint32_t kc =
      op(b, NAME("l%u.kv_cache"), SC_GOP_CACHE_WRITE, 3, (uint32_t[]){kc0, entry, pos}, NULL);
  sc_gattrs attn = {
      .causal = 1, .scale = 1.0f / sqrtf((float)(nope + rope)), .v_dim = (uint32_t)kvl};
  uint32_t a = op(b, NAME("l%u.attn"), SC_GOP_ATTENTION, 4, (uint32_t[]){q, kc, kc, pos}, &attn);
  /* each head's value out of the latent: attn_v_b[h], then the output projection */
  uint32_t wvb = head_weights(b, W("blk.%u.attn_v_b.weight"), H, vd, kvl);
  uint32_t o = op(b, NAME("l%u.attn_v"), SC_GOP_MATMUL, 2, (uint32_t[]){a, wvb}, &proj);
  o = reshape(b, NAME("l%u.attn_flat"), o, 2, T, Hs * vd, 0);
  W("blk.%u.attn_output.weight");
  uint32_t wo = shard(b, w, w, 2, D, H * vd, 1);
#undef NAME
#undef W
  snprintf(n, sizeof n, "l%u.attn_out", l);
  return op(b, n, SC_GOP_MATMUL, 2, (uint32_t[]){o, wo}, &proj);
}

/* Marks the output, verifies the graph and hands it over (or frees it). */
static sc_status finish_graph(builder *bd, uint32_t output, sc_graph **out, char *err,
                              size_t err_size) {
  sc_graph *g = bd->g;
  if (bd->ok) sc_graph_output(g, output);
  sc_strbuf errors = {0};
  sc_status st = bd->ok ? sc_graph_verify(g, &errors) : SC_STATUS_NO_MEMORY;
  if (st != SC_STATUS_OK) {
    sc_errf(err, err_size, st, "llama graph: %s",
            bd->ok ? sc_strbuf_str(&errors) : sc_graph_error(g));
    sc_strbuf_free(&errors);
    sc_graph_destroy(g);
    return st;
  }
  sc_strbuf_free(&errors);
  *out = g;
  return SC_STATUS_OK;
}

sc_status sc_cc_llama_graph(const sc_model_config *cfg, const sc_llama_step *step, sc_graph **out,
                            char *err, size_t err_size) {
  *out = NULL;
  const uint32_t D = cfg->dim, F = cfg->hidden_dim, L = cfg->n_layers, H = cfg->n_heads;
  const uint32_t KV = cfg->n_kv_heads, HD = cfg->head_dim, V = cfg->vocab_size;
  const uint32_t T = step->tokens, S = step->max_seq, E = cfg->n_experts;
  const int64_t EH = cfg->moe_hidden_dim ? cfg->moe_hidden_dim : F; /* an expert's width */
  if (!D || !F || !L || !H || !KV || !HD || !V || !T || !S)
    return sc_errf(err, err_size, SC_STATUS_INVALID, "llama graph: a size is zero");
  if (E && (E > 256 || !cfg->n_experts_used || cfg->n_experts_used > E))
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "llama graph: %u experts with %u per token (1..256 experts, 1..all per token)",
                   E, cfg->n_experts_used);
  if (H % KV)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "llama graph: %u query heads do not divide into %u kv heads", H, KV);
  const uint32_t TP = step->tp > 1 ? step->tp : 1;
  if (TP > 64 || step->tp_chip >= TP)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "llama graph: chip %u of a tensor-parallel group of %u (1..64 chips)",
                   step->tp_chip, TP);
  const uint32_t split_heads = cfg->kv_lora_rank ? H : KV; /* latent attention: every chip
                                                              caches the latent, splits heads */
  bool dense_f = !E || cfg->n_dense_layers || !step->ep;   /* hidden_dim is sliced */
  if (split_heads % TP || (dense_f && F % TP) || V % TP || (E && !step->ep && EH % TP) ||
      (cfg->n_shared_experts * EH) % TP)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "llama graph: %u chips do not divide the %u %s heads, %u hidden units (%lld "
                   "per expert, %lld shared) and %u vocabulary entries evenly",
                   TP, split_heads, cfg->kv_lora_rank ? "query" : "kv", F, (long long)EH,
                   (long long)(cfg->n_shared_experts * EH), V);
  const uint32_t PP = step->pp > 1 ? step->pp : 1, stage = step->pp_stage;
  if (PP > 64 || PP > L || stage >= PP || (PP > 1 && TP > 1))
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "llama graph: stage %u of a pipeline of %u over %u layers (1..min(64, layers) "
                   "stages, without tensor parallelism)",
                   stage, PP, L);
  /* this stage's layers: the first L % PP stages take one more */
  const uint32_t l0 = stage * (L / PP) + (stage < L % PP ? stage : L % PP);
  const uint32_t l1 = l0 + L / PP + (stage < L % PP);
  const uint32_t B = step->batch > 1 ? step->batch : 1;
  if (T > S && B == 1) /* one sequence's tokens at consecutive positions */
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "llama graph: %u tokens per step exceed the cache's %u positions", T, S);
  if (B > 1 && T != B)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "llama graph: a batch of %u sequences takes one token each, not %u tokens", B,
                   T);
  if (step->act_dtype != SC_DTYPE_FP32 && step->act_dtype != SC_DTYPE_BF16)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "llama graph: activations are fp32 or bf16, not %s",
                   sc_dtype_name(step->act_dtype));
  char name[64];
  if (B > 1)
    snprintf(name, sizeof name, "%s_b%u", cfg->arch[0] ? cfg->arch : "llama", B);
  else
    snprintf(name, sizeof name, "%s_t%u", cfg->arch[0] ? cfg->arch : "llama", T);
  if (TP > 1) {
    size_t len = strlen(name);
    snprintf(name + len, sizeof name - len, "_tp%uc%u", TP, step->tp_chip);
  }
  if (PP > 1) {
    size_t len = strlen(name);
    snprintf(name + len, sizeof name - len, "_pp%us%u", PP, stage);
  }
  builder b = {sc_graph_create(name), step->act_dtype, true, TP, step->tp_chip, false};
  const uint32_t Hs = H / TP, KVs = KV / TP; /* this chip's heads */
  if (!b.g) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "out of memory");
  sc_graph *g = b.g;
  uint32_t tokens = id_of(&b, sc_graph_input(g, "tokens", SC_DTYPE_INT32, 1, (int64_t[]){T}));
  uint32_t pos = id_of(&b, sc_graph_input(g, "pos", SC_DTYPE_INT32, 1, (int64_t[]){T}));
  uint32_t embd = 0, x;
  if (stage == 0) {
    embd = weight(&b, "token_embd.weight", 2, V, D);
    x = op(&b, "x", SC_GOP_EMBEDDING, 2, (uint32_t[]){embd, tokens}, NULL);
  } else { /* the residual from the stage before: the first buffer of this chip */
    uint32_t in = id_of(&b, sc_graph_state(g, "pp_in", step->act_dtype, 2, (int64_t[]){T, D}));
    sc_gattrs at = {.chips = PP, .chip = stage, .peer = stage - 1};
    x = op(&b, "x", SC_GOP_RECV, 1, (uint32_t[]){in}, &at);
  }
  sc_gattrs norm = {.eps = cfg->norm_eps}, proj = {.trans_b = 1};
  sc_gattrs rope = {.theta = cfg->rope_theta, .rope_halves = cfg->rope_style == SC_ROPE_HALVES};
  sc_gattrs attn = {.causal = 1};
  char n[SC_GRAPH_NAME_MAX], w[SC_GRAPH_NAME_MAX];
#define NAME(fmt) (snprintf(n, sizeof n, fmt, l), n)
#define W(fmt) (snprintf(w, sizeof w, fmt, l), w)
  for (uint32_t l = l0; l < l1 && b.ok; l++) {
    uint32_t an = weight(&b, W("blk.%u.attn_norm.weight"), 1, D, 0);
    uint32_t h = op(&b, NAME("l%u.attn_in"), SC_GOP_RMSNORM, 2, (uint32_t[]){x, an}, &norm);
    uint32_t o;
    if (cfg->kv_lora_rank) {
      o = mla(&b, cfg, step, l, h, pos);
      goto attn_done;
    }
    uint32_t qkv[3];
    static const char *const which[3] = {"q", "k", "v"};
    const uint32_t heads[3] = {H, KV, KV};
    for (int j = 0; j < 3; j++) {
      snprintf(w, sizeof w, "blk.%u.attn_%s.weight", l, which[j]);
      uint32_t wt = shard(&b, w, w, 2, (int64_t)heads[j] * HD, D, 0), in[3] = {h, wt, 0};
      uint32_t n_in = 2;
      if (cfg->qkv_bias) {
        snprintf(w, sizeof w, "blk.%u.attn_%s.bias", l, which[j]);
        in[n_in++] = shard(&b, w, w, 1, (int64_t)heads[j] * HD, 0, 0);
      }
      snprintf(n, sizeof n, "l%u.%s", l, which[j]);
      uint32_t p = op(&b, n, SC_GOP_MATMUL, n_in, in, &proj);
      snprintf(n, sizeof n, "l%u.%s_heads", l, which[j]);
      qkv[j] = reshape(&b, n, p, 3, T, heads[j] / TP, HD);
    }
    uint32_t q = op(&b, NAME("l%u.q_rope"), SC_GOP_ROPE, 2, (uint32_t[]){qkv[0], pos}, &rope);
    uint32_t k = op(&b, NAME("l%u.k_rope"), SC_GOP_ROPE, 2, (uint32_t[]){qkv[1], pos}, &rope);
    int64_t cache_shape[4] = {S, KVs, HD}, batch_shape[4] = {B, S, KVs, HD};
    uint32_t cr = B > 1 ? 4 : 3;
    const int64_t *cs = B > 1 ? batch_shape : cache_shape;
    snprintf(n, sizeof n, "k_cache.%u", l);
    uint32_t kc0 = id_of(&b, sc_graph_state(g, n, step->act_dtype, cr, cs));
    snprintf(n, sizeof n, "v_cache.%u", l);
    uint32_t vc0 = id_of(&b, sc_graph_state(g, n, step->act_dtype, cr, cs));
    uint32_t kc =
        op(&b, NAME("l%u.k_cache"), SC_GOP_CACHE_WRITE, 3, (uint32_t[]){kc0, k, pos}, NULL);
    uint32_t vc =
        op(&b, NAME("l%u.v_cache"), SC_GOP_CACHE_WRITE, 3, (uint32_t[]){vc0, qkv[2], pos}, NULL);
    uint32_t a = op(&b, NAME("l%u.attn"), SC_GOP_ATTENTION, 4, (uint32_t[]){q, kc, vc, pos}, &attn);
    uint32_t af = reshape(&b, NAME("l%u.attn_flat"), a, 2, T, (int64_t)Hs * HD, 0);
    W("blk.%u.attn_output.weight");
    uint32_t wo = shard(&b, w, w, 2, D, (int64_t)H * HD, 1);
    o = op(&b, NAME("l%u.attn_out"), SC_GOP_MATMUL, 2, (uint32_t[]){af, wo}, &proj);
  attn_done:
    o = all_reduce(&b, NAME("l%u.attn_sum"), o);
    x = op(&b, NAME("l%u.x_attn"), SC_GOP_ADD, 2, (uint32_t[]){x, o}, NULL);
    uint32_t fn = weight(&b, W("blk.%u.ffn_norm.weight"), 1, D, 0);
    uint32_t h2 = op(&b, NAME("l%u.ffn_in"), SC_GOP_RMSNORM, 2, (uint32_t[]){x, fn}, &norm);
    if (E && l >= cfg->n_dense_layers) { /* mixture of experts: the router, then every expert
                                              some token uses (and the shared ones) */
      uint32_t wr = weight(&b, W("blk.%u.ffn_gate_inp.weight"), 2, E, D);
      (void)op(&b, NAME("l%u.router"), SC_GOP_MATMUL, 2, (uint32_t[]){h2, wr}, &proj);
      bool used[256] = {0};
      for (uint32_t t = 0; t < T; t++) {
        uint32_t ex[256];
        sc_cc_moe_route(cfg, step, l, t, ex);
        for (uint32_t j = 0; j < cfg->n_experts_used; j++) used[ex[j]] = true;
      }
      uint32_t sum = 0;
      bool first = true;
      bool ep = step->ep && TP > 1; /* expert e whole on chip e mod TP */
      for (uint32_t e = 0; e < E; e++) {
        if (!used[e] || (ep && e % TP != step->tp_chip)) continue;
        b.whole = ep;
        uint32_t dn = ffn(&b, cfg, l, e, h2, EH);
        b.whole = false;
        /* its tokens' routing weights (0 for the others) */
        snprintf(w, sizeof w, "blk.%u.ffn_route.%u", l, e);
        uint32_t rw = weight(&b, w, 2, T, D);
        snprintf(n, sizeof n, "l%u.e%u.weighted", l, e);
        uint32_t we = op(&b, n, SC_GOP_MUL, 2, (uint32_t[]){dn, rw}, NULL);
        snprintf(n, sizeof n, "l%u.e%u.sum", l, e);
        sum = first ? we : op(&b, n, SC_GOP_ADD, 2, (uint32_t[]){sum, we}, NULL);
        first = false;
      }
      if (cfg->n_shared_experts) { /* every token's: sliced over the chips as a dense one */
        uint32_t sh = ffn(&b, cfg, l, FFN_SHARED, h2, (int64_t)cfg->n_shared_experts * EH);
        sum =
            first ? sh : op(&b, NAME("l%u.shexp_sum"), SC_GOP_ADD, 2, (uint32_t[]){sum, sh}, NULL);
        first = false;
      }
      if (first) { /* no expert of this chip is used: it adds zeros */
        uint32_t none = weight(&b, W("blk.%u.ffn_none"), 2, T, D);
        sum = op(&b, NAME("l%u.ffn_none"), SC_GOP_MUL, 2, (uint32_t[]){h2, none}, NULL);
      }
      sum = all_reduce(&b, NAME("l%u.ffn_sum"), sum);
      x = op(&b, NAME("l%u.x_ffn"), SC_GOP_ADD, 2, (uint32_t[]){x, sum}, NULL);
    } else {
      uint32_t dn = ffn(&b, cfg, l, FFN_DENSE, h2, F);
      dn = all_reduce(&b, NAME("l%u.ffn_sum"), dn);
      x = op(&b, NAME("l%u.x_ffn"), SC_GOP_ADD, 2, (uint32_t[]){x, dn}, NULL);
    }
  }
#undef NAME
#undef W
  if (stage + 1 < PP) { /* on to the next stage */
    sc_gattrs at = {.chips = PP, .chip = stage, .peer = stage + 1};
    uint32_t sent = op(&b, "x_send", SC_GOP_SEND, 1, (uint32_t[]){x}, &at);
    return finish_graph(&b, sent, out, err, err_size);
  }
  if (cfg->tied_embeddings && stage > 0) embd = weight(&b, "token_embd.weight", 2, V, D);
  if (step->last_logits && T > 1 && step->batch <= 1) { /* the last token's row alone */
    sc_gattrs sl = {.axis = 0, .start = (int64_t)T - 1, .len = 1};
    x = op(&b, "x_last", SC_GOP_SLICE, 1, (uint32_t[]){x}, &sl);
  }
  uint32_t on = weight(&b, "output_norm.weight", 1, D, 0);
  uint32_t xf = op(&b, "x_final", SC_GOP_RMSNORM, 2, (uint32_t[]){x, on}, &norm);
  uint32_t cls;
  if (TP > 1) /* this chip's slice of the vocabulary */
    cls = shard(&b, "output.weight", cfg->tied_embeddings ? "token_embd.weight" : "output.weight",
                2, V, D, 0);
  else
    cls = cfg->tied_embeddings ? embd : weight(&b, "output.weight", 2, V, D);
  uint32_t logits;
  if (TP > 1) {
    uint32_t part = op(&b, "logits_part", SC_GOP_MATMUL, 2, (uint32_t[]){xf, cls}, &proj);
    sc_gattrs at = {.chips = TP, .chip = step->tp_chip};
    logits = op(&b, "logits", SC_GOP_ALL_GATHER, 1, (uint32_t[]){part}, &at);
  } else {
    logits = op(&b, "logits", SC_GOP_MATMUL, 2, (uint32_t[]){xf, cls}, &proj);
  }
  return finish_graph(&b, logits, out, err, err_size);
}
