/* test_logits.h: comparing rows of logits, as the compiler's end-to-end
 * tests do against the reference forward pass. */
#ifndef SEEDCHIP_TEST_LOGITS_H
#define SEEDCHIP_TEST_LOGITS_H

#include <math.h>
#include <stdint.h>

/* Over n rows of v logits: the worst |a - b| relative to each row's largest
 * |b| (into *worst), and the rows whose argmax agree (into *agree). */
static inline void compare_logits(const float *a, const float *b, uint32_t n, uint32_t v,
                                  double *worst, uint32_t *agree) {
  *worst = 0;
  *agree = 0;
  for (uint32_t t = 0; t < n; t++) {
    const float *x = a + (size_t)t * v, *y = b + (size_t)t * v;
    double scale = 0;
    uint32_t ax = 0, ay = 0;
    for (uint32_t i = 0; i < v; i++) {
      if (fabs((double)y[i]) > scale) scale = fabs((double)y[i]);
      if (x[i] > x[ax]) ax = i;
      if (y[i] > y[ay]) ay = i;
    }
    for (uint32_t i = 0; i < v; i++) {
      double e = fabs((double)x[i] - (double)y[i]) / scale;
      if (e > *worst) *worst = e;
    }
    *agree += ax == ay;
  }
}

#endif
