/* reference.h: the FP32 reference forward pass of a Llama-family decoder, the
 * plain C that every faster path (the compiler, the simulated chip) is checked
 * against. One token at a time with a KV cache, exactly llama2.c's run.c
 * arithmetic for llama2.c models:
 *
 *   x = token_embd[token]
 *   per layer: xb = rmsnorm(x) * attn_norm
 *              q, k, v = Wq xb (+ bq), Wk xb (+ bk), Wv xb (+ bv)
 *              rotate q, k by pos (RoPE, PAIRS or HALVES, rope_theta)
 *              per head: softmax(q . k_t / sqrt(head_dim), t <= pos) . v_t
 *              (query head h reads kv head h / (n_heads / n_kv_heads))
 *              x += Wo attn
 *              xb = rmsnorm(x) * ffn_norm
 *              x += Wdown (silu(Wgate xb) * (Wup xb))
 *   logits = Wcls (rmsnorm(x) * output_norm), Wcls = output or token_embd
 *
 * With multi-head latent attention (kv_lora_rank > 0; model.h's tensors and
 * nope = qk_nope_dim, rope = qk_rope_dim, lora = kv_lora_rank) the attention
 * is MLA's plain, "naive" form (keys and values expanded from the cached
 * latents, not absorbed into the queries), and the cache holds per position
 * the normed latent c and the rotated shared key k_pe:
 *
 *              qa = rmsnorm(Wq_a xb) * attn_q_a_norm; q = Wq_b qa
 *                (q_lora_rank 0: q = Wq xb); head h: q_nope, q_pe = its
 *                first nope and last rope elements
 *              kv = Wkv_a xb; c = rmsnorm(kv[0:lora]) * attn_kv_a_norm;
 *                k_pe = kv[lora:lora+rope]
 *              rotate each q_pe and k_pe by pos (RoPE over rope elements:
 *                sc_rope_freq with d = rope; rope_style pairs them)
 *              per head h, position s <= pos: k_nope = attn_k_b[h]^T c_s,
 *                v_s = attn_v_b[h] c_s, score = (q_nope . k_nope + q_pe .
 *                k_pe_s) / sqrt(nope + rope); out_h = softmax . v
 *              x += Wo out    (Wo: [dim, n_heads * v_head_dim])
 *
 * The feed-forward is always the dense one: a mixture of experts'
 * configuration is run with its ffn_gate/up/down as a dense SwiGLU (expert
 * weights are never loaded; see model.h).
 *
 * Weights of any sc_wtype are decoded to FP32 once, at creation. */
#ifndef SEEDCHIP_REFERENCE_H
#define SEEDCHIP_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "seedchip/model.h"
#include "seedchip/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_ref sc_ref;

/* A forward-pass state for m (which must outlive it) with a KV cache of
 * max_seq positions (0: the model's max_seq_len). NOT_FOUND / INVALID when a
 * tensor is missing or has the wrong size, INVALID_ARGUMENT for a bad max_seq,
 * NO_MEMORY; err says which. */
SC_MUST_USE sc_status sc_ref_create(const sc_model *m, uint32_t max_seq, sc_ref **out, char *err,
                                    size_t err_size);

/* Runs token at position pos (positions 0..pos-1 must have been run before:
 * their keys and values are in the cache) and returns the vocab_size logits,
 * valid until the next call. NULL when token or pos is out of range. */
const float *sc_ref_forward(sc_ref *r, int32_t token, uint32_t pos);

void sc_ref_free(sc_ref *r);

#ifdef __cplusplus
}
#endif
#endif
